# eli: decoupled ("AdamW style") weight decay in SGD, which differs from torch's L2 term once
# momentum carries it (loses the weight-decay point), and Adam without bias correction (its
# first steps have the wrong size in every run: no Adam points); RMSprop with lr inside its
# momentum buffer, an Adagrad that ignores initial_accumulator_value and checks nothing, and an
# AdamW that decays after the step.
import numpy as np


class SGD:
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("nesterov requires momentum and no dampening")
        self.params = params
        self.lr = lr
        self.momentum = momentum
        self.dampening = dampening
        self.weight_decay = weight_decay
        self.nesterov = nesterov
        self.bufs = [None for _ in params]

    def step(self, grads):
        for i, (p, g) in enumerate(zip(self.params, grads)):
            p -= self.lr * self.weight_decay * p      # decay the weights directly
            if self.momentum:
                if self.bufs[i] is None:
                    self.bufs[i] = g.copy()
                else:
                    self.bufs[i] = self.momentum * self.bufs[i] + (1 - self.dampening) * g
                g = g + self.momentum * self.bufs[i] if self.nesterov else self.bufs[i]
            p -= self.lr * g


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params = params
        self.lr = lr
        self.b1, self.b2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.vmax = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for i, p in enumerate(self.params):
            g = grads[i] + self.weight_decay * p
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g
            self.vmax[i] = np.maximum(self.vmax[i], self.v[i])
            v = self.vmax[i] if self.amsgrad else self.v[i]
            p -= self.lr * self.m[i] / (np.sqrt(v) + self.eps)


class RMSprop:
    def __init__(self, params, lr=0.01, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0, centered=False):
        if min(lr, alpha, eps, weight_decay, momentum) < 0:
            raise ValueError("negative hyper-parameter")
        self.params, self.lr, self.alpha, self.eps = params, lr, alpha, eps
        self.weight_decay, self.momentum, self.centered = weight_decay, momentum, centered
        self.sq = [np.zeros_like(p) for p in params]
        self.mean = [np.zeros_like(p) for p in params]
        self.velocity = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for i, p in enumerate(self.params):
            g = grads[i] + self.weight_decay * p
            self.sq[i] = self.alpha * self.sq[i] + (1 - self.alpha) * g * g
            var = self.sq[i]
            if self.centered:
                self.mean[i] = self.alpha * self.mean[i] + (1 - self.alpha) * g
                var = var - self.mean[i] ** 2
            step = self.lr * g / (np.sqrt(var) + self.eps)
            if self.momentum > 0:
                self.velocity[i] = self.momentum * self.velocity[i] + step    # lr inside the buffer
                step = self.velocity[i]
            p -= step


class Adagrad:
    def __init__(self, params, lr=0.01, lr_decay=0.0, weight_decay=0.0, initial_accumulator_value=0.0, eps=1e-10):
        self.params, self.lr, self.lr_decay = params, lr, lr_decay      # no checks
        self.weight_decay, self.eps = weight_decay, eps
        self.t = 0
        self.sum = [np.zeros_like(p) for p in params]                   # initial_accumulator_value ignored

    def step(self, grads):
        self.t += 1
        clr = self.lr / (1 + (self.t - 1) * self.lr_decay)
        for i, p in enumerate(self.params):
            g = grads[i] + self.weight_decay * p
            self.sum[i] = self.sum[i] + g * g
            p -= clr * g / (np.sqrt(self.sum[i]) + self.eps)


class AdamW:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2, amsgrad=False):
        if lr < 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError("invalid hyper-parameter")
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.vmax = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        b1, b2 = self.betas
        for i, p in enumerate(self.params):
            g = grads[i]
            self.m[i] = b1 * self.m[i] + (1 - b1) * g
            self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
            self.vmax[i] = np.maximum(self.vmax[i], self.v[i])
            v = self.vmax[i] if self.amsgrad else self.v[i]
            p -= self.lr * (self.m[i] / (1 - b1 ** self.t)) / (np.sqrt(v / (1 - b2 ** self.t)) + self.eps)
            p *= 1 - self.lr * self.weight_decay          # decayed after the step
