"""The course as nbgrader runs it on a shared server, with real Linux users (tests/shared_server.py):
the instructor releases; each student fetches, works and submits through nbgrader's exchange;
the instructor collects, autogrades with the kit (`python -m grader autograde`), writes and
releases feedback; each student fetches their own feedback and nobody else's (nbgrader #1202).
Students cannot see each other's work or the instructor's course. ~2 min."""
import json
import os
import textwrap

import pytest

from grader.instructor.demo import REPO
from grader.suites import cell_points
from tests.shared_server import COURSE_ID, shared_server, user_exists

pytestmark = pytest.mark.slow

ASSIGNMENT = "activations"
# Student 0 writes ada's code (all right), student 1 eli's (named mistakes).
COHORT_CODE = [os.path.join(REPO, "demo", "cohort", name, f"{ASSIGNMENT}.py") for name in ("ada", "eli")]
FULL_MARKS = sum(cell_points("activations").values())   # the suite's points

# Run by a student in their home: their fetched notebook, with their code in the solution cells.
WORK = textwrap.dedent("""\
    import json, nbformat
    from grader.instructor.cohort import student_notebook
    path = "{assignment}/{assignment}.ipynb"
    nb = student_notebook(nbformat.read(path, as_version=4), open({code!r}).read())
    nbformat.write(nb, path)
    print(json.dumps(path))
""")

# Run by a student: what they can see of others' work and the instructor's course. Each entry
# is the error a try ends in (PermissionError, FileNotFoundError), or "allowed".
SNOOP = textwrap.dedent("""\
    import json, os
    def attempt(action, *args):
        try:
            action(*args)
            return "allowed"
        except OSError as exc:
            return type(exc).__name__
    targets = json.loads({targets!r})
    print(json.dumps({{what: attempt(os.listdir if what.startswith("list") else lambda p: open(p).read(), path)
                      for what, path in targets.items()}}))
""")


@pytest.fixture(scope="module")
def course_run():
    """The whole cycle, once; yields the server (users still there) for the checks."""
    with shared_server() as server:
        s = server
        s.instructor("nbgrader", "generate_assignment", ASSIGNMENT)
        s.instructor("nbgrader", "release_assignment", ASSIGNMENT)
        for i, code in enumerate(COHORT_CODE):
            s.student(i, "nbgrader", "fetch_assignment", ASSIGNMENT)
            s.python_as(s.student_names[i], WORK.format(assignment=ASSIGNMENT, code=code))
            s.student(i, "nbgrader", "submit", ASSIGNMENT)
        s.instructor("nbgrader", "collect", ASSIGNMENT)
        s.grading = s.instructor("grader", "autograde", ASSIGNMENT, "--jobs", "1")
        s.instructor("nbgrader", "generate_feedback", ASSIGNMENT)
        s.instructor("nbgrader", "release_feedback", ASSIGNMENT)
        for i in range(2):
            s.student(i, "nbgrader", "fetch_feedback", ASSIGNMENT)
        yield s
    assert not any(user_exists(u) for u in [s.instructor_name, *s.student_names]), "users left behind"


def fetched_feedback(server, i):
    """{path relative to the student's home: text} of every feedback page the student holds."""
    home = server.home(server.student_names[i])
    pages = {}
    for folder, _, files in os.walk(os.path.join(home, ASSIGNMENT, "feedback")):
        for name in files:
            if name.endswith(".html"):
                with open(os.path.join(folder, name)) as f:
                    pages[os.path.relpath(os.path.join(folder, name), home)] = f.read()
    return pages


def test_the_instructor_collects_and_grades_both_submissions(course_run):
    s = course_run
    for student in s.student_names:
        assert os.path.isfile(os.path.join(s.course, "submitted", student, ASSIGNMENT, f"{ASSIGNMENT}.ipynb"))
        assert os.path.isfile(os.path.join(s.course, "autograded", student, ASSIGNMENT, f"{ASSIGNMENT}.ipynb"))
    assert f"{ASSIGNMENT}: 2 graded, 0 already graded, 0 failed" in s.grading.stdout


def test_each_student_fetches_their_own_feedback_and_nobody_elses(course_run):
    s = course_run
    pages = [fetched_feedback(s, i) for i in range(2)]
    assert [len(p) for p in pages] == [1, 1], pages.keys()
    (right,), (wrong,) = (list(p.values()) for p in pages)
    assert f"Score: {FULL_MARKS} / {FULL_MARKS}" in right and "Likely mistake:" not in right
    assert "Likely mistake:" in wrong and f"Score: {FULL_MARKS} / {FULL_MARKS}" not in wrong
    # Each page is the one the instructor generated for that student.
    for student, page in zip(s.student_names, (right, wrong)):
        with open(os.path.join(s.course, "feedback", student, ASSIGNMENT, f"{ASSIGNMENT}.html")) as f:
            assert f.read() == page
    assert "BEGIN HIDDEN TESTS" not in right + wrong


def test_a_student_cannot_read_another_students_work_or_the_instructors_course(course_run):
    s = course_run
    a, b = s.student_names
    course_exchange = os.path.join(s.exchange, COURSE_ID)
    targets = {
        "list the exchange's inbound (everyone's submissions)": os.path.join(course_exchange, "inbound"),
        "list the exchange's released feedback": os.path.join(course_exchange, "feedback"),
        "list the other student's home": s.home(a),
        "read the other student's notebook": os.path.join(s.home(a), ASSIGNMENT, f"{ASSIGNMENT}.ipynb"),
        "list the instructor's home": s.home(s.instructor_name),
        "read the gradebook": os.path.join(s.course, "gradebook.db"),
        "read the solutions": os.path.join(s.course, "source", ASSIGNMENT, f"{ASSIGNMENT}.ipynb"),
        "read the other student's collected submission":
            os.path.join(s.course, "submitted", a, ASSIGNMENT, f"{ASSIGNMENT}.ipynb"),
        "read the other student's feedback": os.path.join(s.course, "feedback", a, ASSIGNMENT, f"{ASSIGNMENT}.html"),
    }
    seen = s.python_as(b, SNOOP.format(targets=json.dumps(targets)))
    assert {what: result for what, result in seen.items() if result != "PermissionError"} == {}
    # ... while the released assignment is open to every student.
    released = {"list the released assignment": os.path.join(course_exchange, "outbound", ASSIGNMENT)}
    assert s.python_as(b, SNOOP.format(targets=json.dumps(released))) == {"list the released assignment": "allowed"}
