# fay: wrong answers (steps up the gradient instead of down, no state), and every test cell
# tagged `skip-execution` (plain nbgrader would give full marks for cells it skipped). Must
# earn nothing.

CELL_TAGS = {"test_SGD": ["skip-execution"], "test_Adam": ["skip-execution"]}


class SGD:
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.params = params
        self.lr = lr

    def step(self, grads):
        for p, g in zip(self.params, grads):
            p += self.lr * g


class Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params = params
        self.lr = lr

    def step(self, grads):
        for p, g in zip(self.params, grads):
            p += self.lr * g
