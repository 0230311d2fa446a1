# ben: correct in another style: explicit loops over samples, float64 results, one-hot
# matrices, np.logaddexp for the log-sum-exp and softplus, and a shared reduction helper.
import numpy as np


def _reduce(losses, reduction, count):
    if reduction == "none":
        return losses
    total = np.sum(losses)
    return total if reduction == "sum" else total / count


def _logsumexp(row):
    return np.logaddexp.reduce(row)


def nll_loss(log_probs, targets, weight=None, reduction="mean"):
    n = len(targets)
    losses = np.empty(n)
    total_weight = 0.0
    for i in range(n):
        w = 1.0 if weight is None else float(weight[targets[i]])
        losses[i] = -w * float(log_probs[i, targets[i]])
        total_weight += w
    return _reduce(losses, reduction, total_weight)


def cross_entropy(logits, targets, weight=None, reduction="mean"):
    x = np.asarray(logits, dtype=np.float64)
    log_probs = np.stack([row - _logsumexp(row) for row in x])
    return nll_loss(log_probs, targets, weight, reduction)


def cross_entropy_grad(logits, targets):
    x = np.asarray(logits, dtype=np.float64)
    n, c = x.shape
    one_hot = np.zeros((n, c))
    one_hot[np.arange(n), targets] = 1.0
    softmax = np.exp(x - np.array([[_logsumexp(row)] for row in x]))
    return (softmax - one_hot) / n


def binary_cross_entropy(probs, targets, reduction="mean"):
    p = np.asarray(probs, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    # log(p) where p > 0, -inf elsewhere, without a divide-by-zero warning; then torch's clamp
    log_p = np.log(p, out=np.full_like(p, -np.inf), where=p > 0)
    log_1mp = np.log(1 - p, out=np.full_like(p, -np.inf), where=p < 1)
    losses = -(y * np.clip(log_p, -100, None) + (1 - y) * np.clip(log_1mp, -100, None))
    return _reduce(losses, reduction, losses.size)


def binary_cross_entropy_with_logits(logits, targets, reduction="mean"):
    z = np.asarray(logits, dtype=np.float64)
    y = np.asarray(targets, dtype=np.float64)
    # y * softplus(-z) + (1 - y) * softplus(z), with softplus(t) = logaddexp(0, t)
    losses = y * np.logaddexp(0, -z) + (1 - y) * np.logaddexp(0, z)
    return _reduce(losses, reduction, losses.size)


def kl_div(log_q, p, reduction="batchmean"):
    lq = np.asarray(log_q, dtype=np.float64)
    pp = np.asarray(p, dtype=np.float64)
    pointwise = np.zeros_like(pp)
    nonzero = pp > 0
    pointwise[nonzero] = pp[nonzero] * (np.log(pp[nonzero]) - lq[nonzero])
    if reduction == "batchmean":
        return pointwise.sum() / pp.shape[0]
    return _reduce(pointwise, reduction, pointwise.size)
