"""formgrader's pages without a network: typeset math from the TA's own Jupyter server.

nbgrader's formgrader shows each submission through nbconvert's HTMLExporter with its
`formgrade` template, whose `mathjax()` call loads MathJax 2 from a CDN: offline (a course
server without internet, a TA on a train) every equation in the notebook shows as raw `$...$`.
The kit's `formgrade/mathjax.html.j2` (grader/grading/templates/) replaces that macro with one
that loads the MathJax 2 which jupyter_server_mathjax (a Jupyter server extension, in the
`grading` extra) serves from the same server. nbgrader_config.py installs it with
`c.HTMLExporter.extra_template_basedirs = formgrader.TEMPLATE_BASEDIRS`.
"""
import os

import nbgrader

# The kit's folder first, so its formgrade/mathjax.html.j2 is found before nbconvert's. nbgrader's
# own template folder must stay on the list: this setting replaces the one formgrader and
# `nbgrader generate_feedback` would make (their `formgrade` and `feedback` templates live there).
TEMPLATE_BASEDIRS = [
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates"),
    os.path.join(os.path.dirname(os.path.abspath(nbgrader.__file__)), "server_extensions", "formgrader", "templates"),
]
