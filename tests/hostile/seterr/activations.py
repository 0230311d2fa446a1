# Right (if numerically naive) code in a notebook that turned numpy's warnings into errors in its
# setup cell: each graded call runs with numpy's default error state, so the naive sigmoid's
# overflow warning costs what it costs anyone (the stability points), not the whole cell.
import numpy as np

np.seterr(all="raise")
np.set_printoptions(precision=1, suppress=True)


def sigmoid(x):
    return 1 / (1 + np.exp(-x))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    shifted = x - np.max(x, axis=axis, keepdims=True)
    return shifted - np.log(np.sum(np.exp(shifted), axis=axis, keepdims=True))
