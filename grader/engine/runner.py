"""The runner: runs API names' checks with pytest, in-process, and turns outcomes into
points and a readable report.

    result = run_checks("softmax", student, ref)
    result.score, result.max_score, print(result.report())
    results = judge({"sigmoid": student_a, "softmax": student_b}, ref)   # one pytest session

`student` is a LiveSubmission (in the notebook kernel) or a ReplayedSubmission (in the
trusted autograder); `ref` is a bank.References (each case sees `ref.case(check, case id)`, so
references are identified by the case they are for). pytest runs quietly: nothing reaches
stdout or stderr, no cache is written, and no conftest from the student's folder is loaded.
"""
import contextlib
import dataclasses
import io
import os

import pytest

from grader.engine.bank import References, ReferenceUnavailable
from grader.engine.cases import draw_arguments
from grader.engine.compare import Mismatch
from grader.engine.findings import Finding
from grader.engine.inputs import Inputs
from grader.engine.submission import LiveSubmission, ReplayedSubmission
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


class _Plugin:
    """pytest plugin: provides the fixtures, keeps only the given APIs' checks, collects outcomes."""

    def __init__(self, students, ref, public_only, inputs):
        self._students, self._ref, self.public_only, self._inputs = students, ref, public_only, inputs
        self.checks = {}     # test function name -> CheckResult
        self.api_of = {}     # test function name -> the API it checks
        self.case_of = {}    # nodeid -> (check name, case id)

    @pytest.fixture
    def student(self, request):
        return self._students[request.node.get_closest_marker("graded").kwargs["api"]]

    @pytest.fixture
    def ref(self, request):
        return self._ref.case(*self.case_of[request.node.nodeid])

    def pytest_configure(self, config):
        config.addinivalue_line("markers", "graded(api, points, category, public): a graded check")
        # Failures are reported from the exception itself (below). pytest's traceback
        # formatting parses the source of every frame, ~50 ms per failing case: use its
        # cheapest style, the exception's text alone (`--tb=value`; --tb needs the terminal).
        config.option.tbstyle = "value"

    def pytest_collection_modifyitems(self, config, items):
        keep, drop = [], []
        for item in items:
            mark = item.get_closest_marker("graded")
            if mark is None or mark.kwargs["api"] not in self._students or (
                    self.public_only and not mark.kwargs.get("public")):
                drop.append(item)
                continue
            keep.append(item)
            name = item.originalname
            if name not in self.checks:
                doc = (item.function.__doc__ or name).strip().splitlines()[0]
                self.checks[name] = CheckResult(name, mark.kwargs["category"], mark.kwargs["points"],
                                                doc, bool(mark.kwargs.get("public")))
                self.api_of[name] = mark.kwargs["api"]
            self.checks[name].cases += 1
            case = item.callspec.id if hasattr(item, "callspec") else ""
            self.case_of[item.nodeid] = (name, case)
        if drop:
            config.hook.pytest_deselected(items=drop)
        items[:] = keep

    @pytest.hookimpl(tryfirst=True)
    def pytest_pyfunc_call(self, pyfuncitem):
        # Draw the case's inputs from its own generator (grader.engine.cases), then let pytest
        # call the check as usual.
        name, case = self.case_of[pyfuncitem.nodeid]
        draw_arguments(pyfuncitem.funcargs, lambda: self._inputs.rng(name, case))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        yield
        if call.excinfo is None:
            return
        name, case = self.case_of[item.nodeid]
        exc = call.excinfo.value
        if isinstance(exc, Mismatch):
            self.checks[name].failures.append(Failure(case, exc.message, exc.findings, exc.outcome,
                                                      exc.expected, exc.step))
        elif isinstance(exc, AssertionError):
            self.checks[name].failures.append(Failure(case, str(exc) or "assertion failed"))
        elif isinstance(exc, ReferenceUnavailable):   # not the student's fault, nor the grader's
            self.checks[name].unchecked.append((case, str(exc)))
        else:  # a bug in the check, not in the student's code: say so loudly
            self.checks[name].internal_errors.append(
                (case, f"internal grader error in {call.when}: {type(exc).__name__}: {exc}"))


def run_checks(api: str, student: Submission, ref: References, public_only: bool = False,
               inputs: Inputs | None = None) -> GradeResult:
    """Run the checks for `api` against `student`; return a GradeResult."""
    return judge({api: student}, ref, public_only, inputs)[api]


def judge(students: dict[str, Submission], ref: References, public_only: bool = False,
          inputs: Inputs | None = None) -> dict[str, GradeResult]:
    """Run the checks of several APIs of one assignment in one pytest session (one session
    costs ~0.1 s whatever it runs): {api: student} -> {api: GradeResult}. Each case draws its
    inputs as `inputs` says (grader.engine.inputs; by default the public ones)."""
    assignments = {assignment_of(api) for api in students}
    if len(assignments) != 1:
        raise ValueError(f"judge() takes the APIs of one assignment, got {sorted(assignments)}")
    assignment = assignments.pop()
    inputs = inputs or Inputs.public(assignment)
    if inputs.assignment != assignment:
        raise ValueError(f"inputs drawn for {inputs.assignment!r} cannot judge {assignment!r}")
    plugin = _Plugin(students, ref, public_only, inputs)
    # The unraisable/thread exception plugins run gc.collect() several times per session
    # (~0.3 s in a notebook kernel, on every self-check); grading does not need them.
    # --assert=plain: with python_files=*.py, assertion rewriting would otherwise rewrite
    # every module first imported during the run (torch.optim's lazy imports, a student's
    # `import scipy` inside a call): minutes instead of seconds. Checks raise Mismatch anyway.
    args = ["--pyargs", f"grader.suites.{assignment}", "-p", "no:cacheprovider",
            "-p", "no:terminal", "-p", "no:faulthandler", "-p", "no:logging",
            "-p", "no:warnings", "-p", "no:stepwise", "-p", "no:doctest",
            "-p", "no:unraisableexception", "-p", "no:threadexception",
            "--noconftest", "-s", "--assert=plain", "-o", "python_files=*.py", "-o", "python_functions=test_*",
            "-o", "addopts=", "-o", "testpaths="]
    noise = io.StringIO()
    with contextlib.redirect_stdout(noise), contextlib.redirect_stderr(noise), _no_plugin_autoload():
        code = pytest.main(args, plugins=[plugin])
    results = {}
    for api, student in students.items():
        checks = [c for name, c in plugin.checks.items() if plugin.api_of[name] == api]
        problem = ""
        if not checks:
            problem = f"no checks ran for `{api}` (pytest exit {int(code)}): {noise.getvalue()[-500:]}"
        results[api] = GradeResult(api, checks, _warnings_seen(student, api), problem)
    return results


# pytest reads these from the environment: plugins to load, and options added to every run
# (PYTEST_ADDOPTS="-v" would make the kit's own pytest.main refuse its arguments and every check
# score 0). The kit's runs take none of them from whoever runs the grader.
_PYTEST_ENVIRONMENT = {"PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTEST_ADDOPTS": None, "PYTEST_PLUGINS": None}


@contextlib.contextmanager
def _no_plugin_autoload():
    """Only the kit's plugin takes part: third-party pytest plugins installed in the student's
    environment are not loaded (anyio's, which comes with JupyterLab, costs ~1 s on the first
    check; others, e.g. pytest-randomly, would reorder or reseed the cases), and options or plugins
    named in the environment (PYTEST_ADDOPTS, PYTEST_PLUGINS) are left out."""
    previous = {name: os.environ.get(name) for name in _PYTEST_ENVIRONMENT}
    _set_environment(_PYTEST_ENVIRONMENT)
    try:
        yield
    finally:
        _set_environment(previous)


def _set_environment(values: dict) -> None:
    """Set each variable to its value; a value of None removes the variable."""
    for name, value in values.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


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
