"""A cell's points are written once, in its suite's @graded marks: the notebooks' test-cell
metadata and README's Points tables agree with them (`python -m grader release` writes both),
and each cohort's expected scores come from one table plus the suites' points."""
import os
import shutil

import nbformat
import pytest

from grader.engine.runner import run_checks
from grader.engine.submission import LiveSubmission
from grader.exercises import ASSIGNMENTS
from grader.grading.cells import graded_test_cells
from grader.instructor import release
from grader.instructor.cohort import EXPECTED_FILE, expected_scores, expected_table
from grader.instructor.demo import REPO
from grader.suites import cell_points, graded_checks
from tests.helpers import COHORT, HOSTILE, solution_namespace, trusted_references


@pytest.mark.parametrize("folder", ["source", "release"])
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_test_cell_is_worth_its_suites_points(assignment, folder):
    nb = nbformat.read(os.path.join(REPO, folder, assignment, f"{assignment}.ipynb"), as_version=4)
    cells = graded_test_cells(nb)
    assert {g: c.metadata.nbgrader["points"] for g, c in cells.items()} == \
        {f"test_{name}": points for name, points in cell_points(assignment).items()}, \
        "run `python -m grader release`"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_suites_points_are_what_the_runner_scores(assignment):
    points = cell_points(assignment)
    assert list(points) == list(ASSIGNMENTS[assignment])
    for name in ASSIGNMENTS[assignment]:
        result = run_checks(name, LiveSubmission(solution_namespace(assignment)), trusted_references(assignment))
        assert result.max_score == points[name] == result.score
        assert [c.name for c in result.checks] == [c.name for c in graded_checks(assignment) if c.api == name]


def test_readme_points_tables_are_made_from_the_suites():
    with open(os.path.join(REPO, "README.md"), encoding="utf-8") as f:
        text = f.read()
    assert release.readme_points(text) == release.points_tables(), "run `python -m grader release`"
    assert "| activations | `test_sigmoid` | 5 | values 2, stability 2, contract 1 |" in text


def test_release_writes_the_suites_points_into_the_source_notebooks(tmp_path):
    for assignment in ASSIGNMENTS:
        shutil.copytree(os.path.join(REPO, "source", assignment), tmp_path / "source" / assignment)
    path = tmp_path / "source" / "activations" / "activations.ipynb"
    untouched = (tmp_path / "source" / "losses" / "losses.ipynb").read_bytes()
    nb = nbformat.read(path, as_version=4)
    graded_test_cells(nb)["test_softmax"].metadata.nbgrader["points"] = 99
    nbformat.write(nb, path)
    assert release.sync_points(str(tmp_path)) == ["activations/test_softmax"]
    assert graded_test_cells(nbformat.read(path, as_version=4))["test_softmax"].metadata.nbgrader["points"] == 6
    assert (tmp_path / "source" / "losses" / "losses.ipynb").read_bytes() == untouched   # unchanged: not rewritten
    assert release.sync_points(str(tmp_path)) == []
    nb = nbformat.read(path, as_version=4)
    nb.cells = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") != "test_softmax"]
    nbformat.write(nb, path)
    with pytest.raises(release.ReleaseError, match="has no graded test cell `test_softmax`"):
        release.sync_points(str(tmp_path))


def test_release_rewrites_only_the_readmes_marked_section(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# Course\n\n{release.BEGIN}\nold table\n{release.END}\n\nmore text\n")
    assert release.write_readme_points(str(readme))
    assert readme.read_text() == f"# Course\n\n{release.BEGIN}\n{release.points_tables()}\n{release.END}\n\nmore text\n"
    (tmp_path / "plain.md").write_text("no markers")
    assert not release.write_readme_points(str(tmp_path / "plain.md"))
    assert (tmp_path / "plain.md").read_text() == "no markers"


def test_expected_scores_default_to_full_marks_for_written_names_and_zero_for_stubs(tmp_path):
    for student, code in {"ann": "def sigmoid(x):\n    return x\n\n\ndef softmax(x, axis=-1):\n    return x\n",
                          "bob": "# wrote nothing\n"}.items():
        (tmp_path / student).mkdir()
        (tmp_path / student / "activations.py").write_text(code)
    (tmp_path / EXPECTED_FILE).write_text('EXPECTED_SCORES = {"ann": {"test_softmax": 2}}\n')
    stubs = {f"test_{name}": 0 for name in ASSIGNMENTS["activations"]}
    assert expected_scores(str(tmp_path), "activations") == {
        "ann": {**stubs, "test_sigmoid": cell_points("activations")["sigmoid"], "test_softmax": 2}, "bob": stubs}
    assert expected_scores(str(tmp_path), "losses") == {}
    (tmp_path / EXPECTED_FILE).write_text('EXPECTED_SCORES = {"ann": {"test_softmaks": 2}}\n')
    with pytest.raises(ValueError, match="no graded cell is called test_softmaks"):
        expected_scores(str(tmp_path), "activations")


@pytest.mark.parametrize("cohort", [COHORT, HOSTILE])
def test_each_cohort_has_one_table_and_no_student_file_has_its_own(cohort):
    students = {s for s in os.listdir(cohort) if os.path.isdir(os.path.join(cohort, s))}
    assert set(expected_table(cohort)) == students   # every student's line says who they are
    for student in students:
        for name in os.listdir(os.path.join(cohort, student)):
            with open(os.path.join(cohort, student, name), encoding="utf-8") as f:
                assert "EXPECTED_SCORES" not in f.read(), (student, name)


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_correct_demo_students_are_expected_to_get_full_marks_without_a_line_each(assignment):
    full = {f"test_{name}": points for name, points in cell_points(assignment).items()}
    expected = expected_scores(COHORT, assignment)
    for student in ("ada", "ben", "gus"):
        assert expected_table(COHORT)[student] == {}
        assert {g: s for g, s in expected[student].items() if s} == {g: full[g] for g in ORIGINAL[assignment]}
    assert set(expected["cy"].values()) == {0}   # stubs only


# The exercises the correct demo students were written for (a newer exercise is a stub there).
ORIGINAL = {"activations": ["test_sigmoid", "test_sigmoid_grad", "test_softmax", "test_log_softmax"],
            "losses": ["test_nll_loss", "test_cross_entropy", "test_cross_entropy_grad", "test_binary_cross_entropy",
                       "test_binary_cross_entropy_with_logits", "test_kl_div"],
            "optimizers": ["test_SGD", "test_Adam"],
            "mlp": ["test_linear", "test_linear_backward", "test_relu_backward", "test_mlp_loss_and_grads", "test_train"]}
