"""The class report for TAs: `python -m grader report ASSIGNMENT`, run in the course root.

Writes two files under reports/ in the course root:
- `<assignment>.html`: one self-contained page (opens from disk; no server, no scripts, no
  external resources; figures drawn with matplotlib and embedded as PNG): the score
  histogram, the pass rate of every check, the most frequent named mistakes with example
  students, where failing optimizer runs leave torch's path, time-outs and crashes, and
  everyone's scores, each student linked to their feedback page.
- `<assignment>-scores.csv`: one row per student, one column per graded cell and the total,
  ready to import into an LMS gradebook.

Scores come from nbgrader's gradebook (so manual overrides count); what happened in each
graded cell comes from the autograded notebooks, whose test cells carry the grader's
structured results in `metadata["grader"]` (a versioned grader.engine.summary.CellSummary,
written by grader/grading/pipeline.py).
"""
import base64
import collections
import csv
import dataclasses
import html
import io
import json
import os
import statistics
import urllib.parse

from grader.engine.findings import Finding
from grader.engine.summary import CellSummary, CheckSummary, SchemaError
from grader.grading.cells import CELL_TIMED_OUT, INTERRUPTED, KERNEL_DIED, LIMIT_EXCEEDED, NOT_RUN

CELL_TIMEOUTS = (CELL_TIMED_OUT, INTERRUPTED)   # a cell stopped at its time limit
EXAMPLES = 5              # students named per mistake


class ReportError(Exception):
    """A report cannot be made (unknown assignment, no gradebook, nothing graded): say why."""


@dataclasses.dataclass
class Student:
    id: str
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    submitted: bool = False
    autograded: bool = False               # its autograded notebook was found
    scores: dict = dataclasses.field(default_factory=dict)       # cell -> points (gradebook)
    total: float = None
    summaries: dict = dataclasses.field(default_factory=dict)    # cell -> CellSummary
    other_errors: list = dataclasses.field(default_factory=list)  # [(cell label, error name)]
    feedback: list = dataclasses.field(default_factory=list)      # paths of its feedback pages


@dataclasses.dataclass
class ClassData:
    assignment: str
    cells: dict            # graded cell -> max points, in notebook order
    students: list         # [Student], sorted by id

    @property
    def max_total(self) -> float:
        return sum(self.cells.values())

    @property
    def submitted(self) -> list[Student]:
        return [s for s in self.students if s.submitted]


# --- reading the gradebook and the autograded notebooks ---------------------------------

def collect(root: str, assignment: str) -> ClassData:
    """Everything the report shows, from `root`/gradebook.db and `root`/autograded/."""
    db = os.path.join(root, "gradebook.db")
    if not os.path.isfile(db):   # (opening a missing database would create an empty one)
        raise ReportError(f"no gradebook.db in {os.path.abspath(root)}: run this in the course root, "
                          "after `nbgrader autograde`")
    from nbgrader.api import Gradebook, MissingEntry   # slow to import: only when needed
    from sqlalchemy.exc import SQLAlchemyError
    try:
        # course_id=None: read only; nbgrader would otherwise add a default course row.
        with Gradebook(f"sqlite:///{os.path.abspath(db)}", course_id=None) as gb:
            try:
                assignment_row = gb.find_assignment(assignment)
            except MissingEntry:
                known = ", ".join(sorted(a.name for a in gb.assignments)) or "none"
                raise ReportError(f"unknown assignment {assignment!r}; the gradebook has: {known}") from None
            notebooks = [nb.name for nb in assignment_row.notebooks]
            cells = {}
            for nb in assignment_row.notebooks:
                points = {c.name: c.max_score for c in nb.grade_cells}
                for name in _notebook_order(root, assignment, nb.name, points):
                    cells[_column(notebooks, nb.name, name)] = float(points[name])
            students = {s.id: Student(s.id, s.first_name or "", s.last_name or "", s.email or "")
                        for s in gb.students}
            for sub in gb.assignment_submissions(assignment):
                student = students[sub.student.id]
                student.submitted = True
                student.total = float(sub.score or 0) - float(sub.late_submission_penalty or 0)
                for nb in sub.notebooks:
                    for grade in nb.grades:
                        student.scores[_column(notebooks, nb.name, grade.name)] = float(grade.score or 0)
    except SQLAlchemyError as exc:
        raise ReportError(f"cannot read {db}: {type(exc).__name__}: {str(exc).splitlines()[0]}") from None
    data = ClassData(assignment, cells, sorted(students.values(), key=lambda s: s.id))
    if not data.submitted:
        raise ReportError(f"the gradebook has no submissions of {assignment!r}: run `nbgrader autograde "
                          f"{assignment}` first")
    for student in data.submitted:
        for nb in notebooks:
            _read_autograded(root, assignment, nb, notebooks, student)
            page = os.path.join(root, "feedback", student.id, assignment, f"{nb}.html")
            if os.path.isfile(page):
                student.feedback.append(os.path.abspath(page))
    return data


def _column(notebooks, notebook, cell):
    """A graded cell's column name: its grade_id (prefixed by the notebook if there are several)."""
    return cell if len(notebooks) == 1 else f"{notebook}:{cell}"


def _notebook_order(root, assignment, notebook, names):
    """The graded cells in the order the released notebook shows them (the gradebook has none)."""
    order = []
    for folder in ("release", "source"):
        path = os.path.join(root, folder, assignment, f"{notebook}.ipynb")
        if os.path.isfile(path):
            order = [c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in _load(path)["cells"]]
            break
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))


def _load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)   # plain JSON: much faster than nbformat.read for a whole class


def _read_autograded(root, assignment, notebook, notebooks, student):
    path = os.path.join(root, "autograded", student.id, assignment, f"{notebook}.ipynb")
    if not os.path.isfile(path):
        return
    student.autograded = True
    for index, cell in enumerate(_load(path).get("cells", [])):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        summary = cell.get("metadata", {}).get("grader")
        if isinstance(summary, dict):
            try:
                student.summaries[_column(notebooks, notebook, grade_id)] = CellSummary.from_json(summary)
            except SchemaError:   # reported as a cell without grader results
                pass
            continue
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error" and out.get("ename") != NOT_RUN:
                solution = cell.get("metadata", {}).get("nbgrader", {}).get("solution")
                label = f"{grade_id} (solution cell)" if solution else f"cell {index + 1}"
                student.other_errors.append((_column(notebooks, notebook, label), out.get("ename")))


# --- what the report says -----------------------------------------------------------------

def check_pass_rates(data: ClassData) -> list[tuple[str, CheckSummary, int, int]]:
    """[(cell, check summary, passed, graded)] in notebook order: how many passed each check."""
    rows = {}
    for cell in data.cells:
        for student in data.submitted:
            summary = student.summaries.get(cell)
            for check in summary.checks if summary else []:
                row = rows.setdefault((cell, check.name), [cell, check, 0, 0])
                row[2] += bool(check.passed)
                row[3] += 1
    return [tuple(row) for row in rows.values()]


def frequent_mistakes(data: ClassData) -> list[tuple[Finding, list[str], list[str]]]:
    """[(mistake, cells, students)], the most widespread first (each student counted once)."""
    students, cells = collections.defaultdict(list), collections.defaultdict(list)
    for cell in data.cells:
        for student in data.submitted:
            summary = student.summaries.get(cell)
            for finding in summary.mistakes if summary else []:
                if student.id not in students[finding]:
                    students[finding].append(student.id)
                if cell not in cells[finding]:
                    cells[finding].append(cell)
    order = list(data.cells)
    return sorted(((finding, cells[finding], students[finding]) for finding in students),
                  key=lambda item: (-len(item[2]), order.index(item[1][0]), item[0].line()))


def divergences(data: ClassData) -> list[tuple[str, str, collections.Counter]]:
    """[(cell, mistake name or "", Counter of steps)]: for runs (optimizers) that failed, the first
    step where each student's run left torch's path, grouped by the mistake named there; the
    most widespread first. Each student counts once per cell and mistake (their first failing run)."""
    steps = {}
    for cell in data.cells:
        for student in data.submitted:
            summary = student.summaries.get(cell)
            seen = set()
            for check in summary.checks if summary else []:
                for name, step in check.divergences:
                    if name not in seen:
                        seen.add(name)
                        steps.setdefault((cell, name), collections.Counter())[step] += 1
    return sorted(((cell, name, counter) for (cell, name), counter in steps.items()),
                  key=lambda item: (-sum(item[2].values()), item[0], item[1]))


def incidents(data: ClassData) -> list[tuple[str, str, str, str]]:
    """[(student, cell, kind, what happened)]: kernel deaths, time-outs, errors, missing records
    and grader failures, for the TA to look at (each one's points are already in the gradebook)."""
    rows = []
    for student in data.submitted:
        if not student.autograded:
            rows.append((student.id, "", "missing", "no autograded notebook (autograding failed or was not run)"))
        for cell in data.cells:
            summary = student.summaries.get(cell)
            if summary is None:
                if student.autograded:
                    rows.append((student.id, cell, "missing", "the autograded notebook has no grader results "
                                                              "for this cell"))
                continue
            rows += [(student.id, cell, kind, text) for kind, text in _cell_incidents(summary)]
        for label, ename in student.other_errors:
            rows.append((student.id, label, *_error_kind(ename)))
    return rows


def _error_kind(ename):
    if ename == KERNEL_DIED:
        return "crash", "the kernel died in this cell; later cells did not run"
    if ename == LIMIT_EXCEEDED:
        return "crash", "the kernel went over one of its limits (memory, processes, ...) in this cell " \
                        "and was stopped; later cells did not run"
    if ename in CELL_TIMEOUTS:
        return "time-out", f"the cell hit nbgrader's time limit ({ename})"
    return "error", f"the cell raised {ename}"


def _cell_incidents(summary):
    """(kind, text) for one graded cell's CellSummary."""
    out = []
    for ename in dict.fromkeys(summary.errors):
        if ename == NOT_RUN:
            out.append(("crash", "not run: the kernel had died in an earlier cell"))
        else:
            out.append(_error_kind(ename))
    if not summary.recorded and not summary.errors:
        out.append(("no record", "no answers recorded: the grading code did not run to the end "
                                 "(cell skipped or edited?)"))
    if summary.timed_out_calls:
        out.append(("time-out", f"{summary.timed_out_calls} call(s) of the student's code timed out"))
    if summary.problem:
        out.append(("grader", f"could not grade: {summary.problem}"))
    broken = [c.name for c in summary.checks if c.internal_errors]
    if broken:
        out.append(("grader", f"internal grader error in {', '.join(broken)}"))
    return out


# --- the CSV -------------------------------------------------------------------------------

def write_csv(data: ClassData, path: str) -> None:
    """One row per student (blank scores if not submitted), a column per graded cell, the total."""
    with open(path, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "last_name", "first_name", "email", *data.cells, "total"])
        for s in data.students:
            scores = [_num(s.scores.get(cell)) if s.submitted else "" for cell in data.cells]
            writer.writerow([s.id, s.last_name, s.first_name, s.email, *scores,
                             _num(s.total) if s.submitted else ""])


def _num(value):
    return "" if value is None else format(value, "g")


# --- figures (matplotlib, embedded) ----------------------------------------------------------

def _figure(width, height):
    from matplotlib.figure import Figure   # no pyplot: no GUI backend, nothing global
    fig = Figure(figsize=(width, height), dpi=100)
    return fig, fig.add_subplot()


def _png(fig, alt):
    buf = io.BytesIO()
    fig.savefig(buf, format="png", bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode()
    return f'<img alt="{html.escape(alt)}" src="data:image/png;base64,{data}">'


def histogram(data: ClassData) -> str:
    import numpy as np
    totals = [s.total for s in data.submitted]
    top = data.max_total
    fig, ax = _figure(7, 3)
    bins = np.arange(-0.5, top + 1.5) if top <= 60 else np.linspace(0, top, 31)
    ax.hist(totals, bins=bins, color="#4878a8", edgecolor="white")
    ax.set_xlim(bins[0], bins[-1])
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(f"total score (out of {top:g})")
    ax.set_ylabel("students")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.grid(axis="y", alpha=0.3)
    return _png(fig, f"histogram of total scores for {len(totals)} submissions")


def pass_rate_chart(rates: list) -> str:
    import numpy as np
    fig, ax = _figure(7, 0.8 + 0.28 * len(rates))
    labels = [check.name for _, check, _, _ in rates]
    values = [100 * passed / graded if graded else 0 for _, _, passed, graded in rates]
    cells = list(dict.fromkeys(cell for cell, *_ in rates))
    colors = [f"C{cells.index(cell) % 10}" for cell, *_ in rates]
    y = np.arange(len(rates))
    ax.barh(y, values, color=colors)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 100)
    ax.set_xlabel("students who passed the check (%)")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig, "pass rate of each check")


def mistakes_chart(mistakes: list, submitted: int) -> str:
    import numpy as np
    top = mistakes[:10]
    fig, ax = _figure(7, 0.8 + 0.32 * len(top))
    labels = [_shorten(finding.name, 60) for finding, _, _ in top]
    y = np.arange(len(top))
    counts = [len(students) for _, _, students in top]
    bars = ax.barh(y, counts, color="#c8553d")
    ax.bar_label(bars, [f"{n} ({_pct(n, submitted)})" for n in counts], padding=3, fontsize=8)
    ax.set_yticks(y, labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, 1.2 * max(counts))
    ax.xaxis.get_major_locator().set_params(integer=True)
    ax.set_xlabel(f"students (of {submitted})")
    ax.grid(axis="x", alpha=0.3)
    return _png(fig, "students per named mistake")


def _shorten(text, n):
    return text if len(text) <= n else text[:n - 1] + "…"


# --- the page ------------------------------------------------------------------------------

CSS = """
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222;
       max-width: 1100px; margin: 24px auto; padding: 0 16px; }
h1 { font-size: 24px; margin-bottom: 4px; } h2 { font-size: 18px; margin-top: 32px;
       border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.sub { color: #666; margin-top: 0; }
.cards { display: flex; flex-wrap: wrap; gap: 12px; margin: 16px 0; }
.card { border: 1px solid #ddd; border-radius: 6px; padding: 8px 14px; flex: 1 1 0; min-width: 100px; }
.card b { display: block; font-size: 20px; } .card span { color: #666; font-size: 12px; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border: 1px solid #ddd; padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; white-space: nowrap; } td.n { text-align: right; font-variant-numeric: tabular-nums; }
td.full { background: #e3f2e1; } td.part { background: #fdf3d8; } td.zero { background: #f8e0dc; }
.kind { font-weight: 600; } .fix { color: #555; } .muted { color: #777; }
img { max-width: 100%; height: auto; }
"""


def render_html(data: ClassData, csv_name: str, out_dir: str = ".") -> str:
    """The page; links (the CSV, each student's feedback) are relative to `out_dir`, where it is saved."""
    e = html.escape
    subs = data.submitted
    totals = [s.total for s in subs]
    rates, mistakes, events = check_pass_rates(data), frequent_mistakes(data), incidents(data)
    top = data.max_total
    affected = len({student for student, *_ in events})
    not_submitted = [s.id for s in data.students if not s.submitted]
    cards = [(len(subs), "submissions"), (f"{statistics.mean(totals):.1f} / {top:g}", "mean score"),
             (f"{statistics.median(totals):g}", "median"),
             (sum(t >= top for t in totals), "full marks"), (sum(t <= 0 for t in totals), "zero"),
             (len(mistakes), "distinct named mistakes"), (affected, "students with time-outs or crashes")]
    parts = [
        "<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Class report: {e(data.assignment)}</title><style>{CSS}</style></head><body>",
        f"<h1>Class report: {e(data.assignment)}</h1>",
        f'<p class="sub">{len(subs)} submission(s) in the gradebook'
        + (f"; no submission from {len(not_submitted)} student(s): {e(', '.join(not_submitted))}"
           if not_submitted else "")
        + f'. Scores for an LMS gradebook import: <a href="{e(csv_name)}">{e(csv_name)}</a>.</p>',
        '<div class="cards">' + "".join(f'<div class="card"><b>{e(str(v))}</b><span>{e(label)}</span></div>'
                                        for v, label in cards) + "</div>",
        "<h2>Scores</h2>", histogram(data), _cell_table(data),
        "<h2>Checks: pass rate</h2>",
        "<p>Each check earns its points only if every case passes; the pass rate counts students "
        "with a graded result for that cell.</p>",
        pass_rate_chart(rates) if rates else "<p>No check results found in the autograded notebooks.</p>",
        _rates_table(rates),
        "<h2>Most frequent named mistakes</h2>",
        (mistakes_chart(mistakes, len(subs)) + _mistakes_table(mistakes, len(subs))) if mistakes
        else "<p>No named mistakes.</p>",
        "<h2>Where optimizer runs leave torch's path</h2>", _divergences_html(divergences(data)),
        "<h2>Time-outs and crashes</h2>", _incidents_html(events),
        "<h2>Scores per student</h2>",
        "<p>Each student's name links to their feedback page (after <code>nbgrader generate_feedback</code>).</p>",
        _students_table(data, out_dir),
        "</body></html>"]
    return "\n".join(parts) + "\n"


def _pct(part, whole):
    return f"{100 * part / whole:.0f}%" if whole else "-"


def _cell_table(data):
    e, subs = html.escape, data.submitted
    rows = []
    for cell, points in data.cells.items():
        got = [s.scores.get(cell, 0.0) for s in subs]
        rows.append(f"<tr><td>{e(cell)}</td><td class=n>{points:g}</td><td class=n>{statistics.mean(got):.2f}</td>"
                    f"<td class=n>{_pct(sum(g >= points for g in got), len(got))}</td>"
                    f"<td class=n>{_pct(sum(g <= 0 for g in got), len(got))}</td></tr>")
    return ("<table><tr><th>graded cell</th><th>points</th><th>mean</th><th>full marks</th><th>zero</th></tr>"
            + "".join(rows) + "</table>")


def _rates_table(rates):
    e = html.escape
    rows = [f"<tr><td>{e(cell)}</td><td>{e(check.name)}</td><td>{e(check.category)}</td>"
            f"<td class=n>{check.points:g}</td><td class=n>{passed} / {graded}</td>"
            f"<td class=n>{_pct(passed, graded)}</td></tr>" for cell, check, passed, graded in rates]
    return ("<table><tr><th>cell</th><th>check</th><th>category</th><th>points</th><th>passed</th>"
            "<th>rate</th></tr>" + "".join(rows) + "</table>") if rows else ""


def _mistakes_table(mistakes, submitted):
    e = html.escape
    rows = []
    for finding, cells, students in mistakes:
        name, fix = finding.name, finding.fix
        more = len(students) - EXAMPLES
        examples = ", ".join(students[:EXAMPLES]) + (f" and {more} more" if more > 0 else "")
        rows.append(f"<tr><td class=n>{len(students)}</td><td class=n>{_pct(len(students), submitted)}</td>"
                    f"<td>{e(', '.join(cells))}</td><td>{e(name)}"
                    + (f'<div class="fix">Fix: {e(fix)}</div>' if fix else "")
                    + f"</td><td>{e(examples)}</td></tr>")
    return ("<table><tr><th>students</th><th>share</th><th>cell</th><th>likely mistake</th>"
            "<th>for example</th></tr>" + "".join(rows) + "</table>")


def _divergences_html(rows):
    e = html.escape
    if not rows:
        return "<p>No failing optimizer runs.</p>"
    body = "".join(
        f"<tr><td>{e(cell)}</td><td>{e(name) if name else '<span class=muted>no named mistake</span>'}</td>"
        f"<td class=n>{sum(counter.values())}</td><td class=n>{counter.most_common(1)[0][0]}</td>"
        f"<td>{e(', '.join(f'step {step}: {n}' for step, n in sorted(counter.items())))}</td></tr>"
        for cell, name, counter in rows)
    return ("<p>For each failing run, the first step where the student's parameters leave torch's "
            "(the feedback pictures mark it). A mistake that shows at step 1 is in the update itself; "
            "a later one is in the state carried between steps (buffers, bias correction, the learning "
            "rate changed mid-run).</p>"
            "<table><tr><th>cell</th><th>likely mistake</th><th>students</th><th>most common first step</th>"
            "<th>first steps seen</th></tr>" + body + "</table>")


def _incidents_html(events):
    e = html.escape
    if not events:
        return "<p>None: every graded cell ran to the end within its time limits.</p>"
    kinds = collections.Counter(kind for _, _, kind, _ in events)
    summary = ", ".join(f"{n} {kind}" for kind, n in kinds.most_common())
    rows = "".join(f"<tr><td>{e(student)}</td><td>{e(cell)}</td><td class=kind>{e(kind)}</td><td>{e(text)}</td></tr>"
                   for student, cell, kind, text in events)
    return (f"<p>{len(events)} event(s) for {len({s for s, *_ in events})} student(s): {e(summary)}. "
            "The points they cost are already in the scores; each student's feedback explains them.</p>"
            "<table><tr><th>student</th><th>cell</th><th>kind</th><th>what happened</th></tr>"
            + rows + "</table>")


def _students_table(data, out_dir="."):
    e = html.escape
    head = "".join(f"<th>{e(cell)}<br><span class=muted>/{points:g}</span></th>" for cell, points in data.cells.items())
    rows = []
    for s in data.students:
        if not s.submitted:
            rows.append(f"<tr><td>{e(s.id)}</td><td colspan={len(data.cells) + 1} class=muted>no submission</td></tr>")
            continue
        cells = "".join(_score_td(s.scores.get(cell), points) for cell, points in data.cells.items())
        name = e(s.id)
        if s.feedback:
            link = os.path.relpath(s.feedback[0], os.path.abspath(out_dir)).replace(os.sep, "/")
            name = f'<a href="{e(urllib.parse.quote(link))}">{name}</a>'
        rows.append(f"<tr><td>{name}</td>{cells}{_score_td(s.total, data.max_total)}</tr>")
    table = (f"<table><tr><th>student</th>{head}<th>total<br><span class=muted>/{data.max_total:g}</span></th></tr>"
             + "".join(rows) + "</table>")
    # A long class list is folded away so the summary above stays readable.
    return table if len(rows) <= 40 else f"<details><summary>{len(rows)} students</summary>{table}</details>"


def _score_td(score, points):
    if score is None:
        return "<td class=n>-</td>"
    kind = "full" if score >= points else "zero" if score <= 0 else "part"
    return f"<td class='n {kind}'>{score:g}</td>"


# --- the command ---------------------------------------------------------------------------

def write_report(root: str, assignment: str, out_dir: str | None = None) -> tuple[str, str]:
    """Write the HTML report and the CSV; returns their paths."""
    data = collect(root, assignment)
    out_dir = out_dir or os.path.join(root, "reports")
    os.makedirs(out_dir, exist_ok=True)
    csv_path = os.path.join(out_dir, f"{assignment}-scores.csv")
    html_path = os.path.join(out_dir, f"{assignment}.html")
    write_csv(data, csv_path)
    with open(html_path, "w", encoding="utf-8") as f:
        f.write(render_html(data, os.path.basename(csv_path), out_dir))
    return os.path.normpath(html_path), os.path.normpath(csv_path)
