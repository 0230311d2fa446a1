"""Feedback pages that read well offline and can be emailed.

nbgrader writes each student's feedback with nbconvert's HTMLExporter and its own `feedback`
template, which loads MathJax from a CDN: opened from disk without a network, equations show as
raw `$...$`. `FeedbackExporter` (installed by `c.GenerateFeedback.exporter_class` in
nbgrader_config.py) makes a page that needs nothing from outside:
- math in markdown is rendered to MathML here, at generation time, by latex2mathml (pure Python;
  browsers draw MathML natively), so the page has no script at all;
- the template slot where nbgrader loads MathJax (`mathjax()`) carries the page's own styles
  instead (grader/grading/templates/mathjax.html.j2): each graded cell's report wraps its long
  lines (`Likely mistake: ...`) instead of scrolling sideways.
Hidden tests are removed before any of this (ClearHiddenTests in pipeline.FEEDBACK).
"""
import html
import os
import re

import bleach
from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from traitlets import default

try:
    from jinja2 import pass_context
except ImportError:   # jinja2 < 3
    from jinja2 import contextfilter as pass_context

# `\\[2ex]`: a line break with extra space, which latex2mathml would print as "[2ex]".
SPACED_LINE_BREAK = re.compile(r"\\\\\[[^\]]*\]")

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

# MathML Core's presentation elements and the attributes that only change layout. latex2mathml
# copies `\text{...}` verbatim and `\href` targets into its output, so its MathML is sanitized
# with this allow-list (anything else is shown as text, never run): no href, no style, no events.
MATHML_TAGS = ["math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot",
               "mstyle", "merror", "mpadded", "mphantom", "msub", "msup", "msubsup", "munder", "mover",
               "munderover", "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "menclose",
               "semantics", "annotation"]
MATHML_ATTRIBUTES = ["display", "mathvariant", "mathsize", "stretchy", "fence", "separator", "form",
                     "accent", "accentunder", "largeop", "movablelimits", "symmetric", "minsize", "maxsize",
                     "lspace", "rspace", "width", "height", "depth", "voffset", "linethickness",
                     "displaystyle", "scriptlevel", "columnalign", "rowalign", "columnspacing",
                     "rowspacing", "columnlines", "rowlines", "frame", "notation", "encoding"]


def tex_to_mathml(tex: str, display: bool) -> str:
    """Sanitized MathML for the TeX `tex` (as written between `$...$` or `$$...$$`). TeX that
    latex2mathml cannot read is shown as its source, in a `<code>`, never dropped."""
    # Imported here: students' environments load this module (nbgrader_config.py) but never
    # write feedback, and latex2mathml is an instructor-side dependency.
    from latex2mathml.converter import convert
    try:
        mathml = convert(SPACED_LINE_BREAK.sub(r"\\\\", tex), display="block" if display else "inline")
    except Exception:   # latex2mathml raises many kinds of errors on TeX it does not know
        delimiter = "$$" if display else "$"
        return f'<code class="tex">{html.escape(delimiter + tex + delimiter)}</code>'
    return bleach.clean(mathml, tags=MATHML_TAGS, attributes={"*": MATHML_ATTRIBUTES}, strip=False)


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with math written as MathML instead of left for MathJax."""

    def block_math(self, body: str) -> str:
        return tex_to_mathml(body, display=True)

    def inline_math(self, body: str) -> str:
        return tex_to_mathml(body, display=False)

    def latex_environment(self, name: str, body: str) -> str:
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)


class FeedbackExporter(HTMLExporter):
    """HTMLExporter for feedback pages: math pre-rendered as MathML and the kit's styles in place
    of the MathJax script (so the page is one self-contained file: no script, no network)."""

    @default("template_paths")
    def _template_paths(self, prune=True, root_dirs=None):
        # The kit's folder first: its mathjax.html.j2 replaces nbconvert's (the CDN script).
        return [TEMPLATES, *super()._template_paths(prune, root_dirs)]

    @pass_context
    def markdown2html(self, context, source):
        """nbconvert's markdown2html (HTMLExporter), with MathMLRenderer."""
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options)
        return MarkdownWithMath(renderer=renderer).render(source)
