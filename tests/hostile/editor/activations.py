# Edits test cells: test_sigmoid now just shows 5.0 (with a wrong sigmoid), test_softmax is
# deleted, test_log_softmax re-typed as markdown and tagged raises-exception. The test cells
# are restored from the gradebook and graded normally.
import numpy as np

EXPECTED_REASONS = {"test_sigmoid": "Likely mistake: tanh(x) is not the logistic sigmoid"}
CELL_SOURCE = {"test_sigmoid": "5.0"}
DELETE_CELLS = ["test_softmax"]
CELL_TYPES = {"test_log_softmax": "markdown"}
CELL_TAGS = {"test_log_softmax": ["raises-exception"]}


def sigmoid(x):
    return np.tanh(x)


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1 - s)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    z = x - np.max(x, axis=axis, keepdims=True)
    return z - np.log(np.sum(np.exp(z), axis=axis, keepdims=True))
