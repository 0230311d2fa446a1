"""Feedback pages with no active content from students.

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
"""
from nbconvert.exporters import HTMLExporter
from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets import Instance, default

try:
    from jinja2 import pass_context
except ImportError:   # jinja2 < 3
    from jinja2 import contextfilter as pass_context

# What rendered markdown and ordinary HTML outputs (tables of a DataFrame) need; nothing that runs.
TAGS = ["a", "abbr", "b", "blockquote", "br", "code", "dd", "del", "div", "dl", "dt", "em", "h1", "h2",
        "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p", "pre", "s", "span", "strong",
        "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul"]
ATTRIBUTES = {"*": ["class", "id", "title"], "a": ["href"], "img": ["src", "alt", "width", "height"],
              "th": ["align", "colspan", "rowspan"], "td": ["align", "colspan", "rowspan"]}


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


class FeedbackExporter(HTMLExporter):
    """HTMLExporter whose rendered markdown goes through the same sanitizer as the outputs."""

    sanitizer = Instance(SanitizeHTML)

    @default("sanitizer")
    def _sanitizer(self):
        return SafeOutputs(parent=self)

    @pass_context
    def markdown2html(self, context, source):
        return self.sanitizer.sanitize_html_tags(super().markdown2html(context, source))
