"""Feedback pages read well offline (grader/grading/feedback.py): opened from disk in headless
Chromium with the network blocked, the math is typeset (MathML written when the page was made,
no MathJax from a CDN), each report's long lines wrap instead of scrolling sideways, and the
page loads nothing and runs nothing. Screenshots go to artifacts/."""
import glob
import os
import shutil

import nbformat
import pytest

from nbformat.v4 import new_code_cell, new_notebook, new_output

from grader.grading.feedback import FeedbackExporter, SafeOutputs, tex_to_mathml
from grader.instructor.cohort import build_submissions
from grader.instructor.demo import REPO, make_course, nbgrader
from tests.browser import block_network, chromium_page, file_url, screenshot

ASSIGNMENT = "activations"
STUDENT = "eli"   # the demo student whose activations report names mistakes


# --- the math, without a browser -----------------------------------------------------------

def markdown(source):
    """`source` rendered as the feedback page renders a markdown cell."""
    return FeedbackExporter().markdown2html({"cell": {}}, source)


def test_tex_becomes_mathml_with_nothing_active():
    html = markdown(r"A softmax: $$\frac{e^{x_i}}{\sum_j e^{x_j}}$$ of $x$.")
    assert '<math display="block">' in html and "<mfrac>" in html and '<math display="inline">' in html
    cases = markdown(r"$$\begin{cases} 1 & x \ge 0 \\[2ex] 0 & x < 0 \end{cases}$$")
    assert "<mtable>" in cases and "2ex" not in cases
    # latex2mathml copies \text{} and \href targets verbatim: they come out as text, never as markup.
    hostile = markdown(r"$\text{<script>alert(1)</script>} \href{javascript:alert(1)}{x}$")
    assert "<math" in hostile and "<script" not in hostile and "&lt;script&gt;" in hostile
    assert "href" not in hostile and "javascript" not in hostile


def test_tex_it_cannot_read_is_shown_as_source():
    assert tex_to_mathml(r"\frac{1}{", display=False) == r'<code class="tex">$\frac{1}{$</code>'


def test_every_equation_in_the_course_notebooks_becomes_mathml():
    for path in glob.glob(os.path.join(REPO, "source", "*", "*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown":
                html = markdown(cell.source)
                assert 'class="tex"' not in html, (path, cell.source[:200])
                assert "$" not in html.replace("<code>$", ""), (path, cell.source[:200])


def test_latex_outputs_become_mathml_like_markdown():
    """`text/latex` outputs (IPython's Latex, sympy) are typeset too, through nbgrader's own order:
    the kit's exporter first, then the feedback pipeline's SafeOutputs (registered after it)."""
    outputs = [new_output("execute_result", execution_count=1,
                          data={"text/latex": r"$$\frac{e^{x_i}}{\sum_j e^{x_j}}$$", "text/plain": "<Latex>"}),
               new_output("display_data", data={"text/latex": r"\begin{equation}a^2\end{equation}"}),
               new_output("display_data", data={"text/latex": r"$\text{<script>alert(1)</script>}$"}),
               new_output("display_data", data={"text/latex": r"$x$", "text/html": "<b>as html</b>"})]
    exporter = FeedbackExporter()
    exporter.register_preprocessor(SafeOutputs(), enabled=True)
    html, _ = exporter.from_notebook_node(new_notebook(cells=[new_code_cell("x", outputs=outputs)]))
    body = html[html.index("<body"):]
    assert body.count("<math") == 3 and "<mfrac>" in body and "<msup><mi>a</mi><mn>2</mn></msup>" in body
    assert "\\frac" not in body and "\\begin" not in body and "$" not in body
    assert "<script" not in body and "&lt;script&gt;" in body
    assert "<b>as html</b>" in body   # HTML still comes first, as nbconvert ranks it


# --- the page, in a browser ----------------------------------------------------------------

@pytest.fixture(scope="module")
def feedback_page(tmp_path_factory):
    """One student's activations feedback, as `nbgrader generate_feedback` writes it."""
    root = str(tmp_path_factory.mktemp("feedback-course"))
    make_course(root)
    nbgrader(root, "generate_assignment", ASSIGNMENT, "--force")
    for student in build_submissions(root, os.path.join(REPO, "demo", "cohort"), ASSIGNMENT):
        if student != STUDENT:
            shutil.rmtree(os.path.join(root, "submitted", student))
    nbgrader(root, "autograde", ASSIGNMENT, "--force")
    nbgrader(root, "generate_feedback", ASSIGNMENT, "--force")
    return os.path.join(root, "feedback", STUDENT, ASSIGNMENT, f"{ASSIGNMENT}.html")


@pytest.mark.slow
def test_the_page_is_one_file_with_no_script_and_no_hidden_tests(feedback_page):
    html = open(feedback_page).read()
    assert "<script" not in html and 'src="http' not in html and "<link" not in html
    assert "BEGIN HIDDEN TESTS" not in html and 'grade("' not in html
    assert "Likely mistake:" in html


@pytest.mark.slow
def test_offline_page_shows_typeset_math_and_wrapped_reports(feedback_page):
    with chromium_page(width=1000, height=900) as page:
        refused = block_network(page)
        page.goto(file_url(feedback_page))
        page.wait_for_load_state("load")
        assert refused == [], "the feedback page asked the network for something"

        # Math: MathML laid out by the browser (a fraction's numerator sits above its denominator),
        # and no TeX source left in the text people read.
        assert page.locator("math").count() >= 20
        numerator, denominator = (page.locator("mfrac").first.locator(":scope > *").nth(i).bounding_box()
                                  for i in (0, 1))
        assert numerator["y"] + numerator["height"] <= denominator["y"] + 1
        prose = page.locator(".text_cell_render").all_inner_texts()
        assert prose and not any("$" in text or "\\frac" in text for text in prose)

        # Reports: every output <pre> fits its box, and each `Likely mistake:` line is on screen.
        overflowing = page.evaluate("""() => [...document.querySelectorAll('.output_area pre')]
            .filter(pre => pre.scrollWidth > pre.clientWidth).map(pre => pre.innerText.slice(0, 80))""")
        assert overflowing == []
        mistake = page.locator("pre", has_text="Likely mistake:").first
        mistake.scroll_into_view_if_needed()
        box = mistake.bounding_box()
        assert box["x"] + box["width"] <= page.viewport_size["width"]

        screenshot(page, "feedback-offline-report", clip={"x": 0, "y": 0, "width": 1000, "height": 900})
        heading = page.locator("h2", has_text="1. The sigmoid").first
        heading.scroll_into_view_if_needed()
        screenshot(page, "feedback-offline-math")
