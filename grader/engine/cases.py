"""Cases as generators: a check's cases say how to draw their inputs, not what they are.

    @graded("softmax", points=2, category="options")
    @cases(Case("3d-axis1", lambda rng: (normal(rng, (2, 3, 4)), 1)), ...)
    def test_softmax_axis(student, ref, x, axis): ...

Each `Case` has an id that names its discriminating structure ("float64-gap",
"3d-axis-2") and a `draw(rng)` that makes the check's arguments (after `student` and `ref`)
from a random generator: one value for a check with one argument, else a tuple. The values,
shapes and positions come from the generator; the structure (a gap of about 1000 between two
logits, p exactly 0 or 1, axis != -1, a 0-d input) is the case's own. The runner draws each
case when it runs, from `Inputs.rng(check, case id)` (grader.engine.inputs): the public seed
for self-checks, the student's secret one while autograding.

A check is declared with `graded(...)` (a pytest mark) and `cases(...)` (a pytest
parametrisation whose values are `Drawn` placeholders), so a suite stays a plain pytest module
that pytest collects with the case ids as test ids. The runner (grader.engine.runner) does not
go through pytest, though: it reads the declarations (`graded_checks`) and calls each check
with the values drawn for each case.
"""
import dataclasses
import functools
import importlib
import inspect
from typing import Callable

import numpy as np
import pytest

_FIXTURES = ("student", "ref")


@dataclasses.dataclass(frozen=True)
class Case:
    id: str
    draw: Callable[[np.random.Generator], object]   # rng -> the check's argument(s)
    fixed: bool = False   # the draw ignores rng: the same public inputs for every student (public checks only)

    def arguments(self, rng: np.random.Generator, count: int) -> tuple:
        """The check's `count` arguments drawn from `rng`."""
        values = self.draw(rng)
        return (values,) if count == 1 else tuple(values)


@dataclasses.dataclass(frozen=True)
class Drawn:
    """Stands for argument `index` of `case` until the runner draws it."""
    case: Case
    index: int

    def __repr__(self):
        return f"<{self.case.id} argument {self.index}>"


def cases(*case_list: Case):
    """Parametrise a check over `case_list` (list them from the smallest to the largest: a
    report names the first failing case)."""
    ids = [c.id for c in case_list]
    if len(set(ids)) != len(ids):
        raise ValueError(f"case ids must be unique: {ids}")

    def decorate(fn):
        names = _drawn_parameters(fn)
        params = [pytest.param(*(Drawn(c, i) for i in range(len(names))), id=c.id) for c in case_list]
        fn.cases = tuple(case_list)
        return pytest.mark.parametrize(names, params)(fn)
    return decorate


CATEGORIES = ("values", "options", "stability", "gradient", "contract")


def graded(api: str, points: float, category: str, public: bool = False):
    """Mark a check: `api` it grades, `points` it is worth, its `category`; `public` checks
    also run in the student's self-check (`grader.check`), on public inputs."""
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
    cases: tuple = ()     # its Cases, smallest first
    function: Callable = dataclasses.field(default=None, compare=False, repr=False)   # the test function
    arguments: int = 0    # how many arguments it takes after `student` and `ref` (what a case draws)


@functools.cache
def graded_checks(assignment: str) -> tuple[GradedCheck, ...]:
    """The checks of an assignment's suite (grader.suites.<assignment>), in the order the suite
    defines them (the order they run in)."""
    suite = importlib.import_module(f"grader.suites.{assignment}")
    found = []
    for name, fn in vars(suite).items():
        for mark in getattr(fn, "pytestmark", []) if name.startswith("test_") else []:
            if mark.name == "graded":
                kw = mark.kwargs
                found.append(GradedCheck(kw["api"], name, float(kw["points"]), kw["category"],
                                         bool(kw.get("public")), (fn.__doc__ or name).strip().splitlines()[0],
                                         getattr(fn, "cases", ()), fn, len(_drawn_parameters(fn))))
    return tuple(found)


def _drawn_parameters(fn) -> list[str]:
    """A check's parameters after the fixtures `student` and `ref`: what its cases draw."""
    return [p for p in inspect.signature(fn).parameters if p not in _FIXTURES]
