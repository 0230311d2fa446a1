"""The mlp assignment beyond what test_checks proves for every suite: a second correct style gets
full marks, grading writes nothing to stdout or stderr, answers of several arrays are read part
by part (and replay from a record), a trainer's in-place updates are told from replaced list
items, a failing curve names the step where it leaves torch's, and the notebook's published
torch curve is the bank's."""
import os

import numpy as np
import pytest

from grader.engine import driver
from grader.engine.bank import call_key, load_bank
from grader.engine.inputs import Inputs
from grader.engine.mistakes import CATALOGUE
from grader.engine.plan import make_plan
from grader.engine.runner import judge, run_checks
from grader.engine.submission import LiveSubmission, ReplayedSubmission, decode_record
from grader.exercises import ASSIGNMENTS
from grader.instructor.bank import published_stale
from grader.instructor.cohort import expected_scores
from grader.suites import mlp
from tests.helpers import COHORT, solution_namespace, trusted_references

NAMES = list(ASSIGNMENTS["mlp"])


def cohort_namespace(student):
    with open(os.path.join(COHORT, student, "mlp.py")) as f:
        source = f.read()
    namespace = {}
    exec(source, namespace)
    return namespace, expected_scores(COHORT, "mlp")[student]


@pytest.mark.parametrize("student", ["ada", "ben"])
def test_both_correct_styles_get_full_marks_and_no_named_mistake(student):
    namespace, _ = cohort_namespace(student)
    results = judge({name: LiveSubmission(namespace) for name in NAMES}, trusted_references("mlp"))
    for name, result in results.items():
        assert result.score == result.max_score, result.report()
        assert not result.mistakes and not result.warnings, result.report()


@pytest.mark.parametrize("student", ["cy", "dee", "eli"])
def test_the_cohorts_wrong_answers_lose_what_they_declare(student):
    namespace, expected = cohort_namespace(student)
    results = judge({name: LiveSubmission(namespace) for name in NAMES}, trusted_references("mlp"))
    assert {f"test_{n}": r.score for n, r in results.items()} == expected
    if student != "cy":
        assert any(r.mistakes for r in results.values())
    else:   # a stub is not a mistake
        assert not any(r.mistakes for r in results.values())


@pytest.mark.slow   # every mistake, each train mistake 2000 steps: ~20 s
def test_grading_writes_nothing_to_stdout_or_stderr(capfd):
    ref = trusted_references("mlp")
    runs = [(NAMES, ns) for ns in (solution_namespace("mlp"), cohort_namespace("ben")[0], cohort_namespace("cy")[0])]
    runs += [([m.api], dict(solution_namespace("mlp"), **{m.api: m.implementation}))
             for name in NAMES for m in CATALOGUE[name]]
    capfd.readouterr()
    for names, namespace in runs:
        judge({name: LiveSubmission(namespace) for name in names}, ref)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


@pytest.mark.slow
@pytest.mark.parametrize("student", ["ada", "eli"])
def test_a_record_of_parts_replays_to_the_same_grades(student):
    # as while autograding: the kernel only answers its plan (no reference at hand), the trusted
    # side judges
    ref = trusted_references("mlp")
    namespace, _ = cohort_namespace(student)
    plan = make_plan(Inputs.public("mlp"), NAMES)
    for name in NAMES:
        graded = run_checks(name, LiveSubmission(namespace), ref)
        recorder = LiveSubmission(namespace)
        recorder.answer(plan[name])
        replayed = run_checks(name, ReplayedSubmission(decode_record(recorder.encode())), ref)
        assert replayed.report() == graded.report() and replayed.score == graded.score


def test_parts_are_read_nested_or_flat_and_a_wrong_layout_is_a_wrong_answer():
    grads = [np.zeros((2, 3)), np.ones(2), np.full((4, 2), 2.0), np.full(4, 3.0)]
    for answer in [(1.5, grads), [1.5, tuple(grads)], (1.5, *grads)]:
        assert driver.select("mlp_loss_and_grads", answer, "loss") == 1.5
        assert driver.select("mlp_loss_and_grads", answer, "dW2") is grads[2]
    with pytest.raises(driver.AnswerLayoutError, match=r"returned \(a float, \[an array of shape \(2, 3\), "
                       r"an array of shape \(2,\)\]\); expected \(loss, \(dW1, db1, dW2, db2\)\)"):
        driver.select("mlp_loss_and_grads", (1.5, grads[:2]), "db2")
    # a student's answer laid out wrongly is reported as such, not as a crash
    outcome = LiveSubmission({"linear_backward": lambda x, W, g: (g @ W, g.T @ x)}).part("grad_b").linear_backward(
        np.ones((2, 3)), np.ones((4, 3)), np.ones((2, 4)))
    assert not outcome.ok and outcome.problem.startswith("returned (an array of shape (2, 3), an array of shape (4, 3))")
    # each part is a call of its own: its own record key and its own bank digest
    args = (np.ones((2, 3)), np.ones((4, 3)), np.ones((2, 4)))
    assert len({call_key("linear_backward", args, {}, part) for part in ("", "grad_x", "grad_b")}) == 3
    assert call_key("linear", args) == call_key("linear", args, None, "")


def test_a_trainer_in_place_updates_are_told_from_replaced_list_items():
    x, targets, params = mlp.network(np.random.default_rng(0), 6, 3, 5, 4)
    start = [p.copy() for p in params]
    answer, in_place = driver.play("train", solution_namespace("mlp")["train"], (x, targets, params, 0.5, 3), {})
    assert in_place == ("params[0]", "params[1]", "params[2]", "params[3]")
    losses, after = answer
    assert len(losses) == 3 and not any(np.array_equal(a, s) for a, s in zip(after, start))
    assert all(np.array_equal(p, s) for p, s in zip(params, start)), "the caller's own arrays are not touched"
    replaced, in_place = driver.play("train", mlp.train_replaces, (x, targets, params, 0.5, 3), {})
    assert in_place == () and not np.array_equal(replaced[1][0], start[0])   # new values, new arrays
    rebound, in_place = driver.play("train", mlp.train_rebinds, (x, targets, params, 0.5, 3), {})
    assert in_place == () and all(np.array_equal(a, s) for a, s in zip(rebound[1], start))


def test_a_curve_report_names_the_first_step_that_leaves_torchs():
    namespace = dict(solution_namespace("mlp"), train=mlp.train_momentum_dampened)
    report = run_checks("train", LiveSubmission(namespace), trusted_references("mlp")).report()
    assert ("losses of train(x, targets, params, lr=0.1, steps=25, momentum=0.9) differs from torch:\n"
            "    leaves torch's curve at step 1 (the loss after 1 update(s))") in report
    assert "; up to there it followed torch's" in report


def test_the_notebooks_torch_curve_is_the_banks_and_trains_the_spirals():
    assert published_stale("mlp", load_bank("mlp")) == []
    curve = mlp.torch_spirals_curve()
    assert curve.shape == (2000,) and curve[-1] < 0.1 * curve[0]
    stored = load_bank("mlp")[mlp.PUBLISHED["spirals_losses"]]
    assert stored.digest == call_key("train", mlp.SPIRALS_RUN, {}, "losses")


def test_spirals_are_made_with_exact_operations():
    # the series sin and cos are within a few ULPs of numpy's (which differ by CPU)
    angles = np.linspace(0, 9, 1001)
    sin, cos = mlp._sin_cos(angles)
    assert np.abs(sin - np.sin(angles)).max() < 1e-14 and np.abs(cos - np.cos(angles)).max() < 1e-14
    x, y = mlp.spirals()
    assert x.shape == (120, 2) and np.bincount(y).tolist() == [40, 40, 40]
