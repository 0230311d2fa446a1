# ben: correct in another style: one element at a time, in Python floats (float64), writing
# each new value back into the caller's array (p[idx] = ...), state kept in float64 arrays.
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
        self.velocity = [np.zeros(np.shape(p)) for p in params]
        self.started = False

    def step(self, grads):
        for p, g, buf in zip(self.params, grads, self.velocity):
            for idx in np.ndindex(p.shape):
                gi = float(g[idx]) + self.weight_decay * float(p[idx])
                if self.momentum != 0:
                    buf[idx] = gi if not self.started else self.momentum * buf[idx] + (1 - self.dampening) * gi
                    gi = gi + self.momentum * buf[idx] if self.nesterov else buf[idx]
                p[idx] = float(p[idx]) - self.lr * gi
        self.started = True


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params = params
        self.lr = lr
        self.beta1, self.beta2 = betas
        self.eps = eps
        self.weight_decay = weight_decay
        self.amsgrad = amsgrad
        self.t = 0
        self.moments = [(np.zeros(np.shape(p)), np.zeros(np.shape(p)), np.zeros(np.shape(p))) for p in params]

    def step(self, grads):
        self.t += 1
        for p, g, (m, v, vmax) in zip(self.params, grads, self.moments):
            for idx in np.ndindex(p.shape):
                gi = float(g[idx]) + self.weight_decay * float(p[idx])
                m[idx] += (1 - self.beta1) * (gi - m[idx])        # the same as beta1*m + (1-beta1)*g
                v[idx] = self.beta2 * v[idx] + (1 - self.beta2) * gi * gi
                vmax[idx] = max(vmax[idx], v[idx])
                second = vmax[idx] if self.amsgrad else v[idx]
                denom = (second / (1 - self.beta2 ** self.t)) ** 0.5 + self.eps
                p[idx] = float(p[idx]) - self.lr / (1 - self.beta1 ** self.t) * m[idx] / denom
