"""The one place where the kit calls torch: the references every check compares against.

Each function takes and returns numpy arrays and mirrors the student API in SPEC.md (the
optimizers are classes with the student's API, run by grader.engine.driver like a student's).
Importing this module imports torch (2-5 s), so grading never imports it directly:
`grader.engine.bank` serves precomputed results, and the trusted side hands it `answer` for
the references the bank lacks (imported only on a miss or a bank build).
"""
import sys
import warnings

import numpy as np
import torch
import torch.nn.functional as F
import torch.optim.optimizer

from grader.engine.driver import play

# One thread: torch results are then bitwise repeatable (TORCH_NOTES, "Tolerances").
torch.set_num_threads(1)


# --- torch.optim without its compiler -----------------------------------------------------
# torch.optim imports torch._dynamo, the compiler (0.7-0.9 s), when an optimizer is made (its
# add_param_group and zero_grad are wrapped by torch._disable_dynamo, which imports it at their
# first call) and at each step (the step's grad-mode wrapper imports it to mark graph breaks).
# Nothing here is compiled: the kit calls the same functions without those wrappers, which
# outside torch.compile only set the grad mode, run step hooks and profiler ranges (the kit sets
# none) and call them. tests/test_optimizers.py checks that this gives torch.optim's own step()
# bit for bit. Where torch's wrappers are not the ones known here, they are used as they are.

def _code(module: str, owner: str, name: str) -> object:
    """The code that every wrapper made by torch's `module.owner.name` runs, or None if this torch
    has no such wrapper maker."""
    maker = getattr(sys.modules.get(module), owner, None) if owner else sys.modules.get(module)
    try:
        return getattr(maker, name)(lambda: None).__code__
    except (AttributeError, TypeError):
        return None


_DYNAMO_WRAPPER = _code("torch._compile", "", "_disable_dynamo")
_STEP_WRAPPERS = {_code("torch.optim.optimizer", "Optimizer", "profile_hook_step"),
                  _code("torch.optim.optimizer", "", "_use_grad_for_differentiable")} - {None}


def _no_compiler_for_optimizers() -> None:
    """Give each torch._disable_dynamo wrapper of Optimizer's methods its function as the
    "not to be compiled" version it would import the compiler to make (it caches that on the
    function: torch/_compile.py)."""
    for method in vars(torch.optim.Optimizer).values():
        function = getattr(method, "__wrapped__", None)
        if _DYNAMO_WRAPPER is not None and getattr(method, "__code__", None) is _DYNAMO_WRAPPER \
                and function is not None:
            function.__dynamo_disable = function


_no_compiler_for_optimizers()


def _step(optimizer: torch.optim.Optimizer) -> None:
    """optimizer.step(), as torch.optim runs it outside torch.compile, without the wrappers
    that import the compiler (when they are the known ones)."""
    step = type(optimizer).step
    while getattr(step, "__code__", None) in _STEP_WRAPPERS:
        step = step.__wrapped__
    if getattr(step, "__code__", None) is None or step is type(optimizer).step:
        optimizer.step()
        return
    with torch.set_grad_enabled(optimizer.defaults["differentiable"]):
        step(optimizer)


def _tensor(x, requires_grad=False):
    # np.array (not ascontiguousarray) keeps 0-d inputs 0-d.
    t = torch.from_numpy(np.array(x, copy=True, order="C"))
    return t.requires_grad_(requires_grad)


def sigmoid(x):
    return torch.sigmoid(_tensor(x)).numpy()


def sigmoid_grad(x):
    t = _tensor(x, requires_grad=True)
    # The gradient of the sum: the same bits as backward(ones_like(t)), which would import
    # sympy (torch checks an explicit gradient's shape symbolically: 0.3-0.45 s, once).
    torch.sigmoid(t).sum().backward()
    return t.grad.numpy()


def softmax(x, axis=-1):
    return torch.softmax(_tensor(x), dim=axis).numpy()


def log_softmax(x, axis=-1):
    return torch.log_softmax(_tensor(x), dim=axis).numpy()


def tanh(x):
    return torch.tanh(_tensor(x)).numpy()


def relu(x):
    return torch.relu(_tensor(x)).numpy()


def leaky_relu(x, negative_slope=0.01):
    return F.leaky_relu(_tensor(x), negative_slope).numpy()


def elu(x, alpha=1.0):
    return F.elu(_tensor(x), alpha).numpy()


def softplus(x, beta=1.0, threshold=20.0):
    return F.softplus(_tensor(x), beta, threshold).numpy()


def gelu(x, approximate="none"):
    return F.gelu(_tensor(x), approximate=approximate).numpy()


# --- losses ----------------------------------------------------------------------------
# Targets of the classification losses are int64 class indices; every other argument has
# the logits' dtype (torch refuses mixed dtypes). `reduction` is passed through unchanged.

def _optional(weight):
    return None if weight is None else _tensor(weight)


def cross_entropy(logits, targets, weight=None, reduction="mean"):
    return F.cross_entropy(_tensor(logits), _tensor(targets), weight=_optional(weight),
                           reduction=reduction).numpy()


def cross_entropy_grad(logits, targets):
    t = _tensor(logits, requires_grad=True)
    F.cross_entropy(t, _tensor(targets)).backward()
    return t.grad.numpy()


def nll_loss(log_probs, targets, weight=None, reduction="mean"):
    return F.nll_loss(_tensor(log_probs), _tensor(targets), weight=_optional(weight),
                      reduction=reduction).numpy()


def binary_cross_entropy(probs, targets, reduction="mean"):
    return F.binary_cross_entropy(_tensor(probs), _tensor(targets), reduction=reduction).numpy()


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    return F.binary_cross_entropy_with_logits(_tensor(logits), _tensor(targets), reduction=reduction).numpy()


def kl_div(log_q, p, reduction="batchmean"):
    # reduction='mean' makes torch warn (on stderr) that it is not the true KL mean; the
    # reference is torch's value all the same, and a check must never write to stderr.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return F.kl_div(_tensor(log_q), _tensor(p), reduction=reduction).numpy()


# Regression losses: F.mse_loss/l1_loss/smooth_l1_loss take (input, target, size_average,
# reduce, reduction, ...) positionally, so reduction and beta go by keyword.

def mse_loss(input, target, reduction="mean"):
    return F.mse_loss(_tensor(input), _tensor(target), reduction=reduction).numpy()


def l1_loss(input, target, reduction="mean"):
    return F.l1_loss(_tensor(input), _tensor(target), reduction=reduction).numpy()


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    return F.smooth_l1_loss(_tensor(input), _tensor(target), reduction=reduction, beta=beta).numpy()


def huber_loss(input, target, reduction="mean", delta=1.0):
    return F.huber_loss(_tensor(input), _tensor(target), reduction=reduction, delta=delta).numpy()


# --- optimizers: torch.optim behind the student's API ----------------------------------
# grader.engine.driver runs these exactly as it runs a student's class. The numpy params and the
# torch tensors share memory (torch.from_numpy), so torch's step updates them in place.

class _TorchOptimizer:
    torch_class = None

    def __init__(self, params, *hyper):
        self._tensors = [torch.from_numpy(p) for p in params]
        self._opt = self.torch_class(self._tensors, *hyper)

    @property
    def lr(self):
        return self._opt.param_groups[0]["lr"]

    @lr.setter
    def lr(self, value):
        for group in self._opt.param_groups:
            group["lr"] = value

    def step(self, grads):
        for t, g in zip(self._tensors, grads):
            t.grad = _tensor(g)
        _step(self._opt)


class SGD(_TorchOptimizer):
    torch_class = torch.optim.SGD


class Adam(_TorchOptimizer):
    torch_class = torch.optim.Adam


class RMSprop(_TorchOptimizer):
    torch_class = torch.optim.RMSprop


class Adagrad(_TorchOptimizer):
    torch_class = torch.optim.Adagrad


class AdamW(_TorchOptimizer):
    torch_class = torch.optim.AdamW


# --- mlp: a two-layer network, its gradients by autograd, its training by torch.optim ---

def linear(x, W, b):
    return F.linear(_tensor(x), _tensor(W), _tensor(b)).numpy()


def linear_backward(x, W, grad_out):
    """(grad_x, grad_W, grad_b) of sum(F.linear(x, W, b) * grad_out), by autograd."""
    tx, tW = _tensor(x, requires_grad=True), _tensor(W, requires_grad=True)
    tb = torch.zeros(tW.shape[0], dtype=tW.dtype, requires_grad=True)
    (F.linear(tx, tW, tb) * _tensor(grad_out)).sum().backward()
    return tx.grad.numpy(), tW.grad.numpy(), tb.grad.numpy()


def relu_backward(x, grad_out):
    t = _tensor(x, requires_grad=True)
    (torch.relu(t) * _tensor(grad_out)).sum().backward()
    return t.grad.numpy()


def _mlp_loss(x, targets, params):
    W1, b1, W2, b2 = params
    return F.cross_entropy(F.linear(torch.relu(F.linear(x, W1, b1)), W2, b2), targets)


def mlp_loss_and_grads(x, targets, params):
    tensors = [_tensor(p, requires_grad=True) for p in params]
    loss = _mlp_loss(_tensor(x), _tensor(targets), tensors)
    loss.backward()
    return loss.detach().numpy(), [t.grad.numpy() for t in tensors]


def train(x, targets, params, lr, steps, momentum=0.0):
    """Full-batch training with torch.optim.SGD; the tensors share the params' memory
    (torch.from_numpy), so the optimizer updates the caller's arrays in place."""
    tensors = [torch.from_numpy(p).requires_grad_(True) for p in params]
    opt = torch.optim.SGD(tensors, lr=lr, momentum=momentum)
    x, targets = _tensor(x), _tensor(targets)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = _mlp_loss(x, targets, tensors)
        losses.append(loss.detach().clone())   # before the step, in the params' dtype
        loss.backward()
        _step(opt)
    return torch.stack(losses).numpy() if losses else np.zeros(0, dtype=x.numpy().dtype)


def answer(name: str, args: tuple = (), kwargs: dict | None = None, part: str = "") -> np.ndarray:
    """torch's answer to a call of API `name`, as numpy, played as the student's code is
    (grader.engine.driver.play): for a stateful API (an optimizer class) the trajectory of the
    run the arguments describe; with `part`, that part of an answer of several arrays."""
    return np.asarray(play(name, globals()[name], args, kwargs or {}, part)[0])
