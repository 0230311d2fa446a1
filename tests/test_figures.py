"""Pictures of failed checks (grader/grading/figures.py): drawn on the trusted side from judged
answers, one per failed graded cell, a small PNG; none for a right answer."""
import base64

import numpy as np

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
