"""Checks for the optimizers assignment: the classes SGD and Adam, against torch.optim.

Each case is a run (grader.engine.driver): params, the constructor's hyper-parameters, the gradients
of every step (given, or computed from the current params on a loss surface) and an optional
learning-rate schedule. The student's class and torch's play the same run and their params
are compared after every step; a report names the first step and param where they part.

Every case uses two or more param arrays of different shapes, float64 and float32. The grid
is built to tell apart the variants that agree on an easy problem (a single quadratic with
default settings passes several wrong Adams): each option check turns on one option on top
of momentum (SGD) or ordinary gradients (Adam) and leaves the others at their defaults, so a
mistake in one option costs that option's points only.
- dampening != 0, where a zero-initialised momentum buffer differs from torch's buf = g;
- nesterov, weight decay with momentum (coupled L2 vs decoupled "AdamW style" decay);
- the learning rate changed mid-run (a velocity that folds lr in matches only while lr is
  constant; an lr read once at construction ignores the change);
- eps 0.1 on ordinary gradients, and eps 1e-6 / 1e-8 with gradients of the same size or
  smaller (eps inside the sqrt, or before bias correction, agree with torch within
  tolerance on ordinary gradients with the default eps, so other cases keep them ordinary);
- amsgrad with gradients that shrink, so the raw second moment decreases;
- exact zero gradients (no eps: 0/0);
- bias correction is visible from the first step with any settings.
"""
import dataclasses

import numpy as np

from grader.engine.compare import assert_raises, assert_trajectory_close, assert_updated_in_place
from grader.engine.mistakes import NOT_IN_PLACE, mistake
from grader.suites import Case, cases, graded, normal, shape, signs, uniform

F64, F32 = np.float64, np.float32


@dataclasses.dataclass(frozen=True)
class Vary:
    """A hyper-parameter (or a new learning rate) drawn from `low` to `high` for each run."""
    low: float
    high: float


def _draw(rng, value):
    """`value` with every Vary in it drawn (a Python float, as a student's code would get)."""
    if isinstance(value, Vary):
        return float(uniform(rng, value.low, value.high))
    if isinstance(value, tuple):
        return tuple(_draw(rng, v) for v in value)
    return value


def two_shapes(rng):
    """Two param arrays of different shapes: a vector and a matrix."""
    return [shape(rng, 1, 2, 5), shape(rng, 2, 2, 4)]


def contract_shapes(rng):
    """Four params: a matrix, a vector, a 0-d one and a 3-D one."""
    return [shape(rng, 2, 2, 4), shape(rng, 1, 2, 5), (), (1, *shape(rng, 2, 2, 3))]


def make_grads(rng, params, scales, zero=None):
    """One list of gradients per step, like the params, of size `scales[k]` at step k (times
    one factor from 0.7 to 1.4 for the whole run). `zero` masks entries (and whole params)
    whose gradient is exactly 0 at every step."""
    factor = float(uniform(rng, 0.7, 1.4))
    steps = []
    for scale in scales:
        # sizes within a factor of 3 of `scale`: no accidental tiny entries, so eps only
        # matters where a case makes it matter
        grads = [(scale * factor * signs(rng, p.shape) * uniform(rng, 0.5, 1.5, p.shape)).astype(p.dtype)
                 for p in params]
        if zero is not None:
            grads = [np.where(z, 0, g).astype(g.dtype) for g, z in zip(grads, zero)]
        steps.append(grads)
    return steps


def _frozen(rng, params):
    """Where gradients are exactly 0: some entries of the first param (not all), all of the
    second (a frozen param)."""
    first = np.zeros(params[0].shape, bool)
    first[rng.permutation(first.size)[:max(1, first.size // 2)]] = True
    return [first] + [np.ones(p.shape, bool) for p in params[1:]]


def run(case_id, hyper, scales=(1.0, 2.0, 0.5, 1.5), dtype=F64, schedule=None, shapes=two_shapes, zero=False,
        size=1.0):
    """A case of one run: random params of `shapes(rng)`, given gradients of the sizes in
    `scales` (times `size`), constructor arguments `hyper` and learning-rate `schedule`
    ({step: lr}), with every Vary in them drawn."""
    def draw(rng):
        params = [normal(rng, s, 1.0, dtype) for s in shapes(rng)]
        grads = make_grads(rng, params, [size * s for s in scales], _frozen(rng, params) if zero else None)
        return params, _draw(rng, tuple(hyper)), grads, _schedule(rng, schedule)
    return Case(case_id, draw)


def _schedule(rng, schedule):
    return None if schedule is None else {step: _draw(rng, lr) for step, lr in schedule.items()}


def on_surface(case_id, hyper, surface, steps, dtype=F64, schedule=None):
    """A run that computes each step's gradients from the current params (a training path),
    from a random start near (-1.2, 1.0), (0.5, -0.5, 1.5, 0.3)."""
    def draw(rng):
        start = [np.array([-1.2, 1.0]) + normal(rng, (2,), 0.2),
                 np.array([[0.5, -0.5], [1.5, 0.3]]) + normal(rng, (2, 2), 0.2)]
        return [p.astype(dtype) for p in start], _draw(rng, tuple(hyper)), (surface, steps), _schedule(rng, schedule)
    return Case(case_id, draw)


def follows_torch(student_run, ref_run, params, hyper, grads, schedule):
    """The shared body of the value checks: the same params as torch after every step."""
    got = student_run(params, hyper, grads, schedule)
    want = ref_run(params, hyper, grads, schedule)
    assert_trajectory_close(got, want)
    return got, want


SHRINKING = (1.0, 0.01, 0.01, 0.01, 0.01, 0.01)   # the second moment decreases after step 1
LR = Vary(0.05, 0.15)
MOMENTUM = Vary(0.8, 0.95)

# --- SGD -------------------------------------------------------------------------------

SGD_VALUES = [
    run("float64-plain", (LR,)),
    run("float32-plain", (LR,), dtype=F32),
    run("float64-momentum", (LR, MOMENTUM)),
    run("float32-momentum", (Vary(0.03, 0.07), MOMENTUM), dtype=F32),
    on_surface("float64-momentum-quadratic-30-steps", (Vary(0.015, 0.025), MOMENTUM), "quadratic", 30),
]
SGD_DAMPENING = [
    run("float64-dampening", (LR, MOMENTUM, Vary(0.3, 0.7))),
    run("float32-dampening", (LR, MOMENTUM, Vary(0.3, 0.7)), dtype=F32),
    on_surface("float64-dampening-quadratic-20-steps", (Vary(0.015, 0.025), MOMENTUM, Vary(0.05, 0.2)),
               "quadratic", 20),
]
SGD_NESTEROV = [
    run("float64-nesterov", (LR, MOMENTUM, 0.0, 0.0, True)),
    run("float32-nesterov", (LR, MOMENTUM, 0.0, 0.0, True), dtype=F32),
    on_surface("float64-nesterov-quadratic-20-steps", (Vary(0.015, 0.025), MOMENTUM, 0.0, 0.0, True),
               "quadratic", 20),
]
SGD_WEIGHT_DECAY = [
    run("float64-wd", (LR, 0.0, 0.0, Vary(0.05, 0.2))),
    run("float64-wd-momentum", (LR, MOMENTUM, 0.0, Vary(0.05, 0.2))),
    run("float32-wd-momentum", (LR, MOMENTUM, 0.0, Vary(0.03, 0.1)), dtype=F32),
]
SGD_SCHEDULE = [
    run("float64-lr-changed-at-step-3", (LR, MOMENTUM), scales=(1.0,) * 6,
        schedule={3: Vary(0.005, 0.02), 5: Vary(0.2, 0.4)}),
    run("float32-lr-changed-at-step-2", (LR, MOMENTUM), scales=(1.0,) * 5, dtype=F32, schedule={2: Vary(0.3, 0.6)}),
    run("float64-no-momentum-lr-changed", (LR,), scales=(1.0,) * 4, schedule={3: Vary(0.01, 0.03)}),
]
SGD_CONTRACT = [
    run("float32-4-params-0d-and-3d", (LR, MOMENTUM), shapes=contract_shapes, dtype=F32),
    run("float64-4-params-0d-and-3d", (LR,), shapes=contract_shapes),
]
SGD_INVALID = [
    run("nesterov-without-momentum", (LR, 0.0, 0.0, 0.0, True), scales=(1.0,)),
    run("nesterov-with-dampening", (LR, MOMENTUM, Vary(0.3, 0.7), 0.0, True), scales=(1.0,)),
]


@graded("SGD", points=2, category="values", public=True)
@cases(*SGD_VALUES)
def test_SGD_values(student, ref, params, hyper, grads, schedule):
    """matches torch.optim.SGD step by step, without and with momentum"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="options")
@cases(*SGD_DAMPENING)
def test_SGD_dampening(student, ref, params, hyper, grads, schedule):
    """dampening != 0: the first step's buffer is the gradient itself, undamped"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="options")
@cases(*SGD_NESTEROV)
def test_SGD_nesterov(student, ref, params, hyper, grads, schedule):
    """nesterov=True: steps along g + momentum * (updated buffer)"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="options")
@cases(*SGD_WEIGHT_DECAY)
def test_SGD_weight_decay(student, ref, params, hyper, grads, schedule):
    """weight_decay adds wd * p to the gradient before momentum (L2, as torch does)"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="options")
@cases(*SGD_SCHEDULE)
def test_SGD_lr_schedule(student, ref, params, hyper, grads, schedule):
    """a new opt.lr set between steps applies from the next step, as in torch"""
    follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)


@graded("SGD", points=1, category="contract")
@cases(*SGD_CONTRACT)
def test_SGD_contract(student, ref, params, hyper, grads, schedule):
    """updates the caller's param arrays in place, for params of any shape (0-d and 3-D too)"""
    got, want = follows_torch(student.SGD, ref.SGD, params, hyper, grads, schedule)
    assert_updated_in_place(got, want)


NESTEROV_NEEDS = "Nesterov momentum requires a momentum and zero dampening"


@graded("SGD", points=1, category="contract")
@cases(*SGD_INVALID)
def test_SGD_invalid_nesterov(student, ref, params, hyper, grads, schedule):
    """raises ValueError like torch for nesterov=True without momentum or with dampening"""
    assert_raises(student.SGD(params, hyper, grads, schedule), "ValueError", NESTEROV_NEEDS,
                  mistake=NO_NESTEROV_CHECK)


# --- Adam ------------------------------------------------------------------------------

BETAS = (Vary(0.85, 0.93), Vary(0.99, 0.9995))
# Adam's steps do not depend on the gradients' scale, except through eps: where eps must not
# matter, gradients are about 10 (an eps added inside the sqrt or before bias correction then
# moves no param by more than 1e-8 in 6 steps; about 1 would be near float64's tolerance).
BIG = 10.0
ADAM_VALUES = [
    run("float64-defaults", (), size=BIG),
    run("float64-lr", (LR,), scales=(1.0, 3.0, 0.5, 2.0, 1.0), size=BIG),
    run("float32-lr", (LR,), scales=(1.0, 3.0, 0.5, 2.0, 1.0), dtype=F32, size=BIG),
    run("float64-betas", (Vary(0.03, 0.07), (Vary(0.75, 0.85), Vary(0.98, 0.995))), scales=(2.0, 0.5, 1.0, 1.0),
        size=BIG),
    on_surface("float64-rosenbrock-30-steps", (Vary(0.03, 0.07),), "rosenbrock", 30),
]
ADAM_EPS = [
    run("float64-eps0.1", (LR, BETAS, Vary(0.05, 0.2))),
    run("float32-eps0.1", (LR, BETAS, Vary(0.05, 0.2)), dtype=F32),
    run("float64-eps1e-6-gradients-1e-6", (LR, BETAS, Vary(0.5e-6, 2e-6)), scales=(1e-6, 2e-6, 5e-7, 1e-6)),
    run("float64-default-eps-gradients-1e-9", (LR,), scales=(1e-9, 3e-9, 1e-9, 2e-9)),
]
ADAM_AMSGRAD = [
    run("float64-shrinking-gradients", (LR, (Vary(0.85, 0.93), Vary(0.98, 0.995)), 1e-8, 0.0, True),
        scales=SHRINKING, size=BIG),
    run("float32-shrinking-gradients", (LR, (Vary(0.85, 0.93), Vary(0.98, 0.995)), 1e-8, 0.0, True),
        scales=SHRINKING, dtype=F32, size=BIG),
    run("float64-default-betas", (LR, (0.9, 0.999), 1e-8, 0.0, True), scales=(10.0, 1.0, 0.5, 0.5, 0.5), size=BIG),
]
ADAM_WEIGHT_DECAY = [
    run("float64-wd", (LR, BETAS, 1e-8, Vary(0.05, 0.2)), size=BIG),
    run("float32-wd", (LR, BETAS, 1e-8, Vary(0.3, 0.7)), dtype=F32, size=BIG),
]
ADAM_SCHEDULE = [
    run("float64-lr-changed-at-step-3", (LR,), scales=(1.0,) * 6,
        schedule={3: Vary(0.005, 0.02), 5: Vary(0.2, 0.4)}, size=BIG),
    run("float32-lr-changed-at-step-2", (LR,), scales=(1.0,) * 4, dtype=F32, schedule={2: Vary(0.3, 0.6)},
        size=BIG),
]
ADAM_ZERO_GRADIENTS = [
    run("float64-zero-gradients", (LR,), zero=True, size=BIG),
    run("float32-zero-gradients", (LR,), zero=True, dtype=F32, size=BIG),
]
ADAM_CONTRACT = [
    run("float32-4-params-0d-and-3d", (LR,), shapes=contract_shapes, dtype=F32, size=BIG),
    run("float64-4-params-0d-and-3d", (Vary(0.005, 0.02), (Vary(0.75, 0.85), Vary(0.85, 0.95))),
        shapes=contract_shapes, size=BIG),
]


@graded("Adam", points=2, category="values", public=True)
@cases(*ADAM_VALUES)
def test_Adam_values(student, ref, params, hyper, grads, schedule):
    """matches torch.optim.Adam step by step (defaults, other lr and betas, a 30-step path)"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="options")
@cases(*ADAM_EPS)
def test_Adam_eps(student, ref, params, hyper, grads, schedule):
    """eps is added outside the sqrt, after bias correction (large eps, tiny gradients)"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="options")
@cases(*ADAM_AMSGRAD)
def test_Adam_amsgrad(student, ref, params, hyper, grads, schedule):
    """amsgrad=True keeps the running max of the raw second moment (shrinking gradients)"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="options")
@cases(*ADAM_WEIGHT_DECAY)
def test_Adam_weight_decay(student, ref, params, hyper, grads, schedule):
    """weight_decay adds wd * p to the gradient (L2, coupled), not AdamW's decoupled decay"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="options")
@cases(*ADAM_SCHEDULE)
def test_Adam_lr_schedule(student, ref, params, hyper, grads, schedule):
    """a new opt.lr set between steps applies from the next step, as in torch"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="stability")
@cases(*ADAM_ZERO_GRADIENTS)
def test_Adam_zero_gradients(student, ref, params, hyper, grads, schedule):
    """exact zero gradients (a frozen param) leave those entries unchanged, never NaN"""
    follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)


@graded("Adam", points=1, category="contract")
@cases(*ADAM_CONTRACT)
def test_Adam_contract(student, ref, params, hyper, grads, schedule):
    """updates the caller's param arrays in place, for params of any shape (0-d and 3-D too)"""
    got, want = follows_torch(student.Adam, ref.Adam, params, hyper, grads, schedule)
    assert_updated_in_place(got, want)


# --- known mistakes --------------------------------------------------------------------
# Wrong optimizers students really write, each a small change to a plain numpy version
# (_SGD, _Adam) so that it is wrong in one way only; `fails` lists the checks it must fail
# (the kit's tests prove it, and that it is named when it does). Both versions step with
# update(i, delta) (p -= delta) and read the learning rate through rate(), so the mixins
# below give either one the same wrong habit.

class _Rebinds:
    def update(self, i, delta):
        p = self.params[i]
        p = p - delta  # noqa: F841 (the mistake: only the local name changes)


class _Replaces:
    def update(self, i, delta):
        self.params[i] = self.params[i] - delta


class _FixedLr:
    def __init__(self, params, lr=1e-3, *args):
        super().__init__(params, lr, *args)
        self._lr = lr

    def rate(self):
        return self._lr


REBINDS = ("a local name rebound (p = p - lr*...), so the params never change",
           "update the array itself: p -= lr * ...")
FIXED_LR = ("the learning rate was read once in __init__, so changing opt.lr does nothing",
            "keep it in self.lr and read self.lr in every step()")


class _SGD:
    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0, nesterov=False):
        self.check(momentum, dampening, nesterov)
        self.params, self.lr, self.momentum, self.dampening = params, lr, momentum, dampening
        self.weight_decay, self.nesterov = weight_decay, nesterov
        self.buf = [None] * len(params)

    def check(self, momentum, dampening, nesterov):
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError(NESTEROV_NEEDS)

    def step(self, grads):
        for i, g in enumerate(grads):
            g = self.decay(self.params[i], g)
            if self.momentum:
                old, self.buf[i] = self.buf[i], self.velocity(self.buf[i], g)
                g = self.direction(g, self.buf[i], old)
            self.update(i, self.rate() * g)

    def decay(self, p, g):
        return g + self.weight_decay * p

    def velocity(self, buf, g):
        return g.copy() if buf is None else self.momentum * buf + (1 - self.dampening) * g

    def direction(self, g, buf, old):
        return g + self.momentum * buf if self.nesterov else buf

    def rate(self):
        return self.lr

    def update(self, i, delta):
        self.params[i] -= delta


ALL_SGD = ["test_SGD_values", "test_SGD_dampening", "test_SGD_nesterov", "test_SGD_weight_decay",
           "test_SGD_lr_schedule", "test_SGD_contract"]
NO_NESTEROV_CHECK = ("accepted nesterov=True without momentum (or with dampening)",
                     "in __init__: if nesterov and (momentum <= 0 or dampening != 0): raise ValueError(...)")


@mistake("SGD", "momentum buffer initialised to zeros, so dampening also shrinks the first step",
         fix="on the first step set buf = g.copy() (no dampening); afterwards buf = momentum*buf + (1-dampening)*g",
         fails=["test_SGD_dampening"])
class SGDZeroBuffer(_SGD):
    def velocity(self, buf, g):
        return self.momentum * (0 if buf is None else buf) + (1 - self.dampening) * g


@mistake("SGD", "dampening ignored", fix="buf = momentum*buf + (1-dampening)*g after the first step",
         fails=["test_SGD_dampening"])
class SGDNoDampening(_SGD):
    def velocity(self, buf, g):
        return g.copy() if buf is None else self.momentum * buf + g


@mistake("SGD", "nesterov ignored (a plain momentum step)",
         fix="with nesterov=True step along g + momentum*buf, using the buffer just updated",
         fails=["test_SGD_nesterov"])
class SGDNoNesterov(_SGD):
    def direction(self, g, buf, old):
        return buf


@mistake("SGD", "the Nesterov step used the buffer from before this step's update",
         fix="update buf first (buf = momentum*buf + g), then step along g + momentum*buf",
         fails=["test_SGD_nesterov"])
class SGDNesterovOldBuffer(_SGD):
    def direction(self, g, buf, old):
        return g + self.momentum * (0 if old is None else old) if self.nesterov else buf


@mistake("SGD", "weight decay decoupled from the gradient (p -= lr*wd*p on its own, AdamW style)",
         fix="torch's SGD adds wd*p to the gradient first (g = g + wd*p), so it enters the momentum buffer too",
         fails=["test_SGD_weight_decay"])
class SGDDecoupledDecay(_SGD):
    def decay(self, p, g):
        p -= self.lr * self.weight_decay * p
        return g


@mistake("SGD", "weight_decay ignored", fix="g = g + weight_decay * p before the momentum step",
         fails=["test_SGD_weight_decay"])
class SGDNoDecay(_SGD):
    def decay(self, p, g):
        return g


@mistake("SGD", "a velocity with the learning rate folded in (v = momentum*v + lr*g; p -= v): "
         "right only while lr is constant",
         fix="keep lr out of the buffer (buf = momentum*buf + g) and use the current lr: p -= lr*buf",
         fails=["test_SGD_lr_schedule"])
class SGDVelocityWithLr(_SGD):
    def velocity(self, v, g):
        return self.lr * g if v is None else self.momentum * v + (1 - self.dampening) * self.lr * g

    def direction(self, g, v, old):   # update() multiplies by lr again: p -= v
        return (self.lr * g + self.momentum * v if self.nesterov else v) / self.lr


@mistake("SGD", *FIXED_LR, fails=["test_SGD_lr_schedule"])
class SGDFixedLr(_FixedLr, _SGD):
    pass


@mistake("SGD", "momentum ignored", fix="keep a buffer per param: buf = g on the first step, then "
         "buf = momentum*buf + (1-dampening)*g, and step along buf",
         fails=["test_SGD_values", "test_SGD_dampening", "test_SGD_nesterov", "test_SGD_weight_decay",
                "test_SGD_lr_schedule", "test_SGD_contract"])
class SGDNoMomentum(_SGD):
    def velocity(self, buf, g):
        return g

    def direction(self, g, buf, old):
        return g


@mistake("SGD", *REBINDS, fails=ALL_SGD)
class SGDRebinds(_Rebinds, _SGD):
    pass


@mistake("SGD", *NOT_IN_PLACE, fails=["test_SGD_contract"])
class SGDReplaces(_Replaces, _SGD):
    pass


@mistake("SGD", *NO_NESTEROV_CHECK, fails=["test_SGD_invalid_nesterov"])
class SGDNoNesterovCheck(_SGD):
    def check(self, momentum, dampening, nesterov):
        pass


class _Adam:
    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, amsgrad=False):
        self.params, self.lr, self.betas, self.eps = params, lr, betas, eps
        self.weight_decay, self.amsgrad = weight_decay, amsgrad
        self.t = 0
        self.m = [np.zeros_like(p) for p in params]
        self.v = [np.zeros_like(p) for p in params]
        self.vmax = [np.zeros_like(p) for p in params]

    def step(self, grads):
        self.t += 1
        for i, g in enumerate(grads):
            self.step_param(i, g)

    def step_param(self, i, g):
        b1, b2 = self.betas
        g = self.decay(self.params[i], g)
        self.m[i] = b1 * self.m[i] + (1 - b1) * g
        self.v[i] = b2 * self.v[i] + (1 - b2) * g * g
        c1, c2 = self.corrections()
        denom = self.denominator(self.second_moment(i), c2)
        self.update(i, self.rate() * (self.m[i] / c1) / denom)

    def decay(self, p, g):
        return g + self.weight_decay * p

    def corrections(self):
        return 1 - self.betas[0] ** self.t, 1 - self.betas[1] ** self.t

    def second_moment(self, i):
        if not self.amsgrad:
            return self.v[i]
        self.vmax[i] = np.maximum(self.vmax[i], self.v[i])
        return self.vmax[i]

    def denominator(self, v, c2):
        return np.sqrt(v) / np.sqrt(c2) + self.eps

    def rate(self):
        return self.lr

    def update(self, i, delta):
        self.params[i] -= delta


ALL_ADAM = ["test_Adam_values", "test_Adam_eps", "test_Adam_amsgrad", "test_Adam_weight_decay",
            "test_Adam_lr_schedule", "test_Adam_zero_gradients", "test_Adam_contract"]


@mistake("Adam", "no bias correction: m and v start at 0, so the first steps have the wrong size",
         fix="divide m by (1 - beta1**t) and v by (1 - beta2**t), with t counting steps from 1",
         fails=ALL_ADAM)
class AdamNoBiasCorrection(_Adam):
    def corrections(self):
        return 1.0, 1.0


@mistake("Adam", "eps inside the square root: sqrt(v_hat + eps)",
         fix="torch adds eps outside: denom = sqrt(v_hat) + eps", fails=["test_Adam_eps"])
class AdamEpsInsideSqrt(_Adam):
    def denominator(self, v, c2):
        return np.sqrt(v / c2 + self.eps)


@mistake("Adam", "eps added before bias correction (the paper's folded step size lr*sqrt(1-beta2**t)/(1-beta1**t))",
         fix="torch corrects v first: denom = sqrt(v) / sqrt(1 - beta2**t) + eps", fails=["test_Adam_eps"])
class AdamEpsBeforeCorrection(_Adam):
    def denominator(self, v, c2):
        return (np.sqrt(v) + self.eps) / np.sqrt(c2)


@mistake("Adam", "no eps: m_hat / sqrt(v_hat) is 0/0 = NaN where the gradient is 0",
         fix="denom = sqrt(v_hat) + eps", fails=["test_Adam_eps", "test_Adam_zero_gradients"])
class AdamNoEps(_Adam):
    def denominator(self, v, c2):
        return np.sqrt(v / c2)


@mistake("Adam", "amsgrad ignored", fix="with amsgrad=True use vmax = maximum(vmax, v) in place of v",
         fails=["test_Adam_amsgrad"])
class AdamNoAmsgrad(_Adam):
    def second_moment(self, i):
        return self.v[i]


@mistake("Adam", "amsgrad took the max of the bias-corrected v_hat, not of the raw v",
         fix="torch keeps vmax = maximum(vmax, v) of the raw v, then divides by (1 - beta2**t)",
         fails=["test_Adam_amsgrad"])
class AdamAmsgradCorrectedMax(_Adam):
    def second_moment(self, i):
        if not self.amsgrad:
            return self.v[i]
        c2 = self.corrections()[1]
        self.vmax[i] = np.maximum(self.vmax[i], self.v[i] / c2)
        return self.vmax[i] * c2


@mistake("Adam", "weight decay decoupled (AdamW: p -= lr*wd*p) instead of Adam's L2 term",
         fix="torch's Adam adds wd*p to the gradient before the moments: g = g + wd*p",
         fails=["test_Adam_weight_decay"])
class AdamDecoupledDecay(_Adam):
    def decay(self, p, g):
        p -= self.lr * self.weight_decay * p
        return g


@mistake("Adam", "weight_decay ignored", fix="g = g + weight_decay * p before updating m and v",
         fails=["test_Adam_weight_decay"])
class AdamNoDecay(_Adam):
    def decay(self, p, g):
        return g


@mistake("Adam", *FIXED_LR, fails=["test_Adam_lr_schedule"])
class AdamFixedLr(_FixedLr, _Adam):
    pass


@mistake("Adam", "the step count t advanced once per param array, not once per step()",
         fix="increment t once at the start of step(), outside the loop over params", fails=ALL_ADAM)
class AdamStepPerArray(_Adam):
    def step(self, grads):
        for i, g in enumerate(grads):
            self.t += 1
            self.step_param(i, g)


@mistake("Adam", *REBINDS, fails=ALL_ADAM)
class AdamRebinds(_Rebinds, _Adam):
    pass


@mistake("Adam", *NOT_IN_PLACE, fails=["test_Adam_contract"])
class AdamReplaces(_Replaces, _Adam):
    pass
