"""The course as people run it, in a real (headless) browser, on a shared server of real Linux
users (tests/shared_server.py): each person's own JupyterLab on 127.0.0.1 with a token, as a
JupyterHub would start it.

- A student opens JupyterLab's Assignment List, fetches the assignment, types solutions, runs
  the self-checks, validates and submits.
- The instructor collects and autogrades with the kit (`python -m grader autograde`: nbgrader
  gives no button for the kit's parallel front end).
- A TA opens nbgrader's formgrader, finds the autograded submission, reads the kit's report in
  each graded cell, lowers one cell's score by hand and comments on the solution; a regrade
  (`autograde --force`) keeps both.
- Feedback is generated and released; the student fetches it in the Assignment List and opens it.

The tests run in order, each continuing from the last. Screenshots go to artifacts/course-*.png.
~3 min on a busy 2-core machine.
"""
import os
import re

import pytest

from grader.instructor.demo import scores
from tests.browser import chromium, screenshot
from tests.shared_server import shared_server
from tests.test_student_lab import SOLUTIONS, cell, close_dialog, menu, type_solution, validate, wait_for_output

pytestmark = pytest.mark.slow

ASSIGNMENT = "activations"
ADJUSTED = ("test_softmax", 5)   # the TA's manual score for this cell (the kit gives all 6)
COMMENT = ("softmax", "Neat max shift; say in a comment why it cannot overflow.")
VIEWPORT = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def server():
    with shared_server() as s:
        s.instructor("nbgrader", "generate_assignment", ASSIGNMENT)
        s.instructor("nbgrader", "release_assignment", ASSIGNMENT)
        yield s


@pytest.fixture(scope="module")
def browser():
    with chromium() as b:
        yield b


@pytest.fixture(scope="module")
def student(server, browser):
    """The student's JupyterLab, open in the browser: (page, server's user name)."""
    user = server.student_names[0]
    with server.lab(user) as (url, token):
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(60_000)
        page.goto(f"{url}/lab?token={token}")
        page.wait_for_selector(".jp-LabShell")
        yield page, user
        page.close()


@pytest.fixture(scope="module")
def formgrader(server, browser):
    """The instructor's (a TA's) JupyterLab in the course folder; the page opens its formgrader."""
    with server.lab(server.instructor_name, cwd=server.course) as (url, token):
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(60_000)
        page.goto(f"{url}/formgrader?token={token}")
        yield page, url
        page.close()


def comments(root, student):
    """{cell name: the TA's comment} on a student's submission, from the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{os.path.join(root, 'gradebook.db')}") as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return {c.name: c.manual_comment for nb in submission.notebooks for c in nb.comments if c.manual_comment}


def assignment_list(page):
    menu(page, "Nbgrader", "Assignment List")
    page.locator("#released_assignments_list, #fetched_assignments_list").first.wait_for()


def test_a_student_fetches_works_validates_and_submits(server, student):
    page, user = student
    assignment_list(page)
    released = page.locator("#released_assignments_list .list_item", has_text=ASSIGNMENT)
    released.wait_for()
    screenshot(page, "course-assignment-list")
    released.locator("button", has_text="Fetch").click()
    fetched = page.locator("#fetched_assignments_list > .list_item", has_text=ASSIGNMENT)
    fetched.wait_for()
    fetched.locator("a.assignment-notebooks-link").click()
    fetched.locator(".nested_list_item a", has_text=ASSIGNMENT).click()
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)

    for name, code in SOLUTIONS.items():
        type_solution(page, name, code)
    menu(page, "Run", "Run All Cells")
    for name in SOLUTIONS:
        wait_for_output(page, f"test_{name}", f"{name}: public self-check passed")
    cell(page, "test_softmax").scroll_into_view_if_needed()
    screenshot(page, "course-student-self-check")
    dialog = validate(page)
    assert "Success! Your notebook passes all the tests." in dialog.inner_text()
    close_dialog(page)

    page.get_by_role("tab", name="Assignments").click()
    page.locator("#fetched_assignments_list > .list_item", has_text=ASSIGNMENT).locator(
        "button", has_text="Submit").click()
    page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).wait_for()
    screenshot(page, "course-submitted")
    inbound = os.path.join(server.exchange, "dl-course", "inbound")
    assert [d.split("+")[0] for d in os.listdir(inbound)] == [user]


def test_the_instructor_collects_and_autogrades_with_the_kit(server, student):
    user = student[1]
    server.instructor("nbgrader", "collect", ASSIGNMENT)
    proc = server.instructor("grader", "autograde", ASSIGNMENT, "--jobs", "1")
    assert f"{ASSIGNMENT}: 1 graded" in proc.stdout
    assert scores(server.course, ASSIGNMENT)[user][ADJUSTED[0]] == 6


def test_a_ta_reads_the_kits_report_in_formgrader_and_adjusts_a_score(server, student, formgrader):
    page, url = formgrader
    user = student[1]
    page.get_by_role("link", name="Manual Grading").click()
    page.get_by_role("link", name=ASSIGNMENT).first.click()
    page.get_by_role("link", name=ASSIGNMENT).last.click()   # the notebook's submissions
    page.get_by_role("link", name="Submission #1").click()
    page.wait_for_selector(".nbgrader_cell")
    for name in SOLUTIONS:
        report = page.locator(".cell", has=page.locator(f"input.score#test_{name}"))
        assert re.search(rf"^{name}: (\d+) / \1 points$", report.inner_text(), re.M), name

    grade_id, points = ADJUSTED
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"):
        page.locator(f"input.score#{grade_id}").fill(str(points))
        page.keyboard.press("Tab")
    solution, comment = COMMENT
    with page.expect_response(lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT"):
        page.locator(f"textarea#{solution}-comment").fill(comment)
        page.keyboard.press("Tab")
    page.locator(f"input.score#{grade_id}").scroll_into_view_if_needed()
    screenshot(page, "course-formgrader")
    assert scores(server.course, ASSIGNMENT)[user][grade_id] == points
    assert comments(server.course, user) == {solution: comment}


def test_the_adjustment_and_comment_survive_a_regrade(server, student, formgrader):
    page, _ = formgrader
    user = student[1]
    server.instructor("grader", "autograde", ASSIGNMENT, "--force", "--jobs", "1")
    assert scores(server.course, ASSIGNMENT)[user][ADJUSTED[0]] == ADJUSTED[1]
    assert comments(server.course, user) == {COMMENT[0]: COMMENT[1]}
    page.reload()
    page.wait_for_selector(".nbgrader_cell")
    # The page fills its inputs from the gradebook's API after loading.
    page.wait_for_function("([id, value]) => document.getElementById(id).value === value",
                           arg=[f"{COMMENT[0]}-comment", COMMENT[1]])
    assert page.locator(f"input.score#{ADJUSTED[0]}").input_value() == str(ADJUSTED[1])


def test_the_student_fetches_feedback_and_opens_it(server, student):
    page, _ = student
    server.instructor("nbgrader", "generate_feedback", ASSIGNMENT)
    server.instructor("nbgrader", "release_feedback", ASSIGNMENT)
    page.get_by_role("tab", name="Assignments").click()
    page.locator("#refresh_assignments_list").click()
    submitted = page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT)
    submitted.locator("button", has_text="Fetch Feedback").click()
    submitted.get_by_text("(view feedback)").click()
    page.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html").dblclick()
    frame = page.frame_locator(".jp-HTMLViewer iframe")
    body = frame.locator("body")
    body.get_by_text(COMMENT[1]).wait_for()
    text = body.inner_text()
    assert "Score: 20.0 / 21.0" in text, text[:500]
    assert "BEGIN HIDDEN TESTS" not in text
    assert frame.locator("math").count() >= 20   # equations typeset, offline (feedback.py)
    screenshot(page, "course-student-feedback")
