# gus: correct answers that also print to stderr (plain nbgrader zeroes a test cell for any
# stderr output). Must keep full marks.
import math
import sys

import numpy as np


def sigmoid(x):
    print("debug: sigmoid called", file=sys.stderr)
    x = np.asarray(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))


def tanh(x):
    print("debug: tanh called", file=sys.stderr)
    return np.tanh(x)


def relu(x):
    print("debug: relu called", file=sys.stderr)
    return np.maximum(x, 0)


def leaky_relu(x, negative_slope=0.01):
    print("debug: leaky_relu called", file=sys.stderr)
    return np.where(x > 0, x, negative_slope * x)


def elu(x, alpha=1.0):
    print("debug: elu called", file=sys.stderr)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def softplus(x, beta=1.0, threshold=20.0):
    print("debug: softplus called", file=sys.stderr)
    z = beta * np.asarray(x)
    return np.where(z > threshold, x, np.logaddexp(0, z) / beta)


def gelu(x, approximate="none"):
    print("debug: gelu called", file=sys.stderr)
    x = np.asarray(x)
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)))
    return 0.5 * x * (1 + np.vectorize(math.erf, otypes=[float])(x / np.sqrt(2)))
