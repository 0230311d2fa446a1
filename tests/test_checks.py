"""Every check is itself tested: the instructor's solution passes all of them (with no named
mistake), and every known-wrong implementation in the catalogue fails exactly the checks it
claims to, and is named when it does. Generic over assignments: a new suite is covered as
soon as it exists."""
import importlib
import os
import subprocess
import sys

import pytest

from grader.exercises import ASSIGNMENTS
from grader.engine.mistakes import CATALOGUE
from grader.grading.cells import graded_test_cells
from grader.engine.runner import run_checks
from grader.suites import graded_checks
from grader.engine.submission import LiveSubmission
from tests.helpers import judge_mistakes, solution_namespace, source_notebook, trusted_references

NAMES = [(a, n) for a, names in ASSIGNMENTS.items() for n in names]
for assignment in ASSIGNMENTS:
    importlib.import_module(f"grader.suites.{assignment}")   # registers its mistakes
MISTAKES = [pytest.param(m, id=f"{m.api}:{m.implementation.__name__}")
            for a, names in ASSIGNMENTS.items() for n in names for m in CATALOGUE.get(n, [])]
MISTAKES_BY_ASSIGNMENT = {a: [m.values[0] for m in MISTAKES if m.values[0].api in names]
                          for a, names in ASSIGNMENTS.items()}


def grade_with(assignment, name, namespace):
    return run_checks(name, LiveSubmission(namespace), trusted_references(assignment))


@pytest.mark.parametrize("assignment, name", NAMES)
def test_the_reference_solution_gets_full_marks_and_no_named_mistake(assignment, name):
    result = grade_with(assignment, name, solution_namespace(assignment))
    assert result.checks and result.score == result.max_score, result.report()
    assert "Likely mistake" not in result.report()
    assert not result.warnings, "the reference solution should run without numpy warnings"


@pytest.fixture(scope="module")
def mistakes_judged():
    """Every catalogued mistake's result on the public inputs, judged in batches once."""
    return {m: result for a in ASSIGNMENTS for m, result in judge_mistakes(a, trusted_references(a)).items()}


@pytest.mark.parametrize("mistake", MISTAKES)
def test_each_known_mistake_fails_exactly_its_checks_and_is_named(mistake, mistakes_judged):
    result = mistakes_judged[mistake]
    failed = {c.name for c in result.checks if not c.passed}
    assert failed == set(mistake.fails), result.report()
    assert not any(c.internal_errors for c in result.checks), result.report()
    assert mistake.finding in result.mistakes, result.report()
    assert mistake.line() in result.report()


def test_the_tanh_form_of_gelu_fails_the_approximate_check_on_every_students_inputs():
    # Each student's hidden checks draw their own inputs. With a normal draw, 2 of these 400
    # students' inputs (one of the whole-class bench's 3,000 too) fell where the tanh form is within
    # 1e-7 of the erf form, and the tanh form passed for approximate='none'.
    from grader.engine.inputs import Inputs
    from grader.engine.runner import judge
    from grader.suites.activations import gelu_always_tanh
    namespace, ref = dict(solution_namespace("activations"), gelu=gelu_always_tanh), trusted_references("activations")
    passed = [student for student in (f"s{i}" for i in range(400))
              if next(c for c in judge({"gelu": LiveSubmission(namespace)}, ref,
                                       inputs=Inputs.secret(bytes(range(32)), student, "activations"))["gelu"].checks
                      if c.name == "test_gelu_approximate").passed]
    assert passed == []


@pytest.mark.parametrize("assignment, name", NAMES)
def test_every_check_is_failed_by_some_known_mistake(assignment, name):
    result = grade_with(assignment, name, solution_namespace(assignment))
    caught = {check for m in CATALOGUE.get(name, []) for check in m.fails}
    assert {c.name for c in result.checks} <= caught


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_notebook_has_one_test_cell_per_name_worth_its_checks_points(assignment):
    cells = graded_test_cells(source_notebook(assignment))
    assert set(cells) == {f"test_{n}" for n in ASSIGNMENTS[assignment]}
    for name in ASSIGNMENTS[assignment]:
        result = grade_with(assignment, name, solution_namespace(assignment))
        assert cells[f"test_{name}"].metadata.nbgrader["points"] == result.max_score


def test_public_checks_are_a_subset_and_run_alone():
    assignment, name = NAMES[0]
    public = run_checks(name, LiveSubmission(solution_namespace(assignment)), trusted_references(assignment),
                        public_only=True)
    assert public.checks and all(c.public for c in public.checks)
    assert len(public.checks) < len(grade_with(assignment, name, solution_namespace(assignment)).checks)


@pytest.mark.parametrize("variable, value", [("PYTEST_ADDOPTS", "-v --no-such-option"),
                                             ("PYTEST_PLUGINS", "no_such_plugin_module")])
def test_pytest_settings_in_the_graders_environment_change_nothing(monkeypatch, variable, value):
    # an instructor's shell may set these for their own test runs; they once scored every check 0
    monkeypatch.setenv(variable, value)
    result = grade_with("activations", "softmax", solution_namespace("activations"))
    assert result.checks and result.score == result.max_score, result.report()
    assert os.environ[variable] == value, "the grader's environment is left as it was"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_suite_is_a_plain_pytest_module_whose_items_are_the_runners_cases(assignment):
    # The runner calls the checks itself; pytest collects the same checks and cases, in the same
    # order, with the case ids as test ids (so `pytest --collect-only` lists what grading runs).
    collected = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", "--noconftest",
         "-o", "python_files=*.py", "-o", "addopts=", "--pyargs", f"grader.suites.{assignment}"],
        capture_output=True, text=True, timeout=120, env=dict(os.environ, PYTEST_ADDOPTS=""))
    items = [line.partition("::")[2] for line in collected.stdout.splitlines() if "::" in line]
    assert items == [f"{check.name}[{case.id}]" for check in graded_checks(assignment) for case in check.cases], \
        collected.stdout[-2000:] + collected.stderr[-2000:]


def test_a_broken_check_is_an_internal_error_not_a_student_failure():
    # a `ref` without references makes every check crash: that is the grader's fault
    broken = run_checks("sigmoid", LiveSubmission(solution_namespace("activations")), object())
    assert broken.score == 0 and all(c.internal_errors for c in broken.checks)
    assert "internal grader error" in broken.report()


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_judging_all_apis_at_once_gives_each_apis_own_result(assignment):
    # What the autograder does with a notebook's cells (judged together): every API keeps its
    # own student, checks, score and report, exactly as when judged alone.
    from grader.engine.runner import judge
    ref = trusted_references(assignment)
    wrong = {m.api: m for m in MISTAKES_BY_ASSIGNMENT[assignment]}   # one known mistake per API
    students = {name: LiveSubmission(dict(solution_namespace(assignment), **(
        {name: wrong[name].implementation} if name in wrong else {}))) for name in ASSIGNMENTS[assignment]}
    together = judge(students, ref)
    assert set(together) == set(ASSIGNMENTS[assignment])
    for name, student in students.items():
        alone = run_checks(name, LiveSubmission(student.namespace), ref)
        assert together[name].report() == alone.report()
        assert together[name].score == alone.score
    assert any(r.score < r.max_score for r in together.values())

