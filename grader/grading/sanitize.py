"""The sanitize step's preprocessors for what students do to cells, and the notes that tell
them what the grader changed.

Plain nbgrader drops a whole submission (0 for every cell) when a solution cell is pasted
twice (KeyError 'grade_id' in DeduplicateIds or OverwriteCells), a cell claims a grade_id the
assignment does not have, or lacks one (KeyError, MissingEntry), a solution cell is marked as
graded (MissingEntry), or a test cell's metadata is changed, e.g. to a solution cell worth 0
points ("Inconsistent checksums"). Here each of those ends with the cell restored from the
gradebook or made an ordinary cell, the submission graded, and a note in the notebook:

- `DeduplicateIdsSafely`: nbgrader's rule (the last copy of a grade_id keeps it), without
  the KeyError for a cell marked for grading without an id; the other copies become ordinary
  cells (no nbgrader metadata at all, which nbgrader's later steps expect).
- `OverwriteCellsFromGradebook`: every cell's nbgrader metadata is what the gradebook says for
  its grade_id, whatever the submission says (so test cells are always restored and locked);
  unknown ids become ordinary cells (an extra graded cell earns nothing); missing test cells
  are added back even when the cell before them is missing too.
- `CapCells`: cells over a size limit are cut, with a reason, so one cell cannot blow up the
  memory of later steps or the feedback page.
- `NoteLeftOutFiles`: what the intake (grader/grading/intake.py) left out of the submission.
- `WriteNotes`: the notes, as a markdown cell at the top of the notebook (so in the feedback).

Notes are structured (`Note`) while the preprocessors run; `WriteNotes` words them.
"""
import os
import re
from dataclasses import dataclass

import nbformat
from nbgrader.api import Gradebook
from nbgrader.preprocessors import DeduplicateIds, NbGraderPreprocessor, OverwriteCells
from nbgrader.nbgraderformat import SCHEMA_VERSION
from traitlets import Integer

from grader.grading import intake

# Note kinds; `wording` turns each into a sentence.
DUPLICATE, UNKNOWN, NO_ID, RESTORED, CUT, LEFT_OUT = (
    "duplicate", "unknown", "no_id", "restored", "cut", "left_out")
SETTINGS = ("grade", "solution", "locked", "task", "points")   # what a student may have changed


@dataclass(frozen=True)
class Note:
    kind: str
    subject: str        # a grade_id, a cell number or a file's path
    detail: str = ""


def add_note(resources, note: Note) -> None:
    notes = resources.setdefault("grader_notes", [])
    if note not in notes:
        notes.append(note)


def wording(note: Note) -> str:
    s, d = literal(note.subject), note.detail
    return {
        DUPLICATE: f"Cell {s} appears {d} times (pasted twice?): only the last copy is graded as {s}; "
                   "the others run as ordinary cells.",
        UNKNOWN: f"Cell {s} is not a cell of this assignment: it earns no points and runs as an ordinary cell.",
        NO_ID: f"Cell number {note.subject} was marked for grading without a name: it earns no points "
               "and runs as an ordinary cell.",
        RESTORED: f"The grading settings of cell {s} were changed ({literal(d)}): they were restored "
                  "from the assignment.",
        CUT: f"Cell number {note.subject} is {d}: it was cut to the limit.",
        LEFT_OUT: f"Not graded (kept aside, unread): {d}.",
    }[note.kind]


def literal(text) -> str:
    """Student-chosen text (a file name, a grade_id) as a markdown code span: shown as it is,
    never as HTML or markup (the fence is longer than any run of backticks inside)."""
    # file names that are not UTF-8 come as lone surrogates, which a notebook cannot hold
    text = str(text).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    text = text.replace("\n", "\\n").replace("\r", "\\r")
    fence = "`" * (max(map(len, re.findall("`+", text)), default=0) + 1)
    return f"{fence} {text} {fence}" if "`" in text else f"`{text}`"


def _strip(cell) -> None:
    cell.metadata.pop("nbgrader", None)


class DeduplicateIdsSafely(DeduplicateIds):
    """DeduplicateIds that notes each duplicate and never raises KeyError('grade_id')."""

    def preprocess(self, nb, resources):
        counts = {}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
            if isinstance(grade_id, str):
                counts[grade_id] = counts.get(grade_id, 0) + 1
        for grade_id, n in counts.items():
            if n > 1:
                add_note(resources, Note(DUPLICATE, grade_id, str(n)))
        self._cells = len(nb.cells)
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            return cell, resources
        if not isinstance(meta, dict) or not isinstance(meta.get("grade_id"), str):
            if isinstance(meta, dict) and any(meta.get(k) for k in ("grade", "solution", "locked", "task")):
                # nbgrader's DeduplicateIds walks the cells backwards
                add_note(resources, Note(NO_ID, str(self._cells - index)))
            _strip(cell)
            return cell, resources
        cell, resources = super().preprocess_cell(cell, resources, index)
        if not cell.metadata.get("nbgrader"):
            _strip(cell)
        return cell, resources


class OverwriteCellsFromGradebook(OverwriteCells):
    """OverwriteCells that restores every cell's nbgrader metadata from the gradebook (what
    kind of cell it is, its points, its lock) before nbgrader's own checks, so a re-tagged cell
    is put back instead of dropping the submission; cells whose grade_id the assignment does
    not have lose their nbgrader metadata (they earn nothing)."""

    def preprocess(self, nb, resources):
        with Gradebook(resources["nbgrader"]["db_url"]) as gb:
            notebook = gb.find_notebook(resources["nbgrader"]["notebook"], resources["nbgrader"]["assignment"])
            self._expected = expected_metadata(notebook)
            self._order = [c.name for c in notebook.source_cells]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        meta = cell.metadata.get("nbgrader")
        if meta is None:
            return cell, resources
        if not isinstance(self.gradebook, _NotebookCells):   # nbgrader's gradebook, opened for this notebook
            self.gradebook = _NotebookCells(self.gradebook, self.notebook_id, self.assignment_id)
        grade_id = meta.get("grade_id") if isinstance(meta, dict) else None
        if grade_id not in self._expected:
            if isinstance(grade_id, str):
                add_note(resources, Note(UNKNOWN, grade_id))
            _strip(cell)
            return cell, resources
        expected = self._expected[grade_id]
        changed = [k for k in SETTINGS if _setting(meta, k) != _setting(expected, k)]
        if changed:
            add_note(resources, Note(RESTORED, grade_id, ", ".join(changed)))
        cell.metadata["nbgrader"] = dict(expected)
        if expected["cell_type"] == "code":
            cell.pop("attachments", None)     # not allowed in a code cell: nbformat would refuse it
        return super().preprocess_cell(cell, resources, index)

    def add_missing_grade_cells(self, nb, resources):
        """nbgrader's version raises KeyError when the cell before a missing one is missing
        too; this puts each missing graded cell after the nearest earlier cell that is there."""
        source_nb = self.gradebook.find_notebook(self.notebook_id, self.assignment_id)
        sources = {c.name: c for c in source_nb.source_cells}
        solutions = {c.name for c in source_nb.solution_cells}
        present = {c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata}
        for grade_cell in sorted(source_nb.grade_cells, key=lambda c: self._order.index(c.name)):
            if grade_cell.name in present:
                continue
            self.log.warning("Missing grade cell %s encountered, adding to notebook", grade_cell.name)
            before = self._order[:self._order.index(grade_cell.name)]
            positions = [i for i, c in enumerate(nb.cells)
                         if c.metadata.get("nbgrader", {}).get("grade_id") in before]
            cell = self.missing_cell_transform(sources[grade_cell.name], grade_cell.max_score,
                                               is_solution=grade_cell.name in solutions)
            nb.cells.insert(max(positions) + 1 if positions else len(nb.cells), cell)
            present.add(grade_cell.name)
        return nb, resources


class _NotebookCells:
    """A gradebook for OverwriteCells' per-cell code, with one notebook's source and graded cells
    loaded at once: nbgrader queries the database for each cell (about 30 queries per notebook).
    A cell it does not hold, and everything else, is asked of the gradebook itself (which raises
    nbgrader's MissingEntry as before)."""

    def __init__(self, gradebook, notebook: str, assignment: str):
        found = gradebook.find_notebook(notebook, assignment)
        self._gradebook, self._key = gradebook, (notebook, assignment)
        self._source = {c.name: c for c in found.source_cells}
        self._graded = {**{c.name: c for c in found.task_cells}, **{c.name: c for c in found.grade_cells}}

    def find_source_cell(self, name, notebook, assignment):
        if (notebook, assignment) == self._key and name in self._source:
            return self._source[name]
        return self._gradebook.find_source_cell(name, notebook, assignment)

    def find_graded_cell(self, name, notebook, assignment):
        if (notebook, assignment) == self._key and name in self._graded:
            return self._graded[name]
        return self._gradebook.find_graded_cell(name, notebook, assignment)

    def __getattr__(self, name):
        return getattr(self._gradebook, name)


def expected_metadata(notebook) -> dict:
    """{grade_id: the nbgrader metadata generate_assignment gave that cell} from the gradebook."""
    graded = {c.name: c for c in notebook.grade_cells}
    tasks = {c.name: c for c in notebook.task_cells}
    solutions = {c.name for c in notebook.solution_cells}
    out = {}
    for source in notebook.source_cells:
        name = source.name
        meta = {"grade_id": name, "grade": name in graded, "solution": name in solutions,
                "locked": bool(source.locked), "task": name in tasks, "cell_type": source.cell_type,
                "checksum": source.checksum, "schema_version": SCHEMA_VERSION}
        if name in graded or name in tasks:
            meta["points"] = float((graded.get(name) or tasks[name]).max_score)
        out[name] = meta
    return out


def _setting(meta, key):
    value = meta.get(key, 0 if key == "points" else False)
    try:
        return float(value) if key == "points" else bool(value)
    except (TypeError, ValueError):
        return value


class CapCells(NbGraderPreprocessor):
    """Cut cells over `max_cell_chars` (source plus attachments), and every cell once the
    notebook's cells add up to `max_notebook_chars`: markdown keeps its first part, code is
    replaced by a comment (cut code would not run). Runs first, on the submitted notebook."""

    max_cell_chars = Integer(1_000_000, help="characters kept per cell (source and attachments)").tag(config=True)
    max_notebook_chars = Integer(10_000_000, help="characters kept over all of a notebook's cells").tag(config=True)

    def preprocess(self, nb, resources):
        self._total = 0
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        size = len(cell.get("source", "")) + sum(len(str(v)) for v in cell.get("attachments", {}).values())
        limit = min(self.max_cell_chars, max(0, self.max_notebook_chars - self._total))
        if size > limit:
            what = (f"{size / 1e6:.1f} million characters, over the limit of "
                    + (f"{self.max_notebook_chars / 1e6:g} million for all cells" if limit < self.max_cell_chars
                       else f"{self.max_cell_chars / 1e6:g} million per cell"))
            add_note(resources, Note(CUT, str(index + 1), f"a {cell.cell_type} cell of {what}"))
            cell.pop("attachments", None)
            if cell.cell_type == "code":
                cell.source = "# This cell's code was cut: it was too large to grade.\n"
            else:
                cell.source = cell.source[:limit] + "\n\n*(cut: too large)*"
        self._total += len(cell.get("source", ""))
        return cell, resources


class NoteLeftOutFiles(NbGraderPreprocessor):
    """A note for each entry the intake left out of this submission (from its intake.json)."""

    def preprocess(self, nb, resources):
        folder = resources.get("metadata", {}).get("path") or ""
        store = intake.left_out_folder(os.getcwd(), folder)   # nbgrader runs in the course root
        for entry in intake.read_manifest(store):
            add_note(resources, Note(LEFT_OUT, entry.path, intake.describe(entry, quote=literal)))
        return nb, resources


NOTES_TITLE = "**Notes from the grader**"


class WriteNotes(NbGraderPreprocessor):
    """The notes gathered by the steps before, as a markdown cell at the top of the notebook."""

    def preprocess(self, nb, resources):
        notes = resources.get("grader_notes", [])
        if notes:
            lines = [NOTES_TITLE, ""] + [f"- {wording(n)}" for n in notes]
            nb.cells.insert(0, nbformat.v4.new_markdown_cell("\n".join(lines)))
        return nb, resources
