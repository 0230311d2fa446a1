"""The catalogue of known mistakes: wrong implementations with a name and a fix.

Each suite registers the mistakes students make for its functions:

    @mistake("softmax", "normalised over axis 0 instead of `axis`",
             fix="sum over the axis you are given", fails=["test_softmax_options"])
    def softmax_axis0(x, axis=-1): ...

When a check fails, `diagnose` runs every registered mistake for that function on the same
inputs; one whose answer matches the student's (and differs from torch's) is named: a
`Finding` (grader.engine.findings), shown on a line beginning `Likely mistake:` (a wrong
optimizer class is played through the same run by
grader.engine.driver, and its trajectory compared). A right answer is never diagnosed: diagnosis
only runs on a mismatch, and a mistake that agrees with torch on the input is not named.

The same implementations are the kit's "known-wrong" test subjects: the tests prove that
each fails exactly the checks in `fails`, and is named when it does.
"""
import dataclasses
import warnings
from collections.abc import Callable

import numpy as np

from grader.exercises import TRAINS, is_stateful
from grader.engine.bank import call_key
from grader.engine.closeness import differences, tolerance
from grader.engine.driver import play
from grader.engine.findings import Finding
from grader.engine.submission import Outcome, copies

CATALOGUE = {}   # api name -> [Mistake]

# Found by the contract checks (not by comparing values), for any function: (name, fix), as
# the suites pass them to @mistake(api, *IN_PLACE, ...).
IN_PLACE = ("an in-place update of the input (x -= ..., np.exp(x, out=x))",
            "compute into a new array, e.g. z = x - m instead of x -= m")
# The opposite, for stateful APIs (optimizers): the caller's params must change in place.
NOT_IN_PLACE = ("new arrays put in the params list instead of updating the params in place "
                "(the model's own arrays never change)",
                "update each array itself: p -= lr * g, or p[...] = new_value")

# What a wrong trainer answered, by (mistake, call): a trainer's run is long (the spirals' 2000
# steps: ~1.2 s for the six wrong trainers of a notebook that fails it) and a case with fixed
# inputs makes the same call for every student, so a grading process plays it once. An answer
# is a pure function of its call (it plays copies); the oldest entries go past MAX_TRAINED.
_trained: dict = {}
MAX_TRAINED = 256


@dataclasses.dataclass(frozen=True)
class Mistake:
    api: str
    name: str
    fix: str
    implementation: object
    fails: tuple          # the checks (test function names) this mistake must fail

    @property
    def finding(self) -> Finding:
        return Finding(self.name, self.fix)

    def line(self) -> str:
        return self.finding.line()

    def answer(self, args: tuple, kwargs: dict, part: str = "") -> np.ndarray | None:
        """What this wrong implementation answers to the call (played like the student's: an
        optimizer's run, a trainer, one part of the answer), or None if it fails."""
        if self.api not in TRAINS:
            return self._play(args, kwargs, part)
        key = (self, call_key(self.api, args, kwargs, part))
        if key not in _trained:
            if len(_trained) >= MAX_TRAINED:
                del _trained[next(iter(_trained))]
            _trained[key] = self._play(args, kwargs, part)
            if _trained[key] is not None:
                _trained[key].flags.writeable = False   # shared by later diagnoses
        return _trained[key]

    def _play(self, args, kwargs, part):
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            try:
                answer, _ = play(self.api, self.implementation, copies(args), copies(kwargs), part)
                return np.asarray(answer, dtype=np.float64)
            except Exception:
                return None


def mistake(api: str, name: str, fix: str, fails: list[str]) -> Callable:
    """Register the decorated function as a known wrong implementation of `api`."""
    def register(fn):
        CATALOGUE.setdefault(api, []).append(Mistake(api, name, fix, fn, tuple(fails)))
        return fn
    return register


def diagnose(outcome: Outcome, expected: np.ndarray) -> list[Finding]:
    """The known mistakes that explain a wrong answer (empty if nothing in the catalogue matches)."""
    if not outcome.ok:
        return []
    got, expected = outcome.value, np.asarray(expected)
    loose = tolerance(np.float32)  # students may compute in float32 what the mistake does in 64
    stateful = is_stateful(outcome.api)
    if stateful:
        # A wrong optimizer runs on the very params (same dtype) the student's did, so the
        # answer's own tolerance applies.
        loose = tolerance(expected.dtype)
    found = []
    for m in CATALOGUE.get(outcome.api, []):
        wrong = m.answer(outcome.args, outcome.kwargs, outcome.part)
        if wrong is None or wrong.shape != got.shape:
            continue
        if wrong.shape == expected.shape and not differences(wrong, expected, *tolerance(expected.dtype)):
            continue  # this mistake gives the right answer here: it cannot explain a wrong one
        if stateful and not np.array_equal(_still(got, outcome.args[0]), _still(wrong, outcome.args[0])):
            continue  # one never moved where the other did (a slow run is not a stuck one)
        if not differences(got, wrong, *loose):
            found.append(m.finding)
    return found


def _still(trajectory, params):
    """Where a run's params are exactly their starting values, step by step."""
    start = np.concatenate([np.ravel(p) for p in params]) if len(params) else np.zeros(0)
    return trajectory == start

