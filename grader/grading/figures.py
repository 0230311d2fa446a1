"""Pictures of failed checks for feedback: the student's answer next to torch's on the failing case.

People see a wrong curve faster than they read a table of numbers. For each failed check (up to
MAX_PER_CELL per graded cell) the pipeline adds one small PNG to the cell's outputs, drawn here on
the trusted side from the judged record, never by student code:
- a function of an array (an activation): both answers against the input's values, and the
  student's error, so "wrong for x < 0" or "NaN for huge x" shows at a glance;
- any other answer (a loss, a softmax row): torch's and the student's values side by side, element
  by element, and the error;
- an optimizer's run: the path of the first two coordinates, torch's and the student's, with the
  first step where they part marked, and the distance between them at every step.
matplotlib's object API (Figure, no pyplot: no GUI backend, no global state), 72 dpi and a few
kilobytes per picture; drawing one takes a few tens of milliseconds.
"""
import base64
import io
import logging
import threading

import numpy as np

from grader.engine.runner import Failure, GradeResult
from grader.engine.submission import Outcome
from grader.exercises import is_stateful

MAX_PER_CELL = 1          # pictures per graded cell: the first failing case of the first failed check
MAX_POINTS = 400          # elements drawn per answer (the smallest failing case is usually tiny)
SIZE, DPI = (7.0, 2.3), 64
TORCH, STUDENT = "#1f77b4", "#d62728"
log = logging.getLogger(__name__)


def cell_figures(result: GradeResult) -> list[dict]:
    """nbformat display_data outputs (as dicts) with a picture of each failed check's first
    failing case, at most MAX_PER_CELL."""
    outputs = []
    for check in result.checks:
        failure = next((f for f in check.failures if drawable(f)), None)
        if failure is None:
            continue
        try:
            png = draw(failure, f"{check.name} [{failure.case}]")
        except Exception as exc:   # a picture is a courtesy: it must never cost a grade
            log.warning("No picture for %s [%s]: %s: %s", check.name, failure.case, type(exc).__name__, exc)
            continue
        outputs.append({"output_type": "display_data", "metadata": {},
                        "data": {"image/png": base64.b64encode(png).decode(),
                                 "text/plain": f"<picture of {check.name} [{failure.case}]: torch vs your answer>"}})
        if len(outputs) == MAX_PER_CELL:
            break
    return outputs


def warm_up() -> None:
    """Draw one picture of a made-up failed run and throw it away: a process's first picture
    loads fonts and fills matplotlib's caches (0.1-0.7 s), which would otherwise fall on the
    first student with a failed check."""
    want = np.array([[0.0, 1.0], [0.5, 0.8], [0.9, 0.7]])
    draw(Failure("warm-up", "", outcome=Outcome("SGD", value=want + 0.1), expected=want, step=1), "warm-up")


def drawable(failure: Failure) -> bool:
    """A failure with two numeric answers of one shape to compare (not a missing answer, a wrong
    shape, a wrong exception)."""
    outcome, expected = failure.outcome, failure.expected
    return (outcome is not None and outcome.ok and expected is not None
            and np.shape(outcome.value) == np.shape(expected) and np.size(expected) > 0)


def draw(failure: Failure, title: str) -> bytes:
    import matplotlib
    # Unhinted text: as legible at this size, and FreeType's hinting was 1/6 of a picture's cost
    with _canvas_lock, matplotlib.rc_context({"text.hinting": "none"}):
        fig, left, right = _canvas()
        return _draw(fig, left, right, failure, title)


_canvas_lock = threading.Lock()
_figure = None


def _canvas():
    """The process's one figure, emptied back to a new figure's state. Making a figure, its axes
    and their ticks was ~30% of each picture's cost (bench/figures.py), so every picture is drawn
    on the same figure; a test checks that each PNG is byte for byte what a new figure gives,
    whatever was drawn on it before."""
    global _figure
    if _figure is None:
        from matplotlib.backends.backend_agg import FigureCanvasAgg   # on the first failed check only
        from matplotlib.figure import Figure
        _figure = Figure(figsize=SIZE, dpi=DPI)
        FigureCanvasAgg(_figure)   # its own: savefig would make a canvas and a renderer per picture
        _figure.subplots(1, 2)
        # a fixed place and fixed margins: tight_layout cost 50 ms
        _figure.subplots_adjust(left=0.11, right=0.98, bottom=0.2, top=0.8, wspace=0.3)
    for text in list(_figure.texts):
        text.remove()
    for ax in _figure.axes:
        for artist in [*ax.lines, *ax.patches, *ax.texts, *ax.collections]:
            artist.remove()
        ax.containers.clear()
        if ax.legend_ is not None:
            ax.legend_.remove()
        ax.set_xscale("linear")   # also the default tick locators and formatters
        ax.set_yscale("linear")
        ax.set_xlabel("")
        ax.set_ylabel("")
        ax.set_xlim(0, 1)         # a new axes' view (kept where no value can be drawn)
        ax.set_ylim(0, 1)
        ax.relim()
        ax.set_autoscale_on(True)
    return (_figure, *_figure.axes)


def _draw(fig, left, right, failure, title):
    outcome = failure.outcome
    got, want = np.asarray(outcome.value, np.float64), np.asarray(failure.expected, np.float64)
    if is_stateful(outcome.api):
        _run(left, right, got, want, failure.step)
    elif _elementwise(outcome, want):
        _curve(left, right, np.asarray(outcome.args[0], np.float64), got, want)
    else:
        _elements(left, right, got, want)
    fig.text(0.5, 0.97, title, ha="center", va="top", fontsize=9)
    for ax in (left, right):   # few ticks and titles as plain text: text layout is most of the cost
        if ax.get_yscale() == "linear":
            ax.locator_params(nbins=3)
        ax.tick_params(labelsize=7)
    left.legend(fontsize=6, loc="upper left", framealpha=0.6)   # a fixed place: "best" costs
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _elementwise(outcome, want):
    """An answer shaped like the first input (an activation of any shape)."""
    return bool(outcome.args) and isinstance(outcome.args[0], np.ndarray) and np.shape(outcome.args[0]) == want.shape


DRAWABLE = 1e300   # larger values are left out: an axis spanning -1.5e308..1.5e308 overflows (a singular transform)


def _finite(a):
    """The values a plot can show; NaN (left out) for NaN, infinities and |a| > DRAWABLE."""
    with np.errstate(invalid="ignore"):
        return np.where(np.abs(a) <= DRAWABLE, a, np.nan)


def _error(got, want):
    with np.errstate(invalid="ignore", over="ignore"):   # inf - inf: NaN, left out
        return got - want


def _curve(left, right, x, got, want):
    x, got, want = _finite(x.ravel()), got.ravel(), want.ravel()
    order = np.argsort(x, kind="stable")[:MAX_POINTS]
    x, got, want = x[order], got[order], want[order]
    left.plot(x, _finite(want), "o-", color=TORCH, ms=3, lw=1, label="torch")
    left.plot(x, _finite(got), "x--", color=STUDENT, ms=4, lw=1, label="yours")
    _mark_nonfinite(left, x, got)
    left.set_xlabel("input value", fontsize=8)
    right.plot(x, _finite(_error(got, want)), "x-", color=STUDENT, ms=4, lw=1)
    right.axhline(0, color="grey", lw=0.5)
    right.set_xlabel("input value", fontsize=8)
    _title(right, "yours - torch")


def _elements(left, right, got, want):
    got, want = got.ravel()[:MAX_POINTS], want.ravel()[:MAX_POINTS]
    i = np.arange(want.size)
    if want.size == 1:
        left.bar([0, 1], [_finite(want)[0], _finite(got)[0]], color=[TORCH, STUDENT])
        left.set_xticks([0, 1], ["torch", "yours"])
        left.plot([], [], color=TORCH, label="torch")
        left.plot([], [], color=STUDENT, label="yours")
    else:
        left.plot(i, _finite(want), "o", color=TORCH, ms=4, label="torch")
        left.plot(i, _finite(got), "x", color=STUDENT, ms=5, label="yours")
        left.set_xlabel("element (flattened)", fontsize=8)
    _mark_nonfinite(left, i, got)
    right.bar(i, _finite(_error(got, want)), color=STUDENT)
    right.axhline(0, color="grey", lw=0.5)
    _title(right, "yours - torch")


def _run(left, right, got, want, step):
    """got, want: (steps, size) trajectories."""
    steps = np.arange(1, want.shape[0] + 1)
    if want.shape[1] >= 2:
        left.plot(want[:, 0], want[:, 1], "o-", color=TORCH, ms=3, lw=1, label="torch")
        left.plot(_finite(got[:, 0]), _finite(got[:, 1]), "x--", color=STUDENT, ms=4, lw=1, label="yours")
        left.set_xlabel("params, 1st number", fontsize=8)
        left.set_ylabel("2nd number", fontsize=8)
        if step:
            left.plot(*got[step - 1, :2], "s", mfc="none", color="black", ms=9, label=f"leaves at step {step}")
    else:
        left.plot(steps, want[:, 0], "o-", color=TORCH, ms=3, lw=1, label="torch")
        left.plot(steps, _finite(got[:, 0]), "x--", color=STUDENT, ms=4, lw=1, label="yours")
        left.set_xlabel("step", fontsize=8)
    distance = np.max(np.abs(got - want), axis=1)
    right.semilogy(steps, np.where(distance > 0, _finite(distance), np.nan), "x-", color=STUDENT, ms=4, lw=1)
    # Plain-text labels, "2e-01": matplotlib's default, 2x10^-1, is typeset by mathtext, which
    # cost a quarter of the picture (~17 ms)
    from matplotlib.ticker import LogFormatter
    right.yaxis.set_major_formatter(LogFormatter(labelOnlyBase=True))
    right.yaxis.set_minor_formatter(LogFormatter(labelOnlyBase=False))
    if step:
        right.axvline(step, color="black", lw=0.8, ls=":")
    right.set_xlabel("step", fontsize=8)
    _title(right, "largest |yours - torch| after each step")


def _title(ax, text, color="black"):
    ax.text(0.5, 1.02, text, transform=ax.transAxes, ha="center", va="bottom", fontsize=8, color=color)


def _mark_nonfinite(ax, x, got):
    bad = ~np.isfinite(got)
    if bad.any():
        _title(ax, f"yours is NaN or infinite at {int(bad.sum())} point(s)", STUDENT)
