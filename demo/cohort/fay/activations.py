# fay: wrong answers, and every test cell tagged `skip-execution` (plain nbgrader would give
# full marks for cells it skipped). Must earn nothing for the wrong answers.
import numpy as np


CELL_TAGS = {"test_sigmoid": ["skip-execution"], "test_sigmoid_grad": ["skip-execution"],
             "test_softmax": ["skip-execution"], "test_log_softmax": ["skip-execution"]}


def sigmoid(x):
    return np.tanh(x)


def sigmoid_grad(x):
    return np.tanh(x)


def softmax(x, axis=-1):
    return x


def log_softmax(x, axis=-1):
    return x
