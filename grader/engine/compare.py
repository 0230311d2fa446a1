"""The comparison engine: is the student's answer torch's, and if not, what differs?

`assert_close(outcome, expected)` raises `Mismatch` with a report in the manner of
`torch.testing.assert_close`: the call and its inputs, expected vs got, how many elements
differ, the greatest absolute and relative difference and where, NaN/inf where torch has
finite values, shape and dtype problems, and `Likely mistake:` lines from the catalogue.
Tolerances are torch's defaults for the dtype of the reference (so float64 answers to
float32 inputs pass: fairness), with NaN equal to NaN and inf to inf of the same sign.
"""
import contextlib
import functools
from collections.abc import Callable

import numpy as np

from grader.engine import driver, mistakes
from grader.engine.closeness import differences, first_mismatch, index_text, num, tolerance
from grader.engine.findings import Finding
from grader.engine.submission import Outcome, Problem
from grader.engine.submission import NUMPY_PRINT_OPTIONS
from grader.exercises import is_stateful, parameter_names


class Mismatch(AssertionError):
    """The student's answer is wrong; the message says how, and `findings` name the known
    mistakes that explain it (shown after the message, one `Likely mistake:` line each). Not
    an error of the grader."""

    def __init__(self, message: str, findings: list[Finding] | tuple = (), outcome: Outcome | None = None,
                 expected: np.ndarray | None = None, step: int | None = None):
        self.message, self.findings = message, tuple(findings)
        # The compared answers, for pictures of the failing case (grader.grading.figures), and for
        # a run, the first step where it left torch's path.
        self.outcome, self.expected, self.step = outcome, expected, step
        super().__init__("\n".join([message] + [f.line() for f in self.findings]))


_judging = [True]


@contextlib.contextmanager
def recording_only() -> "contextlib.AbstractContextManager[None]":
    """Within this block the assertions pass without looking: used in the student's kernel while
    autograding, where answers are only recorded (and every call a check makes must happen);
    the trusted grader process judges the record afterwards."""
    _judging.append(False)
    try:
        yield
    finally:
        _judging.pop()


def judged(assertion: Callable) -> Callable:
    """Make an assertion do nothing while only recording (see recording_only)."""
    @functools.wraps(assertion)
    def check(*args, **kwargs):
        if _judging[-1]:
            return assertion(*args, **kwargs)
    return check


@judged
def assert_close(outcome: Outcome, expected: np.ndarray, what: str | None = None) -> None:
    """Raise Mismatch unless the student's outcome equals the torch reference within tolerance."""
    expected = np.asarray(expected)
    problem = _problem(outcome, expected)
    if problem:
        raise Mismatch(_report(outcome, expected, problem, what),
                       mistakes.diagnose(outcome, expected), outcome, expected)


@judged
def assert_untouched(outcome: Outcome) -> None:
    """Raise Mismatch if the call modified one of its input arrays in place."""
    if outcome.mutated:
        names = ", ".join(outcome.mutated)
        raise Mismatch(_report(outcome, None, f"modified its input ({names}) in place; "
                               "a function must leave its arguments unchanged", None),
                       [Finding(*mistakes.IN_PLACE)])


def _problem(outcome, expected, where=None):
    if not outcome.ok:
        return outcome.problem or "gave no answer"
    got = outcome.value
    if got.shape != expected.shape:
        return f"shape: expected {expected.shape}, got {got.shape}"
    if got.dtype.kind not in "f" and expected.dtype.kind == "f":
        return f"dtype: expected floating point numbers like {expected.dtype}, got {got.dtype}"
    rtol, atol = tolerance(expected.dtype)
    return differences(got, expected, rtol, atol, where)


def _report(outcome, expected, problem, what):
    lines = [f"{what or describe_call(outcome)} {'differs from torch' if expected is not None else 'is wrong'}:"]
    lines += ["  " + line for line in problem.splitlines()]
    inputs = _named_inputs(outcome)
    for name, value in inputs:
        lines.append(f"  input {name}: {show(value)}")
    if expected is not None:
        lines.append(f"  expected (torch): {show(expected)}")
        if outcome.ok:
            lines.append(f"  got:              {show(outcome.value)}")
            where = first_mismatch(outcome.value, expected)
            if where is not None and expected.size > SHOW_ALL:
                at = ", ".join(f"{n}={num(v[where])}" for n, v in inputs if np.shape(v) == expected.shape)
                lines.append(f"  e.g. at index {index_text(where)}: {at + ', ' if at else ''}"
                             f"expected {num(expected[where])}, got {num(outcome.value[where])}")
    return "\n".join(lines)


def describe_call(outcome: Outcome) -> str:
    """`softmax(x, axis=0)`: the call as a student would write it."""
    names = parameter_names(outcome.api, len(outcome.args))
    parts = [n if isinstance(a, np.ndarray) or _arrays(a) else f"{n}={a!r}" for n, a in zip(names, outcome.args)]
    parts += [f"{k}=..." if isinstance(v, np.ndarray) else f"{k}={v!r}" for k, v in outcome.kwargs.items()]
    call = f"{outcome.api}({', '.join(parts)})"
    return f"{outcome.part} of {call}" if outcome.part else call


def _named_inputs(outcome):
    """The array arguments of a call, with their SPEC names."""
    names = parameter_names(outcome.api, len(outcome.args))
    items = list(zip(names, outcome.args)) + list(outcome.kwargs.items())
    named = []
    for n, a in items:
        if isinstance(a, np.ndarray):
            named.append((n, a))
        elif _arrays(a):   # a list of arrays (params)
            named += [(f"{n}[{i}]", p) for i, p in enumerate(a)]
    return named


def _arrays(value):
    return isinstance(value, (list, tuple)) and len(value) > 0 and all(isinstance(p, np.ndarray) for p in value)


SHOW_ALL = 12   # arrays up to this many elements are shown whole in reports


# Printed with numpy's default options: a notebook's np.set_printoptions (the release notebooks set
# suppress=True, which prints 1e-45 as 0.) must not change what a report says.
def show(value: object, limit: int = SHOW_ALL) -> str:
    """An array in one readable line (or a few), with dtype and shape."""
    with np.printoptions(**NUMPY_PRINT_OPTIONS):
        return _show(np.asarray(value), limit)


def _show(a, limit):
    head = f"{a.dtype} array of shape {a.shape}" if a.ndim else f"{a.dtype} scalar"
    if a.size > limit:
        flat = a.ravel()
        sample = np.array2string(flat[:6], precision=8, separator=", ")[:-1]
        return f"{head} [{sample[1:]}, ...]"
    body = np.array2string(a, precision=8, separator=", ", max_line_width=100)
    return f"{head} {' '.join(body.split())}" if a.ndim else f"{head} {body}"


@judged
def assert_curve_close(outcome: Outcome, expected: np.ndarray, what: str = "loss") -> None:
    """Raise Mismatch unless a sequence over training steps (a loss curve: entry k before
    update k + 1) equals torch's; the report names the first step where it leaves torch's."""
    expected = np.asarray(expected)
    problem = _problem(outcome, expected, where=lambda idx: f" at step {int(idx[0])}" if len(idx) else "")
    if not problem:
        return
    lines = [f"{describe_call(outcome)} differs from torch:"]
    where = first_mismatch(outcome.value, expected) if outcome.ok else None
    if where is not None:
        k = where[0]
        lines.append(f"  leaves torch's curve at step {k} (the {what} after {k} update(s)): expected "
                     f"{num(expected[where])}, got {num(outcome.value[where])}"
                     + ("; up to there it followed torch's" if k else ""))
    lines += ["  " + line for line in problem.splitlines()]
    lines += [f"  input {name}: {show(value)}" for name, value in _named_inputs(outcome)]
    lines.append(f"  expected (torch): {show(expected)}")
    if outcome.ok:
        lines.append(f"  got:              {show(outcome.value)}")
    raise Mismatch("\n".join(lines), mistakes.diagnose(outcome, expected) if outcome.ok else (), outcome,
                   expected, step=None if where is None else where[0])


@judged
def assert_in_place(outcome: Outcome, names: list[str]) -> None:
    """Raise Mismatch unless the call updated each of `names` (e.g. "params[0]", as a trainer's
    outcome names them) in place: the caller's own arrays, as torch.optim updates a model's."""
    if not outcome.ok:
        raise Mismatch(f"{describe_call(outcome)} is wrong:\n  {outcome.problem}")
    missing = [name for name in names if name not in outcome.mutated]
    if missing:
        raise Mismatch(f"{describe_call(outcome)} is wrong:\n  did not update {', '.join(missing)} in place: "
                       "the arrays the caller passed in (a model's weights) still hold their old values",
                       [Finding(*mistakes.NOT_IN_PLACE)])


# --- trajectories: runs of stateful APIs (optimizers), see grader/engine/driver.py ------------

@judged
def assert_trajectory_close(outcome: Outcome, expected: np.ndarray) -> None:
    """Raise Mismatch unless the student's run follows torch's within tolerance at every step.
    The report says at which step, and in which param, the path first leaves torch's."""
    expected = np.asarray(expected)
    params = outcome.args[0]
    if outcome.ok and outcome.value.shape != expected.shape:
        problem = (f"after a step the params hold {outcome.value.shape[-1]} numbers in all, torch's "
                   f"{expected.shape[1]} (shapes {[np.shape(p) for p in params]}): the optimizer changed "
                   "the number or the shape of the params")
    else:
        problem = _problem(outcome, expected, where=_run_locator(params))
    if problem:
        where = first_mismatch(outcome.value, expected) if outcome.ok else None
        raise Mismatch(_run_report(outcome, expected, problem),
                       mistakes.diagnose(outcome, expected) if outcome.ok else (), outcome, expected,
                       step=None if where is None else where[0] + 1)


@judged
def assert_updated_in_place(outcome: Outcome, expected: np.ndarray) -> None:
    """Raise Mismatch unless every param that torch's run changed was changed in place (the
    caller's own arrays, as a model's weights are updated by torch.optim)."""
    params = outcome.args[0]
    changed = [f"params[{i}]" for i, (p, after) in enumerate(zip(params, driver.split(expected[-1], params)))
               if not np.array_equal(p, after)]
    missing = [name for name in changed if name not in outcome.mutated]
    if missing:
        raise Mismatch(f"{describe_run(outcome)} is wrong:\n  did not update {', '.join(missing)} in place: "
                       "the arrays the caller passed in (a model's weights) still hold their old values",
                       [Finding(*mistakes.NOT_IN_PLACE)])


def describe_run(outcome: Outcome) -> str:
    """`SGD(params, lr=0.1, momentum=0.9) over 4 step(s)`: the constructor call and the run's length."""
    params, hyper = outcome.args[0], outcome.args[1] if len(outcome.args) > 1 else ()
    names = parameter_names(outcome.api, 1 + len(hyper))[1:]
    call = ", ".join(["params"] + [f"{n}={v!r}" for n, v in zip(names, hyper)])
    return f"{outcome.api}({call}) over {driver.steps_of(outcome.args[2])} step(s)"


def _run_report(outcome, expected, problem):
    params, grads = outcome.args[0], outcome.args[2]
    schedule = outcome.args[3] if len(outcome.args) > 3 else None
    lines = [f"{describe_run(outcome)} differs from torch:"]
    where = first_mismatch(outcome.value, expected) if outcome.ok else None
    if where is not None:
        lines.append(f"  leaves torch's path{_run_locator(params)(where)}: expected "
                     f"{num(expected[where])}, got {num(outcome.value[where])}")
    lines += ["  " + line for line in problem.splitlines()]
    lines += [f"  input params[{i}]: {show(p)}" for i, p in enumerate(params)]
    lines.append(f"  gradients: {driver.describe_grads(grads)}")
    if where is not None and not isinstance(grads, tuple):   # the gradients up to the step that left
        for k, step_grads in enumerate(grads[:min(where[0] + 1, 3)], start=1):
            lines.append(f"    step {k}: " + "; ".join(show(g) for g in step_grads))
    if schedule:
        lines.append("  learning rate changed during the run: "
                     + ", ".join(f"opt.lr = {lr!r} before step {k}" for k, lr in sorted(schedule.items())))
    if where is not None:
        step = where[0]
        lines.append(f"  expected params after step {step + 1} (torch): "
                     + "; ".join(show(p) for p in driver.split(expected[step], params)))
        lines.append(f"  got params after step {step + 1}:            "
                     + "; ".join(show(p) for p in driver.split(outcome.value[step], params)))
    return "\n".join(lines)


def _run_locator(params):
    """Words a trajectory index (step, flat position) as `step 3, params[1][0, 2]`."""
    shapes = [np.shape(p) for p in params]
    offsets = np.cumsum([0] + [int(np.prod(s)) for s in shapes])

    def where(idx):
        step, flat = int(idx[0]), int(idx[1])
        i = int(np.searchsorted(offsets, flat, side="right")) - 1
        within = np.unravel_index(flat - offsets[i], shapes[i]) if shapes[i] else ()
        at = f"[{', '.join(str(int(j)) for j in within)}]" if within else ""
        return f" at step {step + 1}, params[{i}]{at}"
    return where


@judged
def assert_raises(outcome: Outcome, exception: str, why: str, mistake: tuple[str, str] | None = None) -> None:
    """Raise Mismatch unless the call raised `exception` (a type name, e.g. "ValueError") as
    torch does; `mistake` (name, fix) is named when the call ran without any error."""
    if outcome.kind is Problem.RAISED and outcome.error == exception:
        return
    call = describe_run(outcome) if is_stateful(outcome.api) else describe_call(outcome)
    what = "ran without error" if outcome.ok else outcome.problem
    raise Mismatch(f"{call} is wrong:\n  torch raises {exception} here ({why}); this {what}",
                   [Finding(*mistake)] if outcome.ok and mistake else ())
