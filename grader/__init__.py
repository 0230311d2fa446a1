"""Grader for the course's numpy exercises; the notebooks' test cells call these two functions.

    check("softmax")   # visible self-check: runs the public checks, raises a readable error
    grade("softmax")   # hidden part: while autograding, answers this student's planned calls

Both find the student's `softmax` in the notebook's globals (the caller's), so a missing
definition is reported rather than crashing the cell. Neither ever writes to stderr.
"""
import os
import sys

from grader.exercises import assignment_of
from grader.engine.bank import References
from grader.engine.plan import PLAN_FILE, PlanError, read_plan
from grader.engine.runner import run_checks
from grader.engine.submission import RECORD_MIME, LiveSubmission
from grader.suites import graded_checks

# Seconds that one graded cell may spend in the student's code (each call also has 2 s).
CELL_BUDGET = 20.0

__all__ = ["check", "grade", "CheckFailed"]


class CheckFailed(AssertionError):
    """A public self-check failed. Shown in JupyterLab as the report alone, not a traceback."""

    def _render_traceback_(self):  # IPython uses this instead of a traceback when present
        return [str(self)]


def _autograding():
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


def _run(name, namespace, public_only):
    ref = References.for_assignment(assignment_of(name))
    student = LiveSubmission(namespace, budget=CELL_BUDGET)
    return run_checks(name, student, ref, public_only=public_only), student


def check(name: str) -> None:
    """Run the public checks for `name`. Passes quietly with a one-line summary, or raises
    CheckFailed with the report. While autograding it does nothing: the hidden part of the
    cell grades everything, and a failing self-check must not stop it."""
    if _autograding():
        print(f"(self-check for {name} skipped while autograding: the full suite grades this cell)")
        return None
    result, _ = _run(name, sys._getframe(1).f_globals, public_only=True)
    if result.score < result.max_score or result.problem:
        raise CheckFailed(f"{name}: the public self-check failed\n{result.report()}")
    cases = sum(c.cases for c in result.checks)
    print(f"{name}: public self-check passed ({cases} test input{'s' * (cases != 1)}). "
          "The grader runs more, including edge cases, after you submit.")
    for c in result.checks:   # no reference here for these (an old bank, and no torch): said, not failed
        for case, why in c.unchecked:
            print(f"  not checked here: {c.name}[{case}]: {why}")
    return None


def grade(name: str) -> float:
    """The hidden part of a test cell.

    While autograding: call the notebook's `name` on every call of this student's grading plan
    (PLAN_FILE, written beside the notebook by the kit's nbgrader pipeline: the student's own
    secret inputs, grader.engine.plan) and emit the answers as a record (a display output with
    a private MIME type). Nothing is judged here: the pipeline judges the record in its own
    process (ScoreFromRecords) and replaces this cell's outputs with that score, so nothing the
    notebook's code does in this kernel can change it. Without that pipeline the cell scores 0.

    Anywhere else (a student at home): run the public checks, print their report and how many
    hidden checks run after submission, and return the public checks' points."""
    namespace = sys._getframe(1).f_globals
    if _autograding():
        return _answer_plan(name, namespace)
    result, _ = _run(name, namespace, public_only=True)
    print(result.report())
    hidden = [c for c in graded_checks(assignment_of(name)) if c.api == name and not c.public]
    if hidden:
        points = sum(c.points for c in hidden)
        print(f"{len(hidden)} hidden check{'s' * (len(hidden) != 1)} ({points:g} points) run after you "
              "submit, on inputs of your own.")
    return result.score


def _answer_plan(name, namespace):
    student = LiveSubmission(namespace, budget=CELL_BUDGET)
    try:
        _, plan = read_plan(PLAN_FILE, name)
    except PlanError as exc:
        print(f"{name}: {exc}: nothing to answer (the grader scores this cell 0).")
        return 0.0
    try:
        student.answer(plan.get(name, []))
    finally:  # interrupted at the cell's time limit: what was answered still counts
        _emit_record(name, student)
    print(f"{name}: {len(student.record)} answers recorded; the grader scores them after the notebook has run.")
    return 0.0


def _emit_record(name, student):
    ipython = sys.modules.get("IPython")
    if ipython is None or ipython.get_ipython() is None:
        return
    from IPython.display import display
    display({RECORD_MIME: {"api": name, "record": student.encode()}}, raw=True)
