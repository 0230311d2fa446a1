# Wrong answers, plus monkeypatching: numpy's comparisons always true, the grader's comparison
# a no-op, and (from the softmax cell on) grade() returning full marks. The score is decided outside this kernel: 0.
import numpy as np
import grader
import grader.engine.compare

EXPECTED_REASONS = {"test_sigmoid": "Mismatched elements", "test_softmax": "no answers were recorded"}
# From the softmax cell on, grade() itself is replaced by one that returns full marks.
CELL_SOURCE = {"softmax": "grader.grade = lambda name: 6.0\n\n\ndef softmax(x, axis=-1):\n    return np.zeros_like(x)"}

np.allclose = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.array_equal = lambda *args, **kwargs: True
grader.engine.compare.assert_close = lambda *args, **kwargs: None
grader.engine.compare.differences = lambda *args, **kwargs: ""


def sigmoid(x):
    return np.zeros_like(x)


def sigmoid_grad(x):
    return np.zeros_like(x)


def log_softmax(x, axis=-1):
    return np.zeros_like(x)
