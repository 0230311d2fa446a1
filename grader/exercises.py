"""The student API of every assignment (SPEC.md, "Assignments and the student API").

{assignment: {name: positional parameter names}}. The checks call student code
positionally (students may name parameters as they like); these names only label inputs
in reports. Each name here has one graded cell, `test_<name>`, in its assignment's notebook.
"""

ASSIGNMENTS = {
    "activations": {
        "sigmoid": ("x",),
        "sigmoid_grad": ("x",),
        "softmax": ("x", "axis"),
        "log_softmax": ("x", "axis"),
    },
    "losses": {
        "nll_loss": ("log_probs", "targets", "weight", "reduction"),
        "cross_entropy": ("logits", "targets", "weight", "reduction"),
        "cross_entropy_grad": ("logits", "targets"),
        "binary_cross_entropy": ("probs", "targets", "reduction"),
        "binary_cross_entropy_with_logits": ("logits", "targets", "reduction"),
        "kl_div": ("log_q", "p", "reduction"),
    },
    "optimizers": {
        "SGD": ("params", "lr", "momentum", "dampening", "weight_decay", "nesterov"),
        "Adam": ("params", "lr", "betas", "eps", "weight_decay", "amsgrad"),
    },
    "mlp": {
        "linear": ("x", "W", "b"),
        "linear_backward": ("x", "W", "grad_out"),
        "relu_backward": ("x", "grad_out"),
        "mlp_loss_and_grads": ("x", "targets", "params"),
        "train": ("x", "targets", "params", "lr", "steps", "momentum"),
    },
}

# API names that are classes holding state across calls (optimizers). Checks call them with a
# run description, and grader.engine.driver plays the run: see grader/engine/driver.py.
STATEFUL = {"SGD", "Adam"}


# API names whose answer is several arrays: the names of its parts, nested as the function
# returns them (linear_backward returns a tuple of three arrays; mlp_loss_and_grads a loss and
# a list of four gradients). A check asks for one part at a time, `student.part("grad_b")
# .linear_backward(x, W, g)`, so each part is compared, scored and explained on its own; see
# grader.engine.driver.play.
PARTS = {
    "linear_backward": ("grad_x", "grad_W", "grad_b"),
    "mlp_loss_and_grads": ("loss", ("dW1", "db1", "dW2", "db2")),
    "train": ("losses", ("W1", "b1", "W2", "b2")),
}

# API names that train: {name: position of the `params` argument}. Like torch.optim, they must
# update the caller's param arrays in place. Their answer is what they return followed by the
# params after the call (read from the list they were given: see grader.engine.driver.play),
# and the call names the params it updated in place.
TRAINS = {"train": 2}


def is_stateful(name: str) -> bool:
    return name in STATEFUL


def assignment_of(name: str) -> str:
    """The assignment that defines API name `name` (e.g. "softmax" -> "activations")."""
    for assignment, names in ASSIGNMENTS.items():
        if name in names:
            return assignment
    raise KeyError(f"`{name}` is not part of any assignment's API")


def parameter_names(name: str, count: int) -> list[str]:
    """Labels for the first `count` positional arguments of API name `name`."""
    try:
        known = ASSIGNMENTS[assignment_of(name)][name]
    except KeyError:
        known = ()
    return [known[i] if i < len(known) else f"arg{i + 1}" for i in range(count)]
