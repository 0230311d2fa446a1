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
