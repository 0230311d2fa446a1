"""Hostile and broken submissions, graded by the real `nbgrader autograde` after the demo
cohort (and before `zvictim`, a correct student graded last): each ends with its deserved
score and a readable reason, the batch finishes, no other student's grade changes, and nothing
in the course outside the attackers' own folders changes. The sandbox's own tests are in
tests/test_sandbox.py."""
import hashlib
import os
import shutil

import nbformat
import pytest

from grader.grading.sanitize import NOTES_TITLE
from grader.instructor.cohort import build_submissions, cohort_setting, expected_scores
from grader.instructor.demo import nbgrader, scores
from tests.helpers import HOSTILE, cell_outputs_text

# Small limits, so that the memory, /tmp, disk, fork and thread bombs end fast; the hostile
# files' EXPECTED_REASONS name these values.
LIMITS = """
c.SandboxedKernelManager.memory_limit = 512 * 2**20
c.SandboxedKernelManager.tmp_size = 64 * 2**20
c.SandboxedKernelManager.file_size_limit = 64 * 2**20
c.SandboxedKernelManager.process_limit = 64
"""


def expected_reasons(student, setting="EXPECTED_REASONS", default=None):
    with open(os.path.join(HOSTILE, student, "activations.py")) as f:
        return cohort_setting(f.read(), setting, {} if default is None else default)


def tree_hashes(root, skip=()):
    """{relative path: sha256} of every file under `root`, except under the relative paths `skip`."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        dirnames[:] = [d for d in dirnames if os.path.normpath(os.path.join(rel, d)) not in skip]
        for name in filenames:
            path = os.path.normpath(os.path.join(rel, name))
            if path not in skip:
                with open(os.path.join(root, path), "rb") as f:
                    out[path] = hashlib.sha256(f.read()).hexdigest()
    return out


@pytest.fixture(scope="module")
def attacked(graded, tmp_path_factory):
    """A copy of the graded demo course (the other tests keep theirs) with small kernel limits,
    then the hostile submissions autograded in it, and everyone's feedback generated. Returns
    the course, the scores before, the hostile students, nbgrader's result and the course's
    file hashes before and after autograding."""
    root = str(tmp_path_factory.mktemp("attacked") / "course")
    shutil.copytree(graded, root)
    with open(os.path.join(root, "nbgrader_config.py"), "a") as f:
        f.write(LIMITS)
    before = scores(root, "activations")
    students = build_submissions(root, HOSTILE, "activations")
    # What nbgrader itself writes when it grades them: their autograded folders and the gradebook.
    theirs = {os.path.join("autograded", s) for s in students} | {"gradebook.db"}
    files_before = tree_hashes(root, theirs)
    proc = nbgrader(root, "autograde", "activations", check=False)   # new submissions only
    files_after = tree_hashes(root, theirs)
    nbgrader(root, "generate_feedback", "activations")
    return root, before, students, proc, (files_before, files_after)


@pytest.mark.slow
def test_the_batch_finishes_and_earlier_grades_are_untouched(attacked):
    root, before, students, proc, _ = attacked
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
    nb = nbformat.read(os.path.join(root, "autograded", student, "activations", "activations.ipynb"), as_version=4)
    notes = nb.cells[0].source if nb.cells[0].source.startswith(NOTES_TITLE) else ""
    for note in expected_reasons(student, "EXPECTED_NOTES", []):
        assert note in notes, (note, notes)


@pytest.mark.slow
def test_feedback_for_hostile_submissions_is_short_and_hides_the_hidden_tests(attacked):
    root, _, students, _, _ = attacked
    for student in students:
        with open(os.path.join(root, "feedback", student, "activations", "activations.html")) as f:
            html = f.read()
        assert "BEGIN HIDDEN TESTS" not in html and "Traceback (most recent call last)" not in html, student
        assert len(html) < 1_500_000, student


@pytest.mark.slow
def test_outputs_are_capped(attacked):
    path = os.path.join(attacked[0], "autograded", "flood", "activations", "activations.ipynb")
    assert os.path.getsize(path) < 1_000_000


@pytest.mark.slow
def test_nothing_outside_the_attackers_folders_changed(attacked):
    """nbgrader_config.py, source/, release/, submitted/, every other student's autograded
    folder: byte for byte as before the attackers were graded (and nothing new appeared)."""
    files_before, files_after = attacked[4]
    assert "nbgrader_config.py" in files_before and any(p.startswith("source") for p in files_before)
    changed = sorted(p for p in set(files_before) | set(files_after) if files_before.get(p) != files_after.get(p))
    assert changed == []


@pytest.mark.slow
def test_a_victim_graded_after_every_attacker_keeps_full_marks(attacked):
    root = attacked[0]
    assert scores(root, "activations")["zvictim"] == scores(root, "activations")["ada"]
    assert sum(scores(root, "activations")["zvictim"].values()) == 21


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
