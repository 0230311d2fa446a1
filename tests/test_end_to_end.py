"""The whole path through the real nbgrader: generate_assignment -> submissions ->
autograde -> gradebook -> generate_feedback, on the shipped demo cohort."""
import filecmp
import glob
import os

import nbformat
import pytest

from grader.exercises import ASSIGNMENTS
from grader.instructor.cohort import expected_table
from grader.instructor.cohort import expected_scores as cohort_expected_scores
from grader.instructor.demo import REPO, named_mistakes, scores
from tests.helpers import COHORT


def expected_scores(assignment):
    return cohort_expected_scores(COHORT, assignment)


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_committed_release_is_what_generate_assignment_makes(course, assignment):
    made = nbformat.read(os.path.join(course, "release", assignment, f"{assignment}.ipynb"), as_version=4)
    committed = nbformat.read(os.path.join(REPO, "release", assignment, f"{assignment}.ipynb"), as_version=4)
    assert made == committed, "release/ is out of date: run `make release`"
    same = filecmp.dircmp(os.path.join(course, "release", assignment), os.path.join(REPO, "release", assignment))
    assert not same.left_only and not same.right_only


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_gradebook_scores_are_what_each_demo_student_deserves(graded, assignment):
    expected = expected_scores(assignment)
    assert expected, "the demo cohort has no submissions for this assignment"
    got = scores(graded, assignment)
    for student, cells in expected.items():
        assert got[student] == pytest.approx(cells), student


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_named_mistakes_appear_only_for_wrong_cells(graded, assignment):
    for student in expected_scores(assignment):
        if expected_table(COHORT).get(student) == {}:   # right or blank: nothing to name
            assert named_mistakes(graded, assignment, student) == [], student
    for student in ("dee", "eli"):
        if student in expected_scores(assignment):
            assert named_mistakes(graded, assignment, student), student


@pytest.mark.slow
def test_feedback_explains_and_hides_the_hidden_tests(graded):
    html = open(os.path.join(graded, "feedback", "eli", "activations", "activations.html")).read()
    assert "Likely mistake: exp(x)/(1+exp(x)) overflows" in html
    assert "smallest failing case" in html
    for hidden in ("BEGIN HIDDEN TESTS", "grade(&quot;sigmoid&quot;)", 'grade("sigmoid")', "from grader import grade"):
        assert hidden not in html
    ada = open(os.path.join(graded, "feedback", "ada", "activations", "activations.html")).read()
    assert "Likely mistake" not in ada and "Traceback (most recent call last)" not in ada


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_no_feedback_shows_a_hidden_test_or_a_traceback(graded, assignment):
    pages = glob.glob(os.path.join(graded, "feedback", "*", assignment, f"{assignment}.html"))
    assert len(pages) == len(expected_scores(assignment))
    for page in pages:
        html = open(page).read()
        assert "BEGIN HIDDEN TESTS" not in html and "from grader import grade" not in html, page
        for name in ASSIGNMENTS[assignment]:
            assert f'grade("{name}")' not in html and f"grade(&quot;{name}&quot;)" not in html, page
        assert "Traceback (most recent call last)" not in html, page


@pytest.mark.slow
def test_losses_feedback_names_the_weighted_mean_mistake_with_its_smallest_case(graded):
    html = open(os.path.join(graded, "feedback", "dee", "losses", "losses.html")).read()
    assert "Likely mistake: weighted &#x27;mean&#x27; divided by N" in html or \
        "Likely mistake: weighted 'mean' divided by N" in html
    assert "smallest failing case [float64-mean]" in html


@pytest.mark.slow
def test_skipped_test_cells_and_stderr_do_not_decide_scores(graded):
    fay = nbformat.read(os.path.join(graded, "autograded", "fay", "activations", "activations.ipynb"), as_version=4)
    assert not any("skip-execution" in c.metadata.get("tags", []) for c in fay.cells)
    gus = scores(graded, "activations")["gus"]
    assert gus["test_sigmoid"] == 5   # printed to stderr on every call, still full marks


def test_the_demo_never_deletes_a_folder_it_did_not_make(tmp_path):
    import subprocess
    import sys
    precious = tmp_path / "course"
    precious.mkdir()
    (precious / "gradebook.db").write_text("grades")
    proc = subprocess.run([sys.executable, "-m", "grader", "demo", "--root", str(precious)],
                          capture_output=True, text=True)
    assert proc.returncode != 0
    assert "refusing to use" in proc.stderr and "Traceback" not in proc.stderr
    assert (precious / "gradebook.db").read_text() == "grades"
