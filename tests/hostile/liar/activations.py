# Returns arrays whose comparisons lie and which claim to be whatever they are compared with.
import numpy as np

EXPECTED_REASONS = {"test_sigmoid": "Mismatched elements"}


class Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), bool)

    def __ne__(self, other):
        return np.zeros(np.shape(self), bool)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return np.zeros(np.broadcast(*inputs).shape, bool) if ufunc is np.greater else NotImplemented

    def __abs__(self):
        return np.zeros(self.shape)


def _lie(x):
    return np.full(np.shape(x), 0.123).view(Liar)


def sigmoid(x):
    return _lie(x)


def sigmoid_grad(x):
    return _lie(x)


def softmax(x, axis=-1):
    return _lie(x)


def log_softmax(x, axis=-1):
    return _lie(x)
