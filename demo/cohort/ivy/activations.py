# ivy: the kernel dies. sigmoid and sigmoid_grad are right; softmax ends the process
# (os._exit stands in for a segfault or an out-of-memory kill), so the softmax cell dies
# and nothing after it runs. Must keep the points earned before the crash.
import os

import numpy as np


def sigmoid(x):
    return np.exp(-np.logaddexp(0.0, -x))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    os._exit(1)


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))
