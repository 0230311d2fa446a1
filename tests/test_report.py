"""What TAs read: each student's feedback, and the class report (HTML page + gradebook CSV).

On the demo cohort autograded by the real nbgrader (the `graded` fixture; hal and ivy are
its broken submissions: time-outs, a NameError, a dead kernel), and on a synthetic class of
200 made from those autograded notebooks (tests/synthetic_class.py). Both pages are opened
in headless Chromium; screenshots go to artifacts/.
"""
import base64
import collections
import csv
import html
import json
import os
import re
import subprocess
import sys
import time

import nbformat
import pytest

from grader.exercises import ASSIGNMENTS
from grader.instructor import report
from grader.__main__ import main
from grader.instructor.demo import REPO, scores
from grader.grading.cells import graded_test_cells
from grader.grading.pipeline import short_error
from tests.browser import block_network, chromium_page, file_url, screenshot
from grader.engine.summary import CellSummary
from grader.instructor.cohort import expected_scores
from tests.helpers import COHORT
from tests.synthetic_class import make_class

ASSIGNMENT = "activations"     # the assignment the demo cohort's broken submissions are in


def autograded(root, student):
    with open(os.path.join(root, "autograded", student, ASSIGNMENT, f"{ASSIGNMENT}.ipynb")) as f:
        return nbformat.from_dict(json.load(f))


def summaries(root, student):
    return {g: CellSummary.from_json(c["metadata"]["grader"])
            for g, c in graded_test_cells(autograded(root, student)).items()}


def feedback_text(root, student):
    with open(os.path.join(root, "feedback", student, ASSIGNMENT, f"{ASSIGNMENT}.html")) as f:
        return html.unescape(f.read())


# --- per-student feedback ------------------------------------------------------------------

@pytest.mark.slow
def test_feedback_has_every_cells_score_report_and_mistakes_but_no_hidden_tests_or_tracebacks(graded):
    points = {g: c["metadata"]["nbgrader"]["points"] for g, c in graded_test_cells(autograded(graded, "ada")).items()}
    for student, cells in scores(graded, ASSIGNMENT).items():
        text = feedback_text(graded, student)
        for grade_id, score in cells.items():
            summary = summaries(graded, student)[grade_id]
            assert f"Score: {float(score)} / {float(points[grade_id])}" in text, (student, grade_id)
            assert f"{summary.api}: {score:g} / {points[grade_id]:g} points" in text, (student, grade_id)
            for finding in summary.mistakes:
                assert finding.line() in text, (student, finding)
        for hidden in ("BEGIN HIDDEN TESTS", "from grader import grade", 'grade("'):
            assert hidden not in text, (student, hidden)
        assert "Traceback (most recent call last)" not in text, student
        assert "\x1b[" not in text and "---->" not in text, student


@pytest.mark.slow
def test_errors_in_solution_and_figure_cells_are_one_line_in_feedback(graded):
    hal = feedback_text(graded, "hal")
    # the solution cell (a debugging line run before sigmoid existed) and the figure cell
    assert "NameError: name 'sigmoid' is not defined (at line 4: print(sigmoid(np.array([0.0, 1.0])))" in hal
    assert "NameError: name 'sigmoid' is not defined (at line 7: except NotImplementedError:)" in hal
    assert "timed out: no answer within 2 s of CPU time" in hal
    ivy = feedback_text(graded, "ivy")
    assert "DeadKernelError: the kernel died while running this cell" in ivy
    assert "NotRun: not run: the kernel died in cell" in ivy
    # the autograded notebook (what the instructor debugs with) keeps the full traceback
    full = [o for c in autograded(graded, "hal")["cells"] for o in c.get("outputs", []) if o["output_type"] == "error"]
    assert full and all(len(o["traceback"]) > 1 for o in full)


def test_short_error_points_at_the_students_line():
    red = "\x1b[31m{}\x1b[39m".format
    frames = [red("-" * 20), red("ValueError") + "    Traceback (most recent call last)",
              "Cell \x1b[32mIn[7], line 3\x1b[39m\n      2 y = 1\n----> 3 softmax(x)\n      4 z = 2",
              "Cell In[4], line 2, in softmax(x, axis)\n      1 def softmax(x, axis=-1):\n----> 2     raise ValueError('no')",
              "File /usr/lib/numpy/core.py:10, in f()\n---> 10 raise", red("ValueError") + ": no"]
    out = {"output_type": "error", "ename": "ValueError", "evalue": "no", "traceback": frames}
    assert short_error(out) == "ValueError: no (in softmax(x, axis), at line 2: raise ValueError('no'))"
    syntax = {"ename": "SyntaxError", "evalue": "invalid syntax (1234.py, line 3)",
              "traceback": ["  Cell In[2], line 3\n    def f(:\n          ^\n", "SyntaxError: invalid syntax\n"]}
    assert short_error(syntax) == "SyntaxError: invalid syntax (1234.py, line 3) (at line 3)"
    assert short_error({"ename": "NotRun", "evalue": "not run", "traceback": ["NotRun: not run"]}) == "NotRun: not run"
    assert short_error({"ename": "E", "evalue": "x" * 2000, "traceback": []}, max_chars=10) == "E: " + "x" * 10


@pytest.mark.slow
def test_test_cells_record_errors_and_timed_out_calls_for_reports(graded):
    hal, ivy = summaries(graded, "hal"), summaries(graded, "ivy")
    assert hal["test_softmax"].timed_out_calls == 5 and hal["test_softmax"].errors == []
    assert hal["test_log_softmax"].timed_out_calls == 0
    assert ivy["test_softmax"].errors == ["DeadKernelError"] and not ivy["test_softmax"].recorded
    assert ivy["test_log_softmax"].errors == ["NotRun"]
    assert ivy["test_sigmoid"].errors == [] and ivy["test_sigmoid"].recorded
    raw = graded_test_cells(autograded(graded, "dee"))["test_softmax"]["metadata"]["grader"]
    assert raw["version"] == 3 and raw["mistakes"][0]["name"] == "normalised over axis 0 instead of the `axis` argument"


# --- the class report on the demo cohort ---------------------------------------------------

@pytest.fixture(scope="module")
def demo_report(graded):
    return report.write_report(graded, ASSIGNMENT)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


@pytest.mark.slow
def test_csv_has_one_row_per_student_with_gradebook_scores(graded, demo_report):
    html_path, csv_path = demo_report
    assert (html_path, csv_path) == (os.path.join(graded, "reports", f"{ASSIGNMENT}.html"),
                                     os.path.join(graded, "reports", f"{ASSIGNMENT}-scores.csv"))
    rows = {row["student_id"]: row for row in read_csv(csv_path)}
    expected = expected_scores(COHORT, ASSIGNMENT)
    assert set(rows) == set(expected)
    for student, cells in expected.items():
        row = rows[student]
        assert list(row) == ["student_id", "last_name", "first_name", "email", *cells, "total"]
        assert {g: float(row[g]) for g in cells} == cells, student
        assert float(row["total"]) == sum(cells.values()), student


@pytest.mark.slow
def test_report_counts_named_mistakes_and_lists_crashes_and_time_outs(graded, demo_report):
    data = report.collect(graded, ASSIGNMENT)
    mistakes = {finding.name: students for finding, _, students in report.frequent_mistakes(data)}
    assert mistakes["normalised over axis 0 instead of the `axis` argument"] == ["dee"]
    assert mistakes["tanh(x) is not the logistic sigmoid"] == ["fay"]
    events = report.incidents(data)
    assert {(student, cell, kind) for student, cell, kind, _ in events} == {
        ("hal", "sigmoid (solution cell)", "error"), ("hal", "cell 10", "error"),   # and the figure cell
        ("hal", "test_softmax", "time-out"),
        ("ivy", "test_softmax", "crash"), ("ivy", "test_log_softmax", "crash")}
    rates = {check.name: (passed, n) for _, check, passed, n in report.check_pass_rates(data)}
    assert rates["test_sigmoid_extremes"] == (5, 9)    # ada, ben, dee, gus, ivy
    page = open(demo_report[0]).read()
    assert "5 call(s) of the student&#x27;s code timed out" in page
    assert "the kernel died in this cell; later cells did not run" in page
    assert "9 submission(s) in the gradebook" in page


@pytest.mark.slow
def test_failed_graded_cells_carry_one_picture_and_right_ones_none(graded):
    for student in scores(graded, ASSIGNMENT):
        for grade_id, cell in graded_test_cells(autograded(graded, student)).items():
            pictures = [o for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
            summary = summaries(graded, student)[grade_id]
            failed = [c for c in summary.checks if not c.passed]
            if not failed:
                assert pictures == [], (student, grade_id)
            assert len(pictures) <= 1, (student, grade_id)
    dee = graded_test_cells(autograded(graded, "dee"))["test_softmax"]   # softmax over axis 0
    assert any("image/png" in o.get("data", {}) for o in dee["outputs"])
    with open(os.path.join(graded, "feedback", "dee", ASSIGNMENT, f"{ASSIGNMENT}.html")) as f:
        assert 'src="data:image/png;base64,' in f.read()


@pytest.mark.slow
def test_report_links_each_students_feedback_and_shows_where_runs_leave_torchs_path(graded, demo_report):
    page = open(demo_report[0]).read()
    for student in scores(graded, ASSIGNMENT):
        assert f'<a href="../feedback/{student}/{ASSIGNMENT}/{ASSIGNMENT}.html">{student}</a>' in page, student
    rows = report.divergences(report.collect(graded, "optimizers"))
    assert rows, "the demo's wrong optimizers leave torch's path"
    for cell, name, steps in rows:
        assert cell in ("test_SGD", "test_Adam") and all(isinstance(s, int) and s >= 1 for s in steps)
    assert any(name for _, name, _ in rows), "some divergences are explained by a named mistake"
    assert "No failing optimizer runs." in page    # the activations page has no runs


@pytest.mark.slow
def test_report_page_is_self_contained(demo_report):
    page = open(demo_report[0]).read()
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"https?:|//|url\(", re.sub(r"data:image/png;base64,[\w+/=]+", "", page))
    sources = re.findall(r'src="([^"]*)"', page)
    assert len(sources) == 3        # histogram, pass rates, mistakes
    for src in sources:
        assert src.startswith("data:image/png;base64,")
        assert base64.b64decode(src.split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"


def check_in_browser(path, picture):
    """Open the report from disk in headless Chromium with the network refused; returns what
    the page shows. Every figure must have loaded and nothing may have been requested."""
    with chromium_page() as page:
        refused = block_network(page)
        errors = []
        page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
        page.goto(file_url(path))
        page.wait_for_load_state("load")
        images = page.eval_on_selector_all("img", "imgs => imgs.map(i => [i.complete, i.naturalWidth])")
        headings = page.eval_on_selector_all("h2", "hs => hs.map(h => h.textContent)")
        text = page.inner_text("body")
        screenshot(page, picture, full_page=True)
    assert not refused and not errors
    assert images and all(done and width > 300 for done, width in images), images
    assert headings == ["Scores", "Checks: pass rate", "Most frequent named mistakes",
                        "Where optimizer runs leave torch's path", "Time-outs and crashes", "Scores per student"]
    return text


@pytest.mark.slow
def test_demo_report_renders_in_chromium(demo_report):
    text = check_in_browser(demo_report[0], "class-report-demo")
    assert "Class report: activations" in text
    assert os.path.isfile(os.path.join(REPO, "artifacts", "class-report-demo.png"))


# --- the command line ----------------------------------------------------------------------

@pytest.mark.slow
def test_report_command_prints_where_it_wrote(graded, tmp_path, capsys):
    assert main(["report", ASSIGNMENT, "--root", graded, "--out", str(tmp_path)]) == 0
    assert capsys.readouterr().out == (f"class report: {tmp_path / 'activations.html'}\n"
                                       f"gradebook CSV: {tmp_path / 'activations-scores.csv'}\n")
    assert (tmp_path / "activations.html").stat().st_size > 10_000


@pytest.mark.slow
def test_bad_requests_get_one_clear_line_and_a_nonzero_exit(graded, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "grader", "report", "convolutions"], cwd=graded,
                          capture_output=True, text=True)
    assert proc.returncode == 1
    assert proc.stderr == f"error: unknown assignment 'convolutions'; the gradebook has: {', '.join(sorted(ASSIGNMENTS))}\n"
    with pytest.raises(SystemExit) as exit_:
        main(["report", ASSIGNMENT, "--root", str(tmp_path)])
    assert str(exit_.value.code).startswith(f"error: no gradebook.db in {tmp_path}")
    make_class(graded, ASSIGNMENT, str(tmp_path / "empty"), size=0, absent=("amy",))
    with pytest.raises(SystemExit) as exit_:
        main(["report", ASSIGNMENT, "--root", str(tmp_path / "empty")])
    assert exit_.value.code == "error: the gradebook has no submissions of 'activations': run " \
                               "`nbgrader autograde activations` first"


# --- a class of 200 ------------------------------------------------------------------------

ABSENT = ("zz-absent-1", "zz-absent-2")


@pytest.fixture(scope="module")
def big_class(graded, tmp_path_factory):
    root = str(tmp_path_factory.mktemp("class200"))
    expected = make_class(graded, ASSIGNMENT, root, 200, seed=8, absent=ABSENT, without_notebook=("s007",),
                          cell_time_out=("s013", "test_log_softmax"))
    start = time.monotonic()
    paths = report.write_report(root, ASSIGNMENT)
    return root, expected, paths, time.monotonic() - start


@pytest.mark.slow
def test_big_class_csv_is_ready_for_a_gradebook_import(big_class):
    root, expected, (_, csv_path), seconds = big_class
    rows = read_csv(csv_path)
    assert [r["student_id"] for r in rows] == sorted([*expected, *ABSENT])
    for row in rows:
        if row["student_id"] in ABSENT:
            assert row["total"] == "" and row["test_sigmoid"] == ""
            continue
        cells = {g: s["score"] for g, s in expected[row["student_id"]].items()}
        assert {g: float(row[g]) for g in cells} == cells
        assert float(row["total"]) == sum(cells.values())
    assert seconds < 60, f"the report for 200 students took {seconds:.0f} s"


@pytest.mark.slow
def test_big_class_counts_match_what_each_student_got(big_class):
    root, expected, _, _ = big_class
    data = report.collect(root, ASSIGNMENT)
    have = {s: {g: CellSummary.from_json(summary) for g, summary in cells.items()}
            for s, cells in expected.items() if s != "s007"}   # s007's notebook is missing
    want = collections.Counter(finding for cells in have.values() for finding in
                               {m for summary in cells.values() for m in summary.mistakes})
    got = report.frequent_mistakes(data)
    assert {finding: len(students) for finding, _, students in got} == want
    assert [len(s) for _, _, s in got] == sorted(want.values(), reverse=True)
    for finding, _, students in got:
        assert students == sorted(students)
        assert all(any(finding in summary.mistakes for summary in have[s].values()) for s in students)
    for cell, check, passed, n in report.check_pass_rates(data):
        assert n == len(have)
        assert passed == sum(c.passed for cells in have.values() for c in cells[cell].checks
                             if c.name == check.name)
    events = report.incidents(data)
    assert ("s007", "", "missing") in {e[:3] for e in events}
    assert ("s013", "test_log_softmax", "time-out") in {e[:3] for e in events}
    died = {s for s, cells in have.items() if "DeadKernelError" in cells["test_softmax"].errors}
    assert died and died == {s for s, cell, kind, _ in events if cell == "test_softmax" and kind == "crash"}


@pytest.mark.slow
def test_big_class_report_renders_in_chromium(big_class):
    root, expected, (html_path, _), _ = big_class
    text = check_in_browser(html_path, "class-report-200")
    assert "200 submission(s) in the gradebook; no submission from 2 student(s)" in text
    assert "202 students" in text     # the long per-student table is folded
