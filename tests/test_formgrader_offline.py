"""formgrader's submission pages load MathJax from the TA's own Jupyter server, not a CDN
(grader/grading/formgrader.py), with the course's nbgrader_config.py as formgrader reads it.
The browser test (tests/test_course_in_browser.py) shows the math typeset with the network
blocked; this one checks the page and the files it points at, without a server."""
import os
import urllib.parse

import jupyter_server_mathjax
import nbformat
from nbconvert.exporters import HTMLExporter
from nbformat.v4 import new_markdown_cell, new_notebook
from nbgrader.server_extensions.formgrader import handlers
from traitlets.config import Config
from traitlets.config.loader import PyFileConfigLoader

from grader.instructor.demo import REPO

SUBMISSION_URL = "http://127.0.0.1:8888/user/ta/formgrader/submissions/3f2a/"   # as formgrader serves it


def formgrade_page(notebook):
    """The page formgrader writes for `notebook`: its exporter's set-up (FormgradeExtension)
    with the course's nbgrader_config.py loaded over it, as nbgrader does."""
    config = Config()
    config.HTMLExporter.template_name = "formgrade"
    config.HTMLExporter.extra_template_basedirs = [handlers.template_path]   # formgrader's own
    config.merge(PyFileConfigLoader("nbgrader_config.py", path=REPO).load_config())
    resources = {"base_url": "/user/ta", "assignment_id": "activations", "notebook_id": "activations",
                 "submission_id": "3f2a", "index": 0, "total": 1, "student": "s", "last_name": None,
                 "first_name": None, "notebook_path": "autograded/s/activations/activations.ipynb"}
    html, _ = HTMLExporter(config=config).from_notebook_node(notebook, resources=resources)
    return html


def test_formgrader_loads_mathjax_from_the_tas_server():
    html = formgrade_page(new_notebook(cells=[new_markdown_cell(r"A softmax: $\frac{e^{x_i}}{\sum_j e^{x_j}}$")]))
    assert "cdnjs" not in html and "https://" not in html.split("<body")[0]
    src = html.split('<script src="')[-1].split('"')[0]   # the last script in <head>: MathJax
    assert "MathJax.js" in src
    url = urllib.parse.urljoin(SUBMISSION_URL, src)
    assert url.startswith("http://127.0.0.1:8888/user/ta/static/jupyter_server_mathjax/MathJax.js?")
    # ... which jupyter_server_mathjax serves from its static folder, with the configuration named.
    static = os.path.join(os.path.dirname(jupyter_server_mathjax.__file__), "static")
    assert os.path.isfile(os.path.join(static, "MathJax.js"))
    for name in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["config"][0].split(","):
        assert os.path.isfile(os.path.join(static, "config", f"{name}.js")), name
    assert r"$\frac{e^{x_i}}{\sum_j e^{x_j}}$" in html   # left for MathJax, as formgrader expects


def test_formgrader_still_shows_its_own_submission_page():
    """The course's template folders replace formgrader's list: nbgrader's `formgrade` template
    (its grading form and scripts) must still be the page."""
    nb = nbformat.read(os.path.join(REPO, "release", "activations", "activations.ipynb"), as_version=4)
    html = formgrade_page(nb)
    assert "/user/ta/formgrader/static/js/formgrade.js" in html and "Submission 1 / 1" in html
