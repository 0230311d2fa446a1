# zvictim: correct (a copy of the demo cohort's ada), graded after every attacker in the same run: it keeps full marks.
import math

import numpy as np


def sigmoid(x):
    x = np.asarray(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    e = np.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def tanh(x):
    return np.tanh(x)


def relu(x):
    return np.maximum(x, 0)


def leaky_relu(x, negative_slope=0.01):
    return np.where(x > 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def softplus(x, beta=1.0, threshold=20.0):
    z = beta * np.asarray(x)
    return np.where(z > threshold, x, np.logaddexp(0, z) / beta)


def gelu(x, approximate="none"):
    x = np.asarray(x)
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + _erf(x / np.sqrt(2)))


def _erf(v):
    return np.vectorize(math.erf, otypes=[float])(v)
