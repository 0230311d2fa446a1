"""Pictures of failed checks (grader/grading/figures.py): drawn on the trusted side from judged
answers, one per failed graded cell, a small PNG; none for a right answer."""
import base64

import numpy as np
import pytest

from grader.engine.bank import References
from grader.engine.runner import judge
from grader.engine.submission import LiveSubmission
from grader.grading.figures import MAX_PER_CELL, cell_figures
from grader.grading.pipeline import torch_answer
from tests.helpers import solution_namespace


def _judge(assignment, names, namespace):
    ref = References.for_assignment(assignment, trusted=True, compute=torch_answer)
    return judge({name: LiveSubmission(namespace) for name in names}, ref)


def _png(output):
    return base64.b64decode(output["data"]["image/png"])


def test_a_wrong_activation_gets_one_small_picture_and_a_right_one_none():
    right = solution_namespace("activations")
    wrong = dict(right, sigmoid=lambda x: 1 / (1 + np.exp(x)))   # the sign of x flipped
    results = _judge("activations", ["sigmoid", "softmax"], wrong)
    figures = cell_figures(results["sigmoid"])
    assert len(figures) == MAX_PER_CELL == 1
    png = _png(figures[0])
    assert png.startswith(b"\x89PNG") and len(png) < 40_000
    assert "test_sigmoid" in figures[0]["data"]["text/plain"]
    assert cell_figures(results["softmax"]) == []
    assert figures == cell_figures(_judge("activations", ["sigmoid"], wrong)["sigmoid"]), "deterministic"


def test_a_wrong_optimizer_gets_its_path_with_the_step_where_it_leaves_torchs():
    right = solution_namespace("optimizers")

    class SGD(right["SGD"]):
        def step(self, grads):   # momentum ignored: plain SGD
            for p, g in zip(self.params, grads):
                p -= self.lr * (g + self.weight_decay * p)

    result = _judge("optimizers", ["SGD"], dict(right, SGD=SGD))["SGD"]
    assert result.score < result.max_score
    steps = [step for check in result.summary().checks for _, step in check.divergences]
    assert steps and all(isinstance(step, int) and step >= 1 for step in steps)
    figures = cell_figures(result)
    assert len(figures) == 1 and _png(figures[0]).startswith(b"\x89PNG")


def test_values_no_axis_can_span_are_left_out_of_the_picture_and_a_failing_picture_costs_nothing(monkeypatch):
    from grader.engine.runner import CheckResult, Failure, GradeResult
    from grader.engine.submission import Outcome
    from grader.grading import figures
    x = np.array([-np.inf, -1.5e308, -1.0, 0.0, 1.0, 1.5e308, np.inf])
    with np.errstate(invalid="ignore"):
        got = x * (x > 0)   # NaN at -inf, where torch's relu has 0
    failure = Failure("edges", "differs", outcome=Outcome("sigmoid", args=(x,), value=got),
                      expected=np.maximum(x, 0))
    result = GradeResult("sigmoid", [CheckResult("test_edges", "stability", 1, "edges", False, 1, [failure])], {})
    pictures = cell_figures(result)
    assert len(pictures) == 1 and _png(pictures[0]).startswith(b"\x89PNG")

    def broken(*args):
        raise ValueError("singular transform")

    monkeypatch.setattr(figures, "draw", broken)
    assert cell_figures(result) == []


def test_no_picture_without_two_answers_to_compare():
    namespace = dict(solution_namespace("activations"), sigmoid=lambda x: 1 / 0)   # raises on every call
    result = _judge("activations", ["sigmoid"], namespace)["sigmoid"]
    assert result.score == 0 and cell_figures(result) == []


def test_every_picture_is_byte_for_byte_a_new_figures_whatever_the_shared_figure_drew_before(monkeypatch):
    from grader.engine.runner import Failure
    from grader.engine.submission import Outcome
    from grader.grading import figures
    x = np.linspace(-3, 3, 9)
    path = np.array([[1.0, 2.0], [0.8, 1.5], [0.6, 1.1], [0.5, 0.9]])
    failures = {
        "curve": Failure("c", "", outcome=Outcome("sigmoid", args=(x,), value=np.tanh(x)), expected=np.tanh(x) + 0.1),
        "one number": Failure("o", "", outcome=Outcome("mse_loss", args=(x, x), value=np.array(0.3)),
                              expected=np.array(0.2)),
        "elements": Failure("e", "", outcome=Outcome("nll_loss", args=(np.zeros((3, 4)),), value=np.arange(3.0)),
                            expected=np.arange(3.0) * 2),
        "path": Failure("p", "", outcome=Outcome("SGD", value=path * 1.1), expected=path, step=2),
        "one coordinate": Failure("1", "", outcome=Outcome("SGD", value=path[:, :1] + 1), expected=path[:, :1]),
        "all NaN": Failure("n", "", outcome=Outcome("relu", args=(x,), value=np.full(9, np.nan)), expected=x),
    }

    def new_figure(name):
        monkeypatch.setattr(figures, "_figure", None)
        return figures.draw(failures[name], name)

    new = {name: new_figure(name) for name in failures}
    assert len(set(new.values())) == len(new)
    for order in (list(failures), list(reversed(failures)), ["path", "all NaN", "one number", "curve"]):
        for name in order:
            assert figures.draw(failures[name], name) == new[name], f"{name} after {order}"

    def half_drawn(fig, left, right, failure, title):   # a picture that fails half-way
        left.bar([0, 1], [1e300, -1e300])
        right.set_yscale("log")
        raise ValueError("singular transform")

    real = figures._draw
    monkeypatch.setattr(figures, "_draw", half_drawn)
    with pytest.raises(ValueError):
        figures.draw(failures["curve"], "curve")
    monkeypatch.setattr(figures, "_draw", real)
    assert figures.draw(failures["elements"], "elements") == new["elements"]
