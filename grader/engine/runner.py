"""The runner: runs API names' checks in-process and turns outcomes into points and a
readable report.

    result = run_checks("softmax", student, ref)
    result.score, result.max_score, print(result.report())
    results = judge({"sigmoid": student_a, "softmax": student_b}, ref)

`student` is a LiveSubmission (in the notebook kernel) or a ReplayedSubmission (in the
trusted autograder); `ref` is a bank.References (each case sees `ref.case(check, case id)`, so
references are identified by the case they are for). Checks run quietly: nothing they print
reaches stdout or stderr.
"""
import contextlib
import dataclasses
import io

import numpy as np

from grader.engine.bank import References, ReferenceUnavailable
from grader.engine.cases import Case, GradedCheck, graded_checks
from grader.engine.compare import Mismatch
from grader.engine.findings import Finding
from grader.engine.inputs import Inputs
from grader.engine.submission import LiveSubmission, ReplayedSubmission, copies
from grader.engine.summary import CellSummary, CheckSummary
from grader.exercises import assignment_of


Submission = LiveSubmission | ReplayedSubmission   # the `student` a check calls


@dataclasses.dataclass
class Failure:
    """One failing case of a check: the report's words, and the known mistakes that explain it."""

    case: str                       # the case id, e.g. "float32[3, 4]"
    message: str
    findings: tuple = ()            # (Finding, ...)
    outcome: object = None          # the student's Outcome and torch's answer, where compared
    expected: object = None
    step: int | None = None         # a run: the first step where it left torch's path


@dataclasses.dataclass
class CheckResult:
    name: str               # the test function, e.g. "test_softmax_stability"
    category: str
    points: float
    description: str
    public: bool
    cases: int = 0
    failures: list = dataclasses.field(default_factory=list)   # [Failure]
    internal_errors: list = dataclasses.field(default_factory=list)   # [(case id, message)]
    # [(case id, why)]: cases without a reference here (ReferenceUnavailable); they cost no point
    unchecked: list = dataclasses.field(default_factory=list)

    @property
    def passed(self) -> bool:
        return self.cases > 0 and not self.failures and not self.internal_errors


@dataclasses.dataclass
class GradeResult:
    api: str
    checks: list            # [CheckResult]
    warnings: dict          # warning text -> how many calls raised it
    problem: str = ""       # the runner itself could not run (reported, scores 0)

    @property
    def score(self) -> float:
        return float(sum(c.points for c in self.checks if c.passed))

    @property
    def max_score(self) -> float:
        return float(sum(c.points for c in self.checks))

    @property
    def mistakes(self) -> list[Finding]:
        """The distinct known mistakes named by all failed checks, in order."""
        return list(dict.fromkeys(f for c in self.checks for failure in c.failures for f in failure.findings))

    def report(self) -> str:
        return render(self)

    def summary(self, **cell) -> CellSummary:
        """What reports and dashboards need, without the prose; `cell` holds what the grading
        pipeline saw of the cell (CellSummary's last fields)."""
        checks = [CheckSummary(c.name, c.category, c.points, c.passed, c.cases, [f.case for f in c.failures],
                               len(c.internal_errors), [case for case, _ in c.unchecked],
                               [[f.findings[0].name if f.findings else "", f.step]
                                for f in c.failures if f.step is not None]) for c in self.checks]
        return CellSummary(api=self.api, score=self.score, max_score=self.max_score, problem=self.problem,
                           mistakes=self.mistakes, warnings=dict(self.warnings), checks=checks, **cell)


def run_checks(api: str, student: Submission, ref: References, public_only: bool = False,
               inputs: Inputs | None = None) -> GradeResult:
    """Run the checks for `api` against `student`; return a GradeResult."""
    return judge({api: student}, ref, public_only, inputs)[api]


def judge(students: dict[str, Submission], ref: References, public_only: bool = False,
          inputs: Inputs | None = None) -> dict[str, GradeResult]:
    """Run the checks of several APIs of one assignment: {api: student} -> {api: GradeResult}.
    Each case draws its inputs as `inputs` says (grader.engine.inputs; by default the public
    ones). Checks run in the suite's order, each case from the smallest to the largest."""
    assignments = {assignment_of(api) for api in students}
    if len(assignments) != 1:
        raise ValueError(f"judge() takes the APIs of one assignment, got {sorted(assignments)}")
    assignment = assignments.pop()
    inputs = inputs or Inputs.public(assignment)
    if inputs.assignment != assignment:
        raise ValueError(f"inputs drawn for {inputs.assignment!r} cannot judge {assignment!r}")
    # The suites are pytest modules (marks, parametrisation), but the runner calls their checks
    # itself: a pytest session cost ~0.1 s plus ~1 ms of hooks per case, most of the judging time
    # of a notebook and of the seed sweeps, and it read options and plugins from the environment.
    checks = {api: [] for api in students}
    noise = io.StringIO()   # what the checks themselves print goes nowhere
    with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise):
        for check in graded_checks(assignment):
            if check.api in students and (check.public or not public_only):
                checks[check.api].append(_run_check(check, students[check.api], ref, inputs))
    return {api: GradeResult(api, checks[api], _warnings_seen(student, api),
                             "" if checks[api] else f"no checks for `{api}` in grader.suites.{assignment}")
            for api, student in students.items()}


def _run_check(check: GradedCheck, student: Submission, ref: References, inputs: Inputs) -> CheckResult:
    """Every case of one check, each with its own drawn arguments and references."""
    result = CheckResult(check.name, check.category, check.points, check.description, check.public,
                         cases=len(check.cases) or 1)
    for case in check.cases or (Case("", lambda rng: ()),):   # a check without cases runs once
        when = "setup"
        try:
            case_ref = ref.case(check.name, case.id)
            args = _arguments(check, case, inputs)
            when = "call"
            check.function(student, case_ref, *args)
        except Mismatch as exc:
            result.failures.append(Failure(case.id, exc.message, exc.findings, exc.outcome, exc.expected, exc.step))
        except AssertionError as exc:
            result.failures.append(Failure(case.id, str(exc) or "assertion failed"))
        except ReferenceUnavailable as exc:   # not the student's fault, nor the grader's
            result.unchecked.append((case.id, str(exc)))
        except Exception as exc:   # a bug in the check, not in the student's code: say so loudly
            result.internal_errors.append(
                (case.id, f"internal grader error in {when}: {type(exc).__name__}: {exc}"))
    return result


@dataclasses.dataclass
class _Draws:
    """One student's drawn arguments, kept for the next run of the same checks: autograding runs
    every check twice with a student's secret inputs, to plan the calls (WritePlan) and to judge
    the answers (ScoreFromRecords), and drawing them again was 2-4% of a submission's work. A
    pristine copy is kept, and each run gets a copy of it: checks and references may change
    their arguments in place."""
    inputs: Inputs | None = None                          # whose draws (only the last one's are kept)
    kept: dict = dataclasses.field(default_factory=dict)  # (inputs, check, case id) -> arguments


_draws = _Draws()


def _arguments(check: GradedCheck, case: Case, inputs: Inputs) -> tuple:
    """The arguments of one case of `check`, drawn from its generator for `inputs` (or a copy of
    those drawn for the same inputs before)."""
    key = (inputs, check.name, case.id)   # keyed by inputs too: never another student's draws
    if key in _draws.kept:
        return copies(_draws.kept[key])
    if _draws.inputs != inputs:
        _draws.inputs, _draws.kept = inputs, {}
    args = case.arguments(inputs.rng(check.name, case.id), check.arguments)
    if _copyable(args):
        _draws.kept[key] = copies(args)
    return args


def _copyable(value) -> bool:
    """Whether copies() copies all of `value` (arrays of numbers, immutable values, and lists,
    tuples and dicts of them): anything else is drawn again each time."""
    if isinstance(value, (list, tuple)):
        return all(_copyable(v) for v in value)
    if isinstance(value, dict):
        return all(_copyable(v) for v in value.values())
    if isinstance(value, np.ndarray):
        return value.dtype != object
    return value is None or isinstance(value, (np.generic, bool, int, float, complex, str, bytes))


def _warnings_seen(student, api):
    counts = {}
    for outcome in getattr(student, "record", {}).values():
        if outcome.api == api:
            for w in dict.fromkeys(outcome.warnings):
                counts[w] = counts.get(w, 0) + 1
    return counts


def render(result: GradeResult) -> str:
    """The report a student and a TA read, one block per check."""
    lines = [f"{result.api}: {result.score:g} / {result.max_score:g} points"]
    if result.problem:
        lines.append(f"  could not grade: {result.problem}")
    for c in result.checks:
        mark = "PASS" if c.passed else "FAIL"
        lines.append(f"[{mark}] {c.name} ({c.category}, {c.points if c.passed else 0:g}/{c.points:g}): "
                     f"{c.description}")
        if c.failures:
            first = c.failures[0]
            lines.append(f"  {len(c.failures)} of {c.cases} case(s) failed; smallest failing case [{first.case}]:")
            lines += ["    " + line.strip() for line in first.message.splitlines()]
            lines += [f.line() for f in first.findings]
        for case, message in c.internal_errors[:1]:
            lines.append(f"  [{case}] {message}")
        if c.unchecked:
            cases = ", ".join(f"[{case}]" for case, _ in c.unchecked)
            lines.append(f"  {len(c.unchecked)} of {c.cases} case(s) not checked here (no point lost): {cases}: "
                         f"{c.unchecked[0][1]}")
    if result.warnings:
        lines.append("Diagnostics (these cost no points, but say where your code is fragile):")
        for text, n in result.warnings.items():
            lines.append(f"  {n} call(s) warned: {text}")
    return "\n".join(lines)
