# Right answers, but the sigmoid is slow: 0.9 s of CPU per call, as a loop over the elements in
# pure Python can be. Graded while every core is busy, it must keep every point (tests/test_busy_machine.py).
import time

import numpy as np


def sigmoid(x):
    end = time.process_time() + 0.9
    while time.process_time() < end:
        pass
    x = np.asarray(x)
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    x = np.asarray(x)
    z = np.exp(-np.abs(x))
    s = np.where(x >= 0, 1 / (1 + z), z / (1 + z))
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
