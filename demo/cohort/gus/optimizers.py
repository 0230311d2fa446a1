# gus: correct optimizers that print to stderr on every step (plain nbgrader zeroes a test
# cell for any stderr output). Must keep full marks.
import sys

import numpy as np


class SGD:
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.bufs = [None] * len(params)

    def step(self, grads):
        print(f"debug: SGD step with lr={self.lr}", file=sys.stderr)
        for i, (p, g) in enumerate(zip(self.params, grads)):
            g = g + self.weight_decay * p
            if self.momentum:
                self.bufs[i] = g.copy() if self.bufs[i] is None else \
                    self.momentum * self.bufs[i] + (1 - self.dampening) * g
                g = g + self.momentum * self.bufs[i] if self.nesterov else self.bufs[i]
            p -= self.lr * g


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params = params
        self.lr = lr
        self.betas = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.vmax = [np.zeros_like(p) for p in params]

    def step(self, grads):
        print(f"debug: Adam step {self.t + 1}", file=sys.stderr)
        self.t += 1
        b1, b2 = self.betas
        for i, p in enumerate(self.params):
            g = grads[i] + self.weight_decay * p
            self.m[i] = b1 * self.m[i] + (1 - b1) * g
            self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
            self.vmax[i] = np.maximum(self.vmax[i], self.v[i])
            v = self.vmax[i] if self.amsgrad else self.v[i]
            p -= lr_step(self.lr, b1, self.t) * self.m[i] / (np.sqrt(v) / np.sqrt(1 - b2 ** self.t) + self.eps)


def lr_step(lr, beta1, t):
    """The bias-corrected step size lr / (1 - beta1**t)."""
    return lr / (1 - beta1 ** t)


def _check(**values):
    for name, value in values.items():
        if value < 0:
            raise ValueError(f"Invalid {name} value: {value}")


class RMSprop:
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        _check(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay, momentum=momentum)
        self.params, self.lr, self.alpha, self.eps = params, lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered
        self.sq = [np.zeros_like(p) for p in params]
        self.mean = [np.zeros_like(p) for p in params]
        self.buf = [np.zeros_like(p) for p in params]

    def step(self, grads):
        print(f"debug: RMSprop step with lr={self.lr}", file=sys.stderr)
        for i, p in enumerate(self.params):
            g = grads[i] + self.weight_decay * p
            self.sq[i] = self.alpha * self.sq[i] + (1 - self.alpha) * g * g
            var = self.sq[i]
            if self.centered:
                self.mean[i] = self.alpha * self.mean[i] + (1 - self.alpha) * g
                var = var - self.mean[i] ** 2
            d = g / (np.sqrt(var) + self.eps)
            if self.momentum > 0:
                self.buf[i] = self.momentum * self.buf[i] + d
                d = self.buf[i]
            p -= self.lr * d


class Adagrad:
    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        _check(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
               initial_accumulator_value=initial_accumulator_value, eps=eps)
        self.params, self.lr, self.lr_decay = params, lr, lr_decay
        self.weight_decay, self.eps = weight_decay, eps
        self.t = 0
        self.sum = [np.full_like(p, initial_accumulator_value) for p in params]

    def step(self, grads):
        self.t += 1
        print(f"debug: Adagrad step {self.t}", file=sys.stderr)
        clr = self.lr / (1 + (self.t - 1) * self.lr_decay)
        for i, p in enumerate(self.params):
            g = grads[i] + self.weight_decay * p
            self.sum[i] = self.sum[i] + g * g
            p -= clr * g / (np.sqrt(self.sum[i]) + self.eps)


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        _check(lr=lr, eps=eps, weight_decay=weight_decay)
        if not all(0 <= b < 1 for b in betas):
            raise ValueError(f"Invalid betas: {betas}")
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.vmax = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        print(f"debug: AdamW step {self.t}", file=sys.stderr)
        b1, b2 = self.betas
        for i, p in enumerate(self.params):
            p *= 1 - self.lr * self.weight_decay
            self.m[i] = b1 * self.m[i] + (1 - b1) * grads[i]
            self.v[i] = b2 * self.v[i] + (1 - b2) * grads[i] * grads[i]
            self.vmax[i] = np.maximum(self.vmax[i], self.v[i])
            v = self.vmax[i] if self.amsgrad else self.v[i]
            p -= self.lr * (self.m[i] / (1 - b1 ** self.t)) / (np.sqrt(v / (1 - b2 ** self.t)) + self.eps)
