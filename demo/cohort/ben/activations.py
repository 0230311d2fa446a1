# ben: correct in another style: logaddexp, float64 results, moveaxis and explicit loops,
# tanh from the sigmoid, an ELU whose unused branch overflows (warnings only), np.frompyfunc(math.erf).
import math

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


def _elementwise(fn, x):
    """fn applied to every value of x by an explicit loop (0-d arrays too), in float64."""
    x = np.asarray(x, dtype=np.float64)
    out = np.empty(x.shape)
    for idx in np.ndindex(*x.shape):
        out[idx] = fn(float(x[idx]))
    return out


def tanh(x):
    return 2 * sigmoid(2 * np.asarray(x)) - 1


def relu(x):
    return np.where(x > 0, x, 0.0)


def leaky_relu(x, negative_slope=0.01):
    return _elementwise(lambda v: v if v > 0 else negative_slope * v, x)


def elu(x, alpha=1.0):
    # exp overflows in the branch np.where discards: numpy warns, the values are right
    return np.where(x > 0, x, alpha * (np.exp(x) - 1))


def softplus(x, beta=1.0, threshold=20.0):
    return _elementwise(lambda v: v if beta * v > threshold else math.log1p(math.exp(beta * v)) / beta, x)


def gelu(x, approximate="none"):
    x = np.asarray(x, dtype=np.float64)
    if approximate == "tanh":
        return 0.5 * x * (1 + tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    erf = np.frompyfunc(math.erf, 1, 1)
    return 0.5 * x * (1 + np.asarray(erf(x / math.sqrt(2)), dtype=np.float64))
