# eli: decoupled ("AdamW style") weight decay in SGD, which differs from torch's L2 term once
# momentum carries it (loses the weight-decay point), and Adam without bias correction (its
# first steps have the wrong size in every run: no Adam points).
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
