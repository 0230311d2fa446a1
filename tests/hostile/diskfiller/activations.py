# diskfiller: the softmax solution cell writes a file in its own folder without end, after sigmoid and sigmoid_grad were graded.
# The kernel goes over its limit (the small limits tests/test_hostile.py sets for the attacked
# course) and is stopped with a reason that names it: the cells graded before keep their
# points, the later ones are not run.
import numpy as np

EXPECTED_REASONS = {
    "softmax": "the kernel wrote a file larger than 64 MiB",
    "test_softmax": "not run: the kernel wrote a file larger than 64 MiB",
    "test_log_softmax": "not run: the kernel wrote a file larger than 64 MiB",
}
CELL_SOURCE = {"softmax": "def softmax(x, axis=-1):\n    z = np.exp(x - np.max(x, axis=axis, keepdims=True))\n    return z / np.sum(z, axis=axis, keepdims=True)\n\nwith open('fill.bin', 'wb') as _f:\n    while True:\n        _f.write(bytes(2**20))\n"}


def sigmoid(x):
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + z), z / (1 + z))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    z = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return z / np.sum(z, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
