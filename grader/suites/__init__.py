"""Check suites: one plain pytest module per assignment, named after it.

A check is a pytest test function marked with `graded(...)`: which API name it grades, how
many points it is worth, and its category. It takes the fixtures `student` (the student's
code; calls return `grader.engine.submission.Outcome`) and `ref` (torch's answers), and its
cases are generators (`@cases(Case(id, draw), ...)`, grader.engine.cases), ordered from
smallest to largest so that the first failing case the runner reports is the smallest. A
case's id names its discriminating structure; `draw(rng)` makes its inputs, with values,
shapes and positions taken from `rng`: the public seed for self-checks, the student's secret
one while autograding (grader.engine.inputs). A check earns its points only when every case
passes. The runner (grader.engine.runner) provides the fixtures and turns outcomes into points.

Two rules make a case fair and discriminating for every seed: what it draws keeps the
structure its id promises whatever the generator gives (sizes of at least 2 where an axis
must differ from another, a gap of at least 800 where exp must underflow, ...), and what it
asks of `student` does not depend on the student's answers. The kit's tests hold every suite
to both over hundreds of seeds (tests/test_secret.py).

The `graded` marks are the one place a cell's points are written: a cell is worth the sum of
its checks' points (`cell_points`); the notebooks' test-cell metadata and README's Points
table are made from them by `python -m grader release` (grader.instructor.release).
"""
import math
import os

import numpy as np
from grader.engine.cases import CATEGORIES, Case, GradedCheck, cases, graded, graded_checks
from grader.engine.compare import assert_close, assert_untouched

__all__ = ["CATEGORIES", "Case", "cases", "graded", "graded_checks", "cell_points", "matches_torch", "array", "shape", "normal", "uniform",
           "signs", "exact_normal", "exact_uniform", "exact_distribution", "exact_log"]

def cell_points(assignment: str) -> dict[str, float]:
    """{API name: what its graded cell `test_<name>` is worth}: its checks' points added up."""
    points = {}
    for check in graded_checks(assignment):
        points[check.api] = points.get(check.api, 0.0) + check.points
    return points


def matches_torch(student_fn, ref_fn, *args):
    """The shared body of most checks: the student's answer to the call equals torch's, and
    the call left its inputs unchanged. `args` go to both positionally (options included, so
    students may name their parameters as they like)."""
    got = student_fn(*args)
    assert_close(got, ref_fn(*args))
    assert_untouched(got)


def array(values, dtype=np.float64):
    return np.array(values, dtype=dtype)


# --- drawing a case's inputs ------------------------------------------------------------

def shape(rng, ndim, low=2, high=5):
    """A random shape of `ndim` axes, each of size `low` to `high` (both included)."""
    return tuple(int(n) for n in rng.integers(low, high + 1, ndim))


def normal(rng, shape, scale=1.0, dtype=np.float64):
    """Roughly normal(0, scale) values of `dtype` (exact_normal), within +-3.5 scale."""
    return exact_normal(rng, shape, scale).astype(dtype)


def uniform(rng, low, high, shape=(), dtype=np.float64):
    """Uniform values from `low` to `high` (exact_uniform) of `dtype`."""
    return np.asarray(exact_uniform(rng, low, high, shape)).astype(dtype)


def signs(rng, shape=()):
    """Random -1.0 or +1.0 values."""
    return np.asarray(rng.integers(0, 2, shape) * 2 - 1, dtype=np.float64)


# --- portable inputs -------------------------------------------------------------------
# Every input a check makes is bit-identical on every CPU: it is made from numpy's integer
# streams (`rng.integers`, pure integer arithmetic) with exactly rounded operations only
# (+ - * /, sqrt, casts), each its own numpy call so that no compiler fuses two into an FMA.
# numpy's exp/log/power (and so standard_normal, geomspace, a log-softmax) give other last
# bits under other SIMD kernels (AVX2 vs AVX-512) or another libm; the bank's references were
# computed for inputs with the builder's bits (grader.engine.bank serves a reference only for
# the very inputs it was made for), and the tests build the suites under several numpy
# dispatch levels to prove the inputs do not change.

def exact_normal(rng, shape, scale=1.0):
    """Roughly normal(0, scale) values, within +-3.5 scale: a sum of four uniform integers
    (Irwin-Hall), centred and scaled by exactly rounded operations."""
    total = rng.integers(0, 2**20, (4, *shape)).sum(axis=0) - 2 * 2**20   # exact int64
    return total * (scale * math.sqrt(3) / 2**20)                          # var(sum) = 4/12


def exact_uniform(rng, low, high, shape, steps=2**20):
    """Uniform values on a grid of `steps` + 1 points from `low` to `high` (both included)."""
    return low + rng.integers(0, steps + 1, shape) * ((high - low) / steps)


def exact_distribution(rng, shape, least=1, most=100):
    """Probabilities over the last axis of `shape`: integer weights in [least, most] divided by
    their (exact, integer) sum, so each is the exactly rounded fraction."""
    weights = rng.integers(least, most + 1, shape)
    return weights / weights.sum(axis=-1, keepdims=True)


_LN2 = 0.6931471805599453   # log(2), correctly rounded


def exact_log(x):
    """The natural log of positive float64 values from exactly rounded operations only (a few
    ULPs from np.log, and the same bits on every CPU): x = m 2^e with m in [sqrt(1/2), sqrt(2)),
    log m = 2 atanh(s) with s = (m - 1)/(m + 1), |s| < 0.172, summed to 1e-18 as a series."""
    m, e = np.frexp(np.asarray(x, dtype=np.float64))
    low = m < math.sqrt(0.5)
    m = np.where(low, m * 2, m)                 # exact: times a power of two
    e = np.where(low, e - 1, e)
    s = (m - 1) / (m + 1)
    s2 = s * s
    series = np.zeros_like(s)
    for k in range(12, -1, -1):                 # Horner: sum_k s2^k / (2k + 1)
        series = series * s2 + 1 / (2 * k + 1)
    return e * _LN2 + 2 * s * series


# --- references published for the notebooks' figures ----------------------------------
# A suite may list references its notebook shows students (torch's loss curve beside theirs):
# PUBLISHED = {name: the bank's case key}. `python -m grader bank` copies them from the bank
# into grader/data/<assignment>.npz, which the grading sandbox does not hide (it hides the
# bank), so the figures render while autograding and in feedback too.
DATA_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def published_path(assignment):
    return os.path.join(DATA_DIR, f"{assignment}.npz")


def published(assignment, name):
    """A reference published for `assignment`'s notebook (see PUBLISHED)."""
    with np.load(published_path(assignment), allow_pickle=False) as data:
        return data[name]

