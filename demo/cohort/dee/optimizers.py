# dee: typical mistakes. A momentum buffer that starts at zeros (right unless dampening != 0:
# loses only the dampening point) and eps inside the square root in Adam (right for ordinary
# gradients with the default eps: loses only the eps point).
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
        self.bufs = [np.zeros_like(p) for p in params]

    def step(self, grads):
        for p, g, buf in zip(self.params, grads, self.bufs):
            g = g + self.weight_decay * p
            if self.momentum:
                buf *= self.momentum
                buf += (1 - self.dampening) * g
                g = g + self.momentum * buf if self.nesterov else buf
            p -= self.lr * g


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params = params
        self.lr = lr
        self.b1, self.b2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.vmax = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        for i, p in enumerate(self.params):
            g = grads[i] + self.weight_decay * p
            self.m[i] = self.b1 * self.m[i] + (1 - self.b1) * g
            self.v[i] = self.b2 * self.v[i] + (1 - self.b2) * g * g
            self.vmax[i] = np.maximum(self.vmax[i], self.v[i])
            v = self.vmax[i] if self.amsgrad else self.v[i]
            m_hat = self.m[i] / (1 - self.b1 ** self.t)
            v_hat = v / (1 - self.b2 ** self.t)
            p -= self.lr * m_hat / np.sqrt(v_hat + self.eps)
