# Exceptions, wrong shapes, NaN and non-numbers.
import numpy as np

EXPECTED_REASONS = {"test_sigmoid": "raised ValueError: not today", "test_sigmoid_grad": "shape: expected",
                    "test_softmax": "got NaN", "test_log_softmax": "not numbers"}


def sigmoid(x):
    raise ValueError("not today")


def sigmoid_grad(x):
    return np.zeros(7)


def softmax(x, axis=-1):
    return np.full(np.shape(x), np.nan)


def log_softmax(x, axis=-1):
    return np.full(np.shape(x), "0.5")
