"""The one place where the kit calls torch: the references every check compares against.

Each function takes and returns numpy arrays and mirrors the student API in SPEC.md (the
optimizers are classes with the student's API, run by grader.engine.driver like a student's).
Importing this module imports torch (2-5 s), so grading never imports it directly:
`grader.engine.bank` serves precomputed results, and the trusted side hands it `answer` for
the references the bank lacks (imported only on a miss or a bank build).
"""
import warnings

import numpy as np
import torch
import torch.nn.functional as F

from grader.engine.driver import drive
from grader.exercises import is_stateful

# One thread: torch results are then bitwise repeatable (TORCH_NOTES, "Tolerances").
torch.set_num_threads(1)


def _tensor(x, requires_grad=False):
    # np.array (not ascontiguousarray) keeps 0-d inputs 0-d.
    t = torch.from_numpy(np.array(x, copy=True, order="C"))
    return t.requires_grad_(requires_grad)


def sigmoid(x):
    return torch.sigmoid(_tensor(x)).numpy()


def sigmoid_grad(x):
    t = _tensor(x, requires_grad=True)
    torch.sigmoid(t).backward(torch.ones_like(t))
    return t.grad.numpy()


def softmax(x, axis=-1):
    return torch.softmax(_tensor(x), dim=axis).numpy()


def log_softmax(x, axis=-1):
    return torch.log_softmax(_tensor(x), dim=axis).numpy()


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
        self._opt.step()


class SGD(_TorchOptimizer):
    torch_class = torch.optim.SGD


class Adam(_TorchOptimizer):
    torch_class = torch.optim.Adam


def answer(name: str, args: tuple = (), kwargs: dict | None = None) -> np.ndarray:
    """torch's answer to a call of API `name`, as numpy: for a stateful API (an optimizer
    class) the trajectory of the run the arguments describe (grader.engine.driver)."""
    fn = globals()[name]
    if is_stateful(name):
        return np.asarray(drive(fn, *args, **(kwargs or {}))[0])
    return np.asarray(fn(*args, **(kwargs or {})))
