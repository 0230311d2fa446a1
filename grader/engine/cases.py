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

To pytest, a case is a parametrisation whose values are `Drawn` placeholders; the runner's
plugin replaces them with the drawn values just before the check runs.
"""
import dataclasses
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
    count: int

    def __repr__(self):
        return f"<{self.case.id} argument {self.index}>"


def cases(*case_list: Case):
    """Parametrise a check over `case_list` (list them from the smallest to the largest: a
    report names the first failing case)."""
    ids = [c.id for c in case_list]
    if len(set(ids)) != len(ids):
        raise ValueError(f"case ids must be unique: {ids}")

    def decorate(fn):
        names = [p for p in inspect.signature(fn).parameters if p not in _FIXTURES]
        params = [pytest.param(*(Drawn(c, i, len(names)) for i in range(len(names))), id=c.id)
                  for c in case_list]
        fn.cases = tuple(case_list)
        return pytest.mark.parametrize(names, params)(fn)
    return decorate


def draw_arguments(funcargs: dict, rng_for: Callable[[], np.random.Generator]) -> None:
    """Replace the `Drawn` placeholders in a test item's arguments by their values (in place);
    `rng_for()` gives the case's generator, asked for only if the item has placeholders."""
    placeholders = {name: v for name, v in funcargs.items() if isinstance(v, Drawn)}
    if not placeholders:
        return
    first = next(iter(placeholders.values()))
    values = first.case.arguments(rng_for(), first.count)
    for name, v in placeholders.items():
        funcargs[name] = values[v.index]
