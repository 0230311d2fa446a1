"""Stateful APIs (optimizers): the driver that plays a run, how runs are recorded and
replayed, how trajectories are compared and reported, and why the suite needs its grid."""
import json

import numpy as np
import pytest

from grader.engine import driver
from grader.engine.compare import Mismatch, assert_raises, assert_trajectory_close, assert_updated_in_place
from grader.engine.findings import Finding
from grader.engine.mistakes import CATALOGUE, NOT_IN_PLACE
from grader.engine.submission import LiveSubmission, Outcome, Problem, ReplayedSubmission, decode_record
from grader.suites import optimizers as suite


class PlainSGD:
    """p -= lr * g, in place; reads self.lr at every step."""

    def __init__(self, params, lr):
        self.params, self.lr = params, lr

    def step(self, grads):
        for p, g in zip(self.params, grads):
            p -= self.lr * g


class Replacing(PlainSGD):
    def step(self, grads):
        for i, g in enumerate(grads):
            self.params[i] = self.params[i] - self.lr * g


class Rebinding(PlainSGD):
    def step(self, grads):
        for p, g in zip(self.params, grads):
            p = p - self.lr * g  # noqa: F841


PARAMS = [np.array([1.0, 2.0]), np.array([[3.0, 4.0]])]
GRADS = [[np.array([1.0, 1.0]), np.array([[2.0, 2.0]])]] * 3


def test_the_driver_plays_steps_and_lr_changes_and_sees_in_place_updates():
    params = [p.copy() for p in PARAMS]
    trajectory, in_place = driver.drive(PlainSGD, params, (0.5,), GRADS, {3: 0.25})
    assert trajectory.tolist() == [[0.5, 1.5, 2.0, 3.0], [0.0, 1.0, 1.0, 2.0], [-0.25, 0.75, 0.5, 1.5]]
    assert in_place == ("params[0]", "params[1]")
    assert all(np.array_equal(p, q) for p, q in zip(params, PARAMS))   # the caller's inputs are copied


def test_replaced_arrays_are_graded_but_not_in_place_and_rebinding_changes_nothing():
    right, _ = driver.drive(PlainSGD, PARAMS, (0.5,), GRADS)
    replaced, in_place = driver.drive(Replacing, PARAMS, (0.5,), GRADS)
    assert np.array_equal(replaced, right) and in_place == ()
    stuck, in_place = driver.drive(Rebinding, PARAMS, (0.5,), GRADS)
    assert (stuck == [1.0, 2.0, 3.0, 4.0]).all() and in_place == ()


def test_gradients_from_a_surface_follow_the_current_params():
    trajectory, _ = driver.drive(PlainSGD, PARAMS, (0.1,), ("quadratic", 3))
    params = [p.copy() for p in PARAMS]
    for row in trajectory:
        for p, g in zip(params, driver.quadratic_grad(params)):
            p -= 0.1 * g
        assert np.array_equal(row, np.concatenate([p.ravel() for p in params]))
    rosenbrock = driver.rosenbrock_grad([np.array([1.0, 1.0]), np.array([1.0])])   # the minimum
    assert all((g == 0).all() for g in rosenbrock)


def test_each_step_gets_fresh_gradients():
    class Spoiler(PlainSGD):
        def step(self, grads):
            super().step(grads)
            for g in grads:
                g *= 1000   # must not leak into the next step, the caller, or another run

    grads = [[g.copy() for g in step] for step in GRADS]
    spoiled, _ = driver.drive(Spoiler, PARAMS, (0.5,), grads)
    assert np.array_equal(spoiled, driver.drive(PlainSGD, PARAMS, (0.5,), GRADS)[0])
    assert all(np.array_equal(g, h) for s, t in zip(grads, GRADS) for g, h in zip(s, t))


def test_a_run_is_recorded_with_its_in_place_updates_and_replayed(capfd):
    class Noisy(PlainSGD):
        def step(self, grads):
            import sys
            print("step", file=sys.stderr)
            super().step(grads)

    class Strict(PlainSGD):
        def __init__(self, params, lr):
            raise ValueError("no")

    class Forever(PlainSGD):
        def step(self, grads):
            while True:
                pass

    live = LiveSubmission({"SGD": Noisy, "Adam": Strict}, time_limit=0.5)
    got = live.SGD(PARAMS, (0.5,), GRADS, None)
    refused = live.Adam(PARAMS, (0.5,), GRADS, None)
    assert capfd.readouterr().err == "" and got.printed == len("step\n") * 3
    assert got.mutated == ("params[0]", "params[1]") and got.value.shape == (3, 4)
    assert refused.problem.startswith("raised ValueError: no (at line") and refused.error == "ValueError"
    replay = ReplayedSubmission(decode_record(json.loads(json.dumps(live.encode()))))
    again = replay.SGD(PARAMS, (0.5,), GRADS, None)
    assert np.array_equal(again.value, got.value) and again.mutated == got.mutated
    assert replay.Adam(PARAMS, (0.5,), GRADS, None).problem == refused.problem
    looping = LiveSubmission({"SGD": Forever}, time_limit=0.5).SGD(PARAMS, (0.5,), GRADS, None)
    assert looping.problem == "timed out: no answer within 0.5 s of CPU time"


def run_outcome(value, mutated=("params[0]", "params[1]"), schedule=None, **fields):
    return Outcome("SGD", args=(PARAMS, (0.5, 0.9), GRADS, schedule), value=np.asarray(value),
                   mutated=mutated, **fields)


def test_a_trajectory_report_names_the_step_and_param_where_the_path_leaves_torchs():
    want, _ = driver.drive(PlainSGD, PARAMS, (0.5,), GRADS)
    assert_trajectory_close(run_outcome(want + 1e-9), want)
    wrong = want.copy()
    wrong[1:, 3] += 0.1            # params[1][0, 1] from step 2 on
    with pytest.raises(Mismatch) as err:
        assert_trajectory_close(run_outcome(wrong, schedule={2: 0.1}), want)
    text = str(err.value)
    assert text.startswith("SGD(params, lr=0.5, momentum=0.9) over 3 step(s) differs from torch:")
    assert "leaves torch's path at step 2, params[1][0, 1]: expected 2, got 2.1" in text
    assert "Greatest absolute difference: 0.1 at step 2, params[1][0, 1]" in text
    assert "opt.lr = 0.1 before step 2" in text
    assert "expected params after step 2 (torch):" in text and "step 2: float64 array of shape (2,)" in text
    with pytest.raises(Mismatch, match="the optimizer changed the number or the shape of the params"):
        assert_trajectory_close(run_outcome(want[:, :3]), want)


def test_params_must_change_in_place_where_torchs_changed():
    want, _ = driver.drive(PlainSGD, PARAMS, (0.5,), GRADS)
    assert_updated_in_place(run_outcome(want), want)
    with pytest.raises(Mismatch) as err:
        assert_updated_in_place(run_outcome(want, mutated=("params[0]",)), want)
    assert "did not update params[1] in place" in str(err.value)
    assert str(err.value).endswith(Finding(*NOT_IN_PLACE).line())
    assert err.value.findings == (Finding(*NOT_IN_PLACE),)
    unmoved = want.copy()
    unmoved[:, 2:] = [3.0, 4.0]     # torch left params[1] alone: nothing to update in place
    assert_updated_in_place(run_outcome(unmoved, mutated=("params[0]",)), unmoved)


def test_a_required_exception_is_checked_and_its_absence_named():
    mistake = ("accepted bad options", "raise ValueError")
    raised = dict(kind=Problem.RAISED, error="ValueError")
    assert_raises(run_outcome(None, problem="raised ValueError: no (at line 3: ...)", **raised), "ValueError", "why")
    assert_raises(run_outcome(None, problem="reworded: any words", **raised), "ValueError", "why")
    with pytest.raises(Mismatch) as err:
        assert_raises(run_outcome(np.zeros((3, 4))), "ValueError", "why", mistake)
    assert "torch raises ValueError here (why); this ran without error" in str(err.value)
    assert str(err.value).endswith(Finding(*mistake).line())
    with pytest.raises(Mismatch) as err:
        assert_raises(run_outcome(None, problem="raised TypeError: x", kind=Problem.RAISED, error="TypeError"),
                      "ValueError", "why", mistake)
    assert "Likely mistake" not in str(err.value) and err.value.findings == ()
    with pytest.raises(Mismatch):   # a name that merely starts like the expected one is not it
        assert_raises(run_outcome(None, problem="raised ValueErrorish: x", kind=Problem.RAISED,
                                  error="ValueErrorish"), "ValueError", "why")


def test_torch_optimizers_behind_the_student_api_reproduce_the_known_traces():
    from grader import reference   # live torch (TORCH_NOTES, "Traces")
    target = np.array([3.0, -1.0])
    p = np.zeros(2)
    opt = reference.SGD([p], 0.1, 0.9)
    trace = []
    for _ in range(3):
        opt.step([2 * (p - target)])
        trace.append(p.copy())
    assert np.allclose(trace, [[0.6, -0.2], [1.62, -0.54], [2.814, -0.938]], rtol=0, atol=1e-12)
    p = np.zeros(2)
    opt = reference.Adam([p], 0.1)
    for _ in range(10):
        opt.step([2 * (p - target)])
    assert np.allclose(p, [0.9858115904, -0.9237508444], rtol=0, atol=1e-10)
    opt.lr = 0.5
    assert opt.lr == 0.5


# Every option of the five optimizers the kit grades (SPEC.md) that changes a step's arithmetic.
TORCH_OPTIONS = [("SGD", {"lr": 0.1}), ("SGD", {"lr": 0.1, "momentum": 0.9, "nesterov": True, "weight_decay": 0.01}),
                 ("SGD", {"lr": 0.1, "momentum": 0.5, "dampening": 0.3, "maximize": True}),
                 ("Adam", {"lr": 0.01}), ("Adam", {"lr": 0.01, "amsgrad": True, "weight_decay": 0.1}),
                 ("RMSprop", {"lr": 0.01}), ("RMSprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
                 ("Adagrad", {"lr": 0.1, "lr_decay": 0.01, "weight_decay": 0.1}),
                 ("AdamW", {"lr": 0.01, "weight_decay": 0.1}), ("AdamW", {"lr": 0.01, "amsgrad": True})]


@pytest.mark.parametrize("wrappers_known", [True, False])
@pytest.mark.parametrize("name, options", TORCH_OPTIONS)
def test_the_references_steps_are_torch_optims_own_step_bit_for_bit(name, options, wrappers_known, monkeypatch):
    """grader.reference runs torch.optim's steps without the wrappers that import torch's
    compiler (or, where it does not know them, through step() itself): the same bits as
    optimizer.step(), in both dtypes, with the lr changed half-way."""
    import torch
    from grader import reference
    if not wrappers_known:
        monkeypatch.setattr(reference, "_STEP_WRAPPERS", set())
    rng = np.random.default_rng(7)
    for dtype in (np.float32, np.float64):
        start = [rng.standard_normal(shape).astype(dtype) for shape in ((4,), (3, 2))]
        grads = [[rng.standard_normal(p.shape).astype(dtype) for p in start] for _ in range(12)]
        runs = []
        for step in (reference._step, lambda optimizer: optimizer.step()):
            params = [torch.from_numpy(p.copy()) for p in start]
            optimizer = getattr(torch.optim, name)(params, **options)
            for i, g in enumerate(grads):
                if i == 6:
                    optimizer.param_groups[0]["lr"] /= 2
                for t, x in zip(params, g):
                    t.grad = torch.from_numpy(x.copy())
                step(optimizer)
            runs.append([t.numpy() for t in params])
        assert not np.array_equal(runs[0][0], start[0])   # the run moved the params
        for mine, torchs in zip(*runs):
            assert mine.tobytes() == torchs.tobytes(), (name, options, dtype)


def test_the_references_import_no_compiler():
    """torch.optim imports torch._dynamo (0.7-0.9 s) when an optimizer is made and at each step;
    the references (each optimizer, the mlp's training) run without it, in a fresh process."""
    code = ("import sys, numpy as np\n"
            "from grader import reference as R\n"
            "for cls in (R.SGD, R.Adam, R.RMSprop, R.Adagrad, R.AdamW):\n"
            "    p = np.ones(3); opt = cls([p], 0.1); opt.step([np.ones(3)]); opt.lr = 0.2; opt.step([np.ones(3)])\n"
            "params = [np.ones((4, 2)), np.zeros(4), np.ones((3, 4)), np.zeros(3)]\n"
            "R.train(np.ones((5, 2)), np.array([0, 1, 2, 0, 1]), params, 0.1, 3, momentum=0.9)\n"
            "print('torch._dynamo' in sys.modules)\n")
    import subprocess
    import sys
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "False"


def test_one_easy_run_passes_several_wrong_adams_so_the_suite_uses_a_grid():
    # TORCH_NOTES' trace: f = sum((p - [3, -1])^2) from 0, Adam(lr=0.1), 10 steps. These
    # mistakes all land on torch's answer there; test_checks proves the grid catches each.
    fooled = [suite.AdamEpsInsideSqrt, suite.AdamEpsBeforeCorrection, suite.AdamNoEps, suite.AdamNoAmsgrad,
              suite.AdamAmsgradCorrectedMax, suite.AdamDecoupledDecay, suite.AdamNoDecay, suite.AdamFixedLr]
    for cls in fooled:
        p = np.zeros(2)
        opt = cls([p], 0.1)
        for _ in range(10):
            opt.step([2 * (p - np.array([3.0, -1.0]))])
        assert np.allclose(p, [0.9858115904, -0.9237508444], rtol=1e-7, atol=1e-7), cls.__name__
        assert set(next(m for m in CATALOGUE["Adam"] if m.implementation is cls).fails) <= set(suite.ALL_ADAM)


def test_the_catalogue_covers_every_known_optimizer_pitfall():
    names = {m.implementation.__name__ for api in ("SGD", "Adam") for m in CATALOGUE[api]}
    pitfalls = {
        "first momentum buffer with dampening": "SGDZeroBuffer",
        "nesterov": "SGDNoNesterov",
        "SGD weight decay coupling": "SGDDecoupledDecay",
        "lr changed mid-run (velocity with lr)": "SGDVelocityWithLr",
        "lr changed mid-run (lr read once)": "AdamFixedLr",
        "eps inside the sqrt": "AdamEpsInsideSqrt",
        "amsgrad max of the raw v": "AdamAmsgradCorrectedMax",
        "bias correction": "AdamNoBiasCorrection",
        "Adam weight decay coupling": "AdamDecoupledDecay",
        "several param arrays": "AdamStepPerArray",
        "in place (rebinding)": "SGDRebinds",
        "in place (replacing)": "AdamReplaces",
        "nesterov without momentum": "SGDNoNesterovCheck",
    }
    assert set(pitfalls.values()) <= names


def test_patched_numpy_changes_no_in_place_verdict(monkeypatch):
    # A correct optimizer in a notebook that made numpy's comparisons lie (either way): the
    # driver still sees which caller-held arrays changed.
    for lie in (True, False):
        monkeypatch.setattr(np, "array_equal", lambda *args, lie=lie, **kwargs: lie)
        assert driver.drive(PlainSGD, PARAMS, (0.5,), GRADS)[1] == ("params[0]", "params[1]")
        assert driver.drive(Replacing, PARAMS, (0.5,), GRADS)[1] == ()
