"""Check suites: one plain pytest module per assignment, named after it.

A check is a pytest test function marked with `graded(...)`: which API name it grades, how
many points it is worth, and its category. It takes the fixtures `student` (the student's
code; calls return `grader.engine.submission.Outcome`) and `ref` (torch's answers, from the bank),
and is usually parametrised over cases ordered from smallest to largest, so the first
failing case the runner reports is the smallest. A check earns its points only when every
case passes. The runner (grader.engine.runner) provides the fixtures and turns outcomes into points.

The `graded` marks are the one place a cell's points are written: a cell is worth the sum of
its checks' points (`cell_points`); the notebooks' test-cell metadata and README's Points
table are made from them by `python -m grader release` (grader.instructor.release).
"""
import dataclasses
import importlib

import numpy as np
import pytest

from grader.engine.compare import assert_close, assert_untouched

CATEGORIES = ("values", "options", "stability", "gradient", "contract")


def graded(api: str, points: float, category: str, public: bool = False):
    """Mark a check: `api` it grades, `points` it is worth, its `category`; `public` checks
    also run in the student's self-check (`grader.check`)."""
    if category not in CATEGORIES:
        raise ValueError(f"category must be one of {CATEGORIES}, not {category!r}")
    return pytest.mark.graded(api=api, points=points, category=category, public=public)


@dataclasses.dataclass(frozen=True)
class GradedCheck:
    """A check as its `graded` mark and docstring declare it."""

    api: str
    name: str             # the test function
    points: float
    category: str
    public: bool
    description: str      # the docstring's first line


def graded_checks(assignment: str) -> list[GradedCheck]:
    """The checks of an assignment's suite, in the order the suite defines them."""
    suite = importlib.import_module(f"grader.suites.{assignment}")
    found = []
    for name, fn in vars(suite).items():
        for mark in getattr(fn, "pytestmark", []) if name.startswith("test_") else []:
            if mark.name == "graded":
                kw = mark.kwargs
                found.append(GradedCheck(kw["api"], name, float(kw["points"]), kw["category"],
                                         bool(kw.get("public")), (fn.__doc__ or name).strip().splitlines()[0]))
    return found


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


def random_arrays(shapes, dtypes=(np.float64, np.float32), scale=3.0, seed=0):
    """pytest params of reproducible normal(0, scale) arrays, one per (shape, dtype), in the
    order given (list shapes from small to large)."""
    rng = np.random.default_rng(seed)
    params = []
    for shape in shapes:
        for dtype in dtypes:
            x = (scale * rng.standard_normal(shape)).astype(dtype)
            params.append(pytest.param(x, id=f"{np.dtype(dtype).name}{list(shape)}"))
    return params
