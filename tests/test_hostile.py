"""Hostile and broken submissions, graded by the real `nbgrader autograde` after the demo
cohort: each ends with its deserved score and a readable reason, the batch finishes, and no
earlier student's grade changes."""
import os
import shutil
import subprocess
import sys

import pytest

from grader.instructor.cohort import build_submissions, cohort_setting, expected_scores
from grader.instructor.demo import nbgrader, scores
from grader.grading.sandbox import UNSHARE, mount_script, unavailable_reason
from tests.helpers import HOSTILE, cell_outputs_text


def expected_reasons(student):
    with open(os.path.join(HOSTILE, student, "activations.py")) as f:
        return cohort_setting(f.read(), "EXPECTED_REASONS", {})


@pytest.fixture(scope="module")
def attacked(graded, tmp_path_factory):
    """A copy of the graded demo course (the other tests keep theirs), then the hostile
    submissions autograded in it, and everyone's feedback generated."""
    root = str(tmp_path_factory.mktemp("attacked") / "course")
    shutil.copytree(graded, root)
    before = scores(root, "activations")
    students = build_submissions(root, HOSTILE, "activations")
    proc = nbgrader(root, "autograde", "activations", check=False)   # new submissions only
    nbgrader(root, "generate_feedback", "activations")
    return root, before, students, proc


@pytest.mark.slow
def test_the_batch_finishes_and_earlier_grades_are_untouched(attacked):
    root, before, students, proc = attacked
    assert proc.returncode == 0, proc.stderr[-2000:]
    after = scores(root, "activations")
    assert set(students) <= set(after), "every hostile submission has a row"
    for student, cells in before.items():
        assert after[student] == cells, student


@pytest.mark.slow
@pytest.mark.parametrize("student", sorted(expected_scores(HOSTILE, "activations")))
def test_each_hostile_submission_gets_its_score_and_reason(attacked, student):
    root = attacked[0]
    assert scores(root, "activations")[student] == pytest.approx(expected_scores(HOSTILE, "activations")[student])
    text = cell_outputs_text(root, "activations", student)
    for grade_id, reason in expected_reasons(student).items():
        assert reason in text[grade_id], (grade_id, text[grade_id][-1500:])


@pytest.mark.slow
def test_feedback_for_hostile_submissions_is_short_and_hides_the_hidden_tests(attacked):
    root, _, students, _ = attacked
    for student in students:
        with open(os.path.join(root, "feedback", student, "activations", "activations.html")) as f:
            html = f.read()
        assert "BEGIN HIDDEN TESTS" not in html and "Traceback (most recent call last)" not in html, student
        assert len(html) < 1_500_000, student


@pytest.mark.slow
def test_outputs_are_capped(attacked):
    path = os.path.join(attacked[0], "autograded", "flood", "activations", "activations.ipynb")
    assert os.path.getsize(path) < 1_000_000


def test_the_sandbox_shows_the_kernel_only_its_own_folder(tmp_path):
    assert unavailable_reason() == "", unavailable_reason()
    root = tmp_path / "course"
    work = root / "autograded" / "s1" / "a1"
    work.mkdir(parents=True)
    (work / "mine.txt").write_text("mine")
    (root / "source").mkdir()
    (root / "source" / "solution.txt").write_text("secret")
    (root / "gradebook.db").write_text("grades")
    elsewhere = tmp_path / "another-copy"
    elsewhere.mkdir()
    (elsewhere / "solution.txt").write_text("secret")
    probe = "\n".join([
        "import glob, os, grader",
        f"print(sorted(os.listdir({str(root)!r})))",
        f"print(sorted(os.listdir({str(work)!r})))",
        f"print(os.path.exists({str(elsewhere)!r}), os.path.exists(os.path.expanduser('~/.bashrc')))",
        "print(os.listdir(os.path.join(os.path.dirname(grader.__file__), 'bank')))",
        "print(len(glob.glob('/proc/[0-9]*')))",
    ])
    out = subprocess.run(UNSHARE + ["sh", "-c", mount_script(str(work), [sys.executable, "-c", probe])],
                         capture_output=True, text=True, cwd=work)
    assert out.returncode == 0, out.stderr
    course_view, own_view, elsewhere_view, bank_view, processes = out.stdout.splitlines()
    assert course_view == "['autograded']"          # only the path down to its own folder
    assert own_view == "['mine.txt']"
    assert elsewhere_view == "False False"
    assert bank_view == "[]"
    assert processes == "1"                         # itself: no other process to peek through
    assert (root / "gradebook.db").read_text() == "grades"


@pytest.mark.slow
def test_feedback_and_the_class_report_run_no_script_of_a_student(attacked):
    """The scripter put active content in every place a student can (tests/hostile/scripter):
    opened in Chromium, neither its feedback page nor the class report runs any of it."""
    import nbformat

    from grader.instructor.report import write_report
    from tests.browser import block_network, chromium_page, file_url
    root = attacked[0]
    report_page = write_report(root, "activations")[0]
    feedback_page = os.path.join(root, "feedback", "scripter", "activations", "activations.html")
    nb = nbformat.read(os.path.join(root, "autograded", "scripter", "activations", "activations.ipynb"), as_version=4)
    raw_html = [o.data["text/html"] for c in nb.cells for o in c.get("outputs", []) if "text/html" in o.get("data", {})]
    with chromium_page() as page:
        block_network(page)
        # Control: the student's HTML output, as it came out of the kernel, does run in a page.
        page.set_content(f"<title>clean</title>{raw_html[0]}")
        page.wait_for_timeout(500)
        assert page.title().startswith("pwned"), "the attack should be live in an unsanitized page"
        for path in (feedback_page, report_page):
            page.goto(file_url(path))
            page.wait_for_timeout(1000)
            assert not page.title().startswith("pwned"), (path, page.title())
            assert page.evaluate("document.querySelectorAll('[onerror],[onload],svg').length") == 0, path
