# Right answers; the softmax solution cell and the test_sigmoid cell were each pasted a second
# time right below themselves (an ordinary JupyterLab accident): graded as usual, with a note.
import numpy as np

PASTE_TWICE = ["softmax", "test_sigmoid"]
EXPECTED_NOTES = ["Cell `softmax` appears 2 times", "Cell `test_sigmoid` appears 2 times"]


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
