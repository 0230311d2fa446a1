"""The course as people run it, in a real (headless) browser, on a shared server of real Linux
users (tests/shared_server.py): each person's own JupyterLab on 127.0.0.1 with a token, as a
JupyterHub would start it.

- The instructor, in nbgrader's formgrader (Manage Assignments), generates the student version
  with the course's nbgrader_config.py (the same as `nbgrader generate_assignment`'s) and
  releases it to the exchange with formgrader's buttons.
- A student's JupyterLab shows the student's part of nbgrader only (no Formgrader, Create
  Assignment or Course List: README's set-up).
- The student opens JupyterLab's Assignment List, fetches the assignment, types solutions, runs
  the self-checks, validates and submits.
- A TA, in nbgrader's formgrader with no network beyond the TA's own server, collects with
  formgrader's Collect button and autogrades with its per-submission button (nbgrader's API with
  the course's nbgrader_config.py: the kit's pipeline and sandbox), reads the kit's report in each
  graded cell with the notebook's math typeset (MathJax from the TA's server), lowers one cell's
  score by hand and comments on the solution.
- A regrade with the kit's own command line (`python -m grader autograde --force`) keeps both, and
  formgrader then shows the same reports as after its own button. Pressing formgrader's
  autograde button again (a regrade from the browser) keeps both too.
- The TA generates and releases feedback with formgrader's buttons; the student fetches it in
  the Assignment List and opens it.

Only root's set-up of the shared server (users, exchange, the students' settings) is done
outside the browser: nbgrader has no button for it. The tests run in order, each continuing
from the last. Screenshots go to artifacts/course-*.png.
~3 min on a busy 2-core machine.
"""
import os
import re

import nbformat
import pytest

from grader.instructor.demo import REPO, scores
from grader.suites import cell_points
from tests.browser import block_network, chromium, screenshot
from tests.shared_server import COURSE_ID, shared_server
from tests.test_student_lab import SOLUTIONS, cell, close_dialog, menu, type_solution, validate, wait_for_output

pytestmark = pytest.mark.slow

ASSIGNMENT = "activations"
ADJUSTED = ("test_softmax", 5)   # the TA's manual score for this cell (the kit gives all 6)
COMMENT = ("softmax", "Neat max shift; say in a comment why it cannot overflow.")
VIEWPORT = {"width": 1280, "height": 900}
FULL_MARKS = sum(cell_points(ASSIGNMENT).values())   # the suite's points


@pytest.fixture(scope="module")
def server():
    """The course on a shared server, as root sets it up (users, exchange, the students' settings:
    README): nbgrader has no button for that. Everything after it is done in the browser."""
    with shared_server() as s:
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
    """The instructor's (a TA's) JupyterLab in the course folder; the page opens its formgrader
    and reaches nothing but that server: yields (page, server's URL, refused requests)."""
    with server.lab(server.instructor_name, cwd=server.course) as (url, token):
        page = browser.new_page(viewport=VIEWPORT)
        page.set_default_timeout(60_000)
        refused = block_network(page, allowed=(url + "/",))   # the TA's own server only: no CDN, no network
        page.goto(f"{url}/formgrader?token={token}")
        yield page, url, refused
        page.close()


def formgrader_button(page, button, success):
    """Press one of formgrader's action buttons (a link in a table cell), wait for the dialog
    with its result and close it; fails with nbgrader's log if it was not `success`."""
    button.click()
    dialog = page.locator("#success-modal, #error-modal")
    dialog.wait_for(timeout=300_000)
    text = dialog.inner_text()
    dialog.get_by_role("button", name="OK").click()
    dialog.wait_for(state="detached")
    assert success in text, text[-4000:]


def reports(page):
    """{grade id: the kit's report} under each graded cell of formgrader's submission page."""
    return {grade_id: page.locator(".cell", has=page.locator(f"input.score#{grade_id}")).locator(
                ".output").inner_text()
            for grade_id in page.locator("input.score").evaluate_all("els => els.map(e => e.id)")}


def comments(root, student):
    """{cell name: the TA's comment} on a student's submission, from the gradebook."""
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{os.path.join(root, 'gradebook.db')}") as gb:
        submission = gb.find_submission(ASSIGNMENT, student)
        return {c.name: c.manual_comment for nb in submission.notebooks for c in nb.comments if c.manual_comment}


def assignment_row(page):
    """The assignment's row in formgrader's Manage Assignments."""
    return page.locator("#main-table tr", has=page.locator("td.name", has_text=ASSIGNMENT))


def assignment_list(page):
    menu(page, "Nbgrader", "Assignment List")
    page.locator("#released_assignments_list, #fetched_assignments_list").first.wait_for()


def test_the_instructor_generates_and_releases_with_formgraders_buttons(server, formgrader):
    page, url, refused = formgrader
    page.get_by_role("link", name="Manage Assignments").click()
    row = assignment_row(page)
    row.locator("td.status", has_text="draft").wait_for()
    formgrader_button(page, row.locator("td.assign a"),   # "Generate"
                      f"Successfully created the student version of '{ASSIGNMENT}'")
    formgrader_button(page, row.locator("td.release a"), f"Successfully released '{ASSIGNMENT}'")
    row.locator("td.status", has_text="released").wait_for()
    screenshot(page, "course-formgrader-released")
    # Generated with the course's nbgrader_config.py: the same student version as the command
    # line's (the committed release/ is `nbgrader generate_assignment`'s: test_end_to_end.py),
    # and that is what the exchange offers the students.
    committed = nbformat.read(os.path.join(REPO, "release", ASSIGNMENT, f"{ASSIGNMENT}.ipynb"), as_version=4)
    for folder in (os.path.join(server.course, "release", ASSIGNMENT),
                   os.path.join(server.exchange, COURSE_ID, "outbound", ASSIGNMENT)):
        assert os.listdir(folder) == [f"{ASSIGNMENT}.ipynb"], folder
        assert nbformat.read(os.path.join(folder, f"{ASSIGNMENT}.ipynb"), as_version=4) == committed, folder
    from nbgrader.api import Gradebook
    with Gradebook(f"sqlite:///{os.path.join(server.course, 'gradebook.db')}") as gb:
        assert gb.find_assignment(ASSIGNMENT).max_score == FULL_MARKS
    assert refused == []


def test_a_student_sees_no_instructor_tools(server, student):
    page, _ = student
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    items = page.locator(".lm-Menu-content .lm-Menu-item:visible .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    assert items == ["Assignment List"], "a student sees neither Formgrader nor Course List"
    assert page.get_by_text("Create Assignment").count() == 0
    # formgrader's server extension is off too (the request carries the student's login cookie).
    assert page.request.get(page.url.split("/lab")[0] + "/formgrader").status == 404


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


def test_a_ta_collects_and_autogrades_with_formgraders_buttons(server, student, formgrader):
    page, url, refused = formgrader
    user = student[1]
    page.goto(f"{url}/formgrader/manage_assignments")
    row = assignment_row(page)
    formgrader_button(page, row.locator("td.collect a"), f"Successfully collected submissions of '{ASSIGNMENT}'")
    row.locator("td.num-submissions a", has_text="1").click()
    submission = page.locator("tr", has=page.locator("td.student-id", has_text=user))
    formgrader_button(page, submission.locator("td.autograde a"),
                      f"Successfully autograded '{ASSIGNMENT}' for student '{user}'")
    submission.locator("td.status", has_text="graded").wait_for()
    screenshot(page, "course-formgrader-autograded")
    # The kit's pipeline ran (its reports are checked in formgrader below): full marks.
    graded = scores(server.course, ASSIGNMENT)[user]
    assert sum(graded.values()) == FULL_MARKS, graded
    assert refused == []


def test_a_ta_reads_the_kits_report_in_formgrader_and_adjusts_a_score(server, student, formgrader):
    page, url, refused = formgrader
    user = student[1]
    page.get_by_role("link", name="Manual Grading").click()
    page.get_by_role("link", name=ASSIGNMENT).first.click()
    page.get_by_role("link", name=ASSIGNMENT).last.click()   # the notebook's submissions
    page.get_by_role("link", name="Submission #1").click()
    page.wait_for_selector(".nbgrader_cell")
    for name in SOLUTIONS:
        report = page.locator(".cell", has=page.locator(f"input.score#test_{name}"))
        assert re.search(rf"^{name}: (\d+) / \1 points$", report.inner_text(), re.M), name
    FORMGRADER_REPORTS.update(reports(page))

    # The notebook's math, typeset offline by the MathJax the TA's own server serves
    # (grader/grading/formgrader.py); formgrade.js marks the end of MathJax's start-up.
    page.wait_for_function("() => window.MathJax && MathJax.loaded === true")
    assert page.locator(".MathJax").count() >= 20
    assert page.locator(".MathJax_Error, .MathJax_Preview:visible").count() == 0
    assert "Math Processing Error" not in page.locator("body").inner_text()
    assert refused == [], "formgrader asked for something beyond the TA's server"

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


FORMGRADER_REPORTS = {}   # the reports after formgrader's autograde button, for the regrade below


def test_a_command_line_regrade_keeps_the_adjustment_and_shows_the_same_reports(server, student, formgrader):
    page, _, _ = formgrader
    user = student[1]
    # The kit's own command line, on purpose: the parallel front end for a whole class, which must
    # grade as formgrader's button does (the browser's regrade is the next test).
    server.instructor("grader", "autograde", ASSIGNMENT, "--force", "--jobs", "1")
    assert scores(server.course, ASSIGNMENT)[user][ADJUSTED[0]] == ADJUSTED[1]
    assert comments(server.course, user) == {COMMENT[0]: COMMENT[1]}
    page.reload()
    page.wait_for_selector(".nbgrader_cell")
    # The page fills its inputs from the gradebook's API after loading.
    page.wait_for_function("([id, value]) => document.getElementById(id).value === value",
                           arg=[f"{COMMENT[0]}-comment", COMMENT[1]])
    assert page.locator(f"input.score#{ADJUSTED[0]}").input_value() == str(ADJUSTED[1])
    # formgrader's button and the kit's command line grade alike: the same report in every cell.
    assert len(FORMGRADER_REPORTS) == len(SOLUTIONS)
    assert reports(page) == FORMGRADER_REPORTS


def test_formgraders_autograde_button_again_keeps_the_adjustment_and_comment(server, student, formgrader):
    page, url, refused = formgrader
    user = student[1]
    autograded = os.path.join(server.course, "autograded", user, ASSIGNMENT, f"{ASSIGNMENT}.ipynb")
    before = os.stat(autograded).st_mtime_ns
    page.goto(f"{url}/formgrader/manage_submissions/{ASSIGNMENT}")   # (the submission page has no menu)
    submission = page.locator("tr", has=page.locator("td.student-id", has_text=user))
    formgrader_button(page, submission.locator("td.autograde a"),
                      f"Successfully autograded '{ASSIGNMENT}' for student '{user}'")
    assert os.stat(autograded).st_mtime_ns != before, "formgrader's button did not regrade"
    # nbgrader keeps the TA's score and comment in the gradebook through a regrade; the TA sees it.
    submission.locator("td.score", has_text=f"{FULL_MARKS - 1:g} / {FULL_MARKS:g}").wait_for()
    # ... and, as nbgrader does after any regrade (SaveAutoGrades), asks the TA to look at a cell
    # scored by hand again: the submission needs manual grading.
    submission.locator("td.status", has_text="needs manual grading").wait_for()
    screenshot(page, "course-formgrader-regraded")
    graded = scores(server.course, ASSIGNMENT)[user]
    assert graded[ADJUSTED[0]] == ADJUSTED[1]
    assert sum(graded.values()) == FULL_MARKS - 1, graded
    assert comments(server.course, user) == {COMMENT[0]: COMMENT[1]}
    assert refused == []


def test_a_ta_generates_and_releases_feedback_with_formgraders_buttons(server, student, formgrader):
    page, url, refused = formgrader
    user = student[1]
    page.goto(f"{url}/formgrader/manage_assignments")
    row = assignment_row(page)
    formgrader_button(page, row.locator("td.generate-feedback a"),
                      f"Successfully generated feedback of '{ASSIGNMENT}'")
    formgrader_button(page, row.locator("td.release-feedback a"),
                      f"Successfully released feedback of '{ASSIGNMENT}'")
    # The kit's feedback exporter wrote it (nbgrader_config.py): math as MathML, no script.
    with open(os.path.join(server.course, "feedback", user, ASSIGNMENT, f"{ASSIGNMENT}.html")) as f:
        page_html = f.read()
    assert "<math" in page_html and "<script" not in page_html
    assert refused == []


def test_the_student_fetches_feedback_and_opens_it(server, student):
    page, user = student
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
    score = sum(scores(server.course, ASSIGNMENT)[user].values())
    assert score == FULL_MARKS - 1   # the TA's adjustment
    assert f"Score: {score:.1f} / {FULL_MARKS:.1f}" in text, text[:500]
    assert "BEGIN HIDDEN TESTS" not in text
    assert frame.locator("math").count() >= 20   # equations typeset, offline (feedback.py)
    screenshot(page, "course-student-feedback")
