# eli: the unstable sigmoid exp(x)/(1+exp(x)), the derivative applied to x, softmax that
# ignores `axis`, and a log-sum-exp without the max shift; tanh and ELU from raw exps, relu's
# mask for relu, mask products, softplus without log1p or threshold, erf(x) in GELU.
import math

import numpy as np


def sigmoid(x):
    return np.exp(x) / (1 + np.exp(x))


def sigmoid_grad(x):
    return x * (1 - x)


def softmax(x, axis=-1):
    e = np.exp(x - np.max(x, axis=-1, keepdims=True))
    return e / np.sum(e, axis=-1, keepdims=True)


def log_softmax(x, axis=-1):
    return x - np.log(np.sum(np.exp(x), axis=axis, keepdims=True))


def tanh(x):
    return (np.exp(x) - np.exp(-x)) / (np.exp(x) + np.exp(-x))


def relu(x):
    return (x > 0).astype(float)      # the derivative, not relu


def leaky_relu(x, negative_slope=0.01):
    return x * (x > 0) + negative_slope * x * (x <= 0)


def elu(x, alpha=1.0):
    return x * (x > 0) + alpha * (np.exp(x) - 1) * (x <= 0)


def softplus(x, beta=1.0, threshold=20.0):
    return np.log(1 + np.exp(beta * x)) / beta


def gelu(x, approximate="none"):
    erf = np.vectorize(math.erf)
    return 0.5 * x * (1 + erf(x))     # erf(x), not erf(x / sqrt(2))
