"""Feedback pages with no active content from students, that read well offline and can be emailed.

nbgrader's feedback is an HTML page rendered from the student's notebook, which the student wrote:
markdown with raw HTML (`<script>`, `<svg onload=...>`, `<img onerror=...>`), HTML, JavaScript
and SVG outputs. A TA or the student opens the page in a browser, so none of that may stay live.
The work is done by nbconvert's own sanitizer (`SanitizeHTML`, built on bleach, the library
nbconvert itself uses for untrusted notebooks), in two places:
- `SafeOutputs`, a feedback preprocessor: HTML outputs are sanitized; JavaScript, SVG and any other
  active output types are dropped (text, images, LaTeX and markdown stay).
- `FeedbackExporter`, the exporter `nbgrader generate_feedback` uses: every piece of markdown (cells
  and markdown outputs) is sanitized *after* it is rendered, so code spans, math and the course's own
  teaching text render as before, while any tag or attribute outside the allow-list is shown as
  text and `javascript:` links lose their target.

nbgrader's `feedback` template also loads MathJax from a CDN: opened from disk without a network,
equations would show as raw `$...$`. So `FeedbackExporter` makes a page that needs nothing from
outside and runs no script:
- math in markdown is rendered to MathML when the page is written, by latex2mathml (pure Python;
  browsers draw MathML natively); its elements are on the sanitizer's allow-list (layout
  attributes only: no href, no style);
- LaTeX outputs (`text/latex`: IPython's `Latex`, sympy) take the same path: `LatexOutputs` hands
  each to the markdown renderer, so it is MathML too, not TeX source;
- the template slot where nbgrader loads MathJax (`mathjax()`) carries the page's own styles
  instead (grader/grading/templates/mathjax.html.j2): each graded cell's report wraps its long
  lines instead of scrolling sideways.
Hidden tests are removed before any of this (ClearHiddenTests in pipeline.FEEDBACK).
"""
import html
import os
import re

from nbconvert.exporters import HTMLExporter
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbconvert.preprocessors import Preprocessor
from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets import Instance, default

try:
    from jinja2 import pass_context
except ImportError:   # jinja2 < 3
    from jinja2 import contextfilter as pass_context

TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")

# What rendered markdown and ordinary HTML outputs (tables of a DataFrame) need; nothing that runs.
TAGS = ["a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
        "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"]
ATTRIBUTES = {"*": ["class", "id", "title"], "a": ["href"], "img": ["src", "alt", "width", "height"],
              "th": ["align", "colspan", "rowspan"], "td": ["align", "colspan", "rowspan"]}
# MathML Core's presentation elements and the attributes that only change layout: the math
# rendered from markdown. latex2mathml copies `\text{...}` verbatim and `\href` targets into its
# output, so it passes the same sanitizer (a `<script>` in `\text{}` is shown as text).
MATHML_TAGS = ["math", "mi", "mn", "mo", "ms", "mtext", "mspace", "mrow", "mfrac", "msqrt", "mroot",
               "mstyle", "merror", "mpadded", "mphantom", "msub", "msup", "msubsup", "munder", "mover",
               "munderover", "mmultiscripts", "mprescripts", "none", "mtable", "mtr", "mtd", "menclose",
               "semantics", "annotation"]
MATHML_ATTRIBUTES = ["display", "mathvariant", "mathsize", "stretchy", "fence", "separator", "form",
                     "accent", "accentunder", "largeop", "movablelimits", "symmetric", "minsize", "maxsize",
                     "lspace", "rspace", "width", "height", "depth", "voffset", "linethickness",
                     "displaystyle", "scriptlevel", "columnalign", "rowalign", "columnspacing",
                     "rowspacing", "columnlines", "rowlines", "frame", "notation", "encoding"]
# `\\[2ex]`: a line break with extra space, which latex2mathml would print as "[2ex]".
SPACED_LINE_BREAK = re.compile(r"\\\\\[[^\]]*\]")


def tex_to_mathml(tex: str, display: bool) -> str:
    """MathML for the TeX `tex` (as written between `$...$` or `$$...$$`), not yet sanitized.
    TeX that latex2mathml cannot read is shown as its source, in a `<code>`, never dropped."""
    # Imported here: students' environments load this module (nbgrader_config.py) but never
    # write feedback, and latex2mathml is an instructor-side dependency.
    from latex2mathml.converter import convert
    try:
        return convert(SPACED_LINE_BREAK.sub(r"\\\\", tex), display="block" if display else "inline")
    except Exception:   # latex2mathml raises many kinds of errors on TeX it does not know
        delimiter = "$$" if display else "$"
        return f'<code class="tex">{html.escape(delimiter + tex + delimiter)}</code>'


class MathMLRenderer(IPythonRenderer):
    """nbconvert's markdown renderer with math written as MathML instead of left for MathJax."""

    def block_math(self, body: str) -> str:
        return tex_to_mathml(body, display=True)

    def inline_math(self, body: str) -> str:
        return tex_to_mathml(body, display=False)

    def latex_environment(self, name: str, body: str) -> str:
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", display=True)


class SafeOutputs(SanitizeHTML):
    """nbconvert's SanitizeHTML with an allow-list that keeps ordinary HTML (tables, headings)
    readable. Markdown cells and markdown outputs are left to FeedbackExporter, which sanitizes
    them once rendered (sanitizing markdown source would mangle code spans and math)."""

    @default("enabled")
    def _enabled(self):   # nbconvert's preprocessors are off unless enabled
        return True

    @default("tags")
    def _tags(self):
        return TAGS

    @default("attributes")
    def _attributes(self):
        return ATTRIBUTES

    @default("safe_output_keys")
    def _safe_output_keys(self):
        return {"metadata", "text/plain", "text/latex", "text/markdown", "application/json",
                "image/png", "image/jpeg"}

    @default("sanitized_output_types")
    def _sanitized_output_types(self):
        return {"text/html"}

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


class SafeMarkdown(SafeOutputs):
    """The sanitizer for rendered markdown: SafeOutputs' allow-list plus MathML."""

    @default("tags")
    def _tags(self):
        return TAGS + MATHML_TAGS

    @default("attributes")
    def _attributes(self):
        return {**ATTRIBUTES, **{tag: MATHML_ATTRIBUTES for tag in MATHML_TAGS}}


class LatexOutputs(Preprocessor):
    """Each `text/latex` output is shown as markdown (what it is for MathJax: TeX between `$...$`,
    `$$...$$` or `\\begin{...}`), which FeedbackExporter renders to MathML and sanitizes. Without
    this, nbconvert's templates print it as source, left for a MathJax the page does not load.
    An output that also has markdown keeps its own; one with HTML still shows the HTML, which
    nbconvert ranks before both."""

    def preprocess_cell(self, cell, resources, index):
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "text/latex" in data and "text/markdown" not in data:
                data["text/markdown"] = data.pop("text/latex")
        return cell, resources


class FeedbackExporter(HTMLExporter):
    """HTMLExporter for feedback pages: markdown with math pre-rendered as MathML, then sanitized;
    the kit's styles in place of the MathJax script (one self-contained file: no script, no network)."""

    sanitizer = Instance(SanitizeHTML)

    @default("sanitizer")
    def _sanitizer(self):
        return SafeMarkdown(parent=self)

    def _init_preprocessors(self):
        super()._init_preprocessors()
        # Before nbgrader's own (registered after the exporter is made): SafeOutputs then keeps
        # the markdown, and this exporter renders and sanitizes it.
        self.register_preprocessor(LatexOutputs(parent=self), enabled=True)

    @default("template_paths")
    def _template_paths(self, prune=True, root_dirs=None):
        # The kit's folder first: its mathjax.html.j2 replaces nbconvert's (the CDN script).
        return [TEMPLATES, *super()._template_paths(prune, root_dirs)]

    @pass_context
    def markdown2html(self, context, source):
        """nbconvert's markdown2html (HTMLExporter) with MathMLRenderer, sanitized."""
        cell = context.get("cell", {})
        renderer = MathMLRenderer(
            escape=False, attachments=cell.get("attachments", {}), embed_images=self.embed_images,
            path=context.get("resources", {}).get("metadata", {}).get("path", ""),
            anchor_link_text=self.anchor_link_text, exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options)
        return self.sanitizer.sanitize_html_tags(MarkdownWithMath(renderer=renderer).render(source))
