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
}

# API names that are classes holding state across calls (optimizers). Checks call them with a
# run description, and grader.engine.driver plays the run: see grader/engine/driver.py.
STATEFUL = {"SGD", "Adam"}


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
