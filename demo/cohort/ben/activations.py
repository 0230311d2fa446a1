# ben: correct in another style: logaddexp, float64 results, moveaxis and an explicit loop.
import numpy as np


def _logsumexp_last(z):
    """log(sum(exp(z))) over the last axis, one row at a time."""
    out = np.empty(z.shape[:-1])
    for idx in np.ndindex(*z.shape[:-1]):
        row = z[idx]
        m = row.max()
        out[idx] = m + np.log(np.sum(np.exp(row - m)))
    return out


def sigmoid(x):
    # 1/(1+e^-x) = exp(-log(1+e^-x)) and logaddexp(0, -x) = log(1+e^-x) never overflows
    return np.exp(-np.logaddexp(0.0, -np.asarray(x, dtype=np.float64)))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s - s * s


def softmax(x, axis=-1):
    z = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    result = np.exp(z - _logsumexp_last(z)[..., None])
    return np.moveaxis(result, -1, axis)


def log_softmax(x, axis=-1):
    z = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    result = z - _logsumexp_last(z)[..., None]
    return np.moveaxis(result, -1, axis)
