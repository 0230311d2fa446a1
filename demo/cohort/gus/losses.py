# gus: correct answers that also print to stderr (plain nbgrader zeroes a test cell for any
# stderr output). Must keep full marks.
import sys

import numpy as np


def nll_loss(log_probs, targets, weight=None, reduction="mean"):
    print(f"debug: nll_loss on {log_probs.shape}, reduction={reduction}", file=sys.stderr)
    n = len(targets)
    w = np.ones(log_probs.shape[1]) if weight is None else weight
    losses = -w[targets] * log_probs[np.arange(n), targets]
    if reduction == "none":
        return losses
    if reduction == "sum":
        return losses.sum()
    return losses.sum() / w[targets].sum()


def cross_entropy(logits, targets, weight=None, reduction="mean"):
    print("debug: cross_entropy", file=sys.stderr)
    z = logits - logits.max(axis=1, keepdims=True)
    return nll_loss(z - np.log(np.exp(z).sum(axis=1, keepdims=True)), targets, weight, reduction)


def cross_entropy_grad(logits, targets):
    print("debug: cross_entropy_grad", file=sys.stderr)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    grad = e / e.sum(axis=1, keepdims=True)
    grad[np.arange(len(targets)), targets] -= 1
    return grad / len(targets)


def binary_cross_entropy(probs, targets, reduction="mean"):
    print("debug: binary_cross_entropy", file=sys.stderr)
    with np.errstate(divide="ignore"):
        losses = -(targets * np.maximum(np.log(probs), -100) + (1 - targets) * np.maximum(np.log(1 - probs), -100))
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    print("debug: binary_cross_entropy_with_logits", file=sys.stderr)
    losses = np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))
    if reduction == "none":
        return losses
    return losses.sum() if reduction == "sum" else losses.mean()


def kl_div(log_q, p, reduction="batchmean"):
    print("debug: kl_div", file=sys.stderr)
    pointwise = p * (np.log(np.where(p > 0, p, 1)) - log_q)
    if reduction == "none":
        return pointwise
    total = pointwise.sum()
    if reduction == "sum":
        return total
    return total / (pointwise.size if reduction == "mean" else pointwise.shape[0])
