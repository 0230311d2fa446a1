"""The bank of references: it serves every case of every check, for exactly the inputs its
references were made for, within a few ULPs of live torch; a reference it lacks is computed
with torch where torch is installed, and is a case not checked (costing nothing) where not."""
import sys

import numpy as np
import pytest

from grader.engine import bank
from grader.engine.runner import run_checks
from grader.engine.submission import LiveSubmission
from grader.exercises import ASSIGNMENTS
from grader.instructor.bank import MAX_ULPS, ulps, verify
from tests.helpers import solution_namespace


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_bank_matches_live_torch_within_a_few_ulps(assignment):
    verdict = verify(assignment)     # runs the suite against torch itself, with live torch
    assert not verdict.misses, f"bank is stale: run `python -m grader bank`\n{verdict.text()}"
    assert not verdict.unused, verdict.text()
    assert verdict.worst[0] <= MAX_ULPS, verdict.text()
    print(verdict.text())


def test_call_keys_distinguish_dtype_shape_values_and_options():
    x = np.arange(6.0).reshape(2, 3)
    keys = {bank.call_key("softmax", (x,)), bank.call_key("softmax", (x.astype(np.float32),)),
            bank.call_key("softmax", (x.reshape(3, 2),)), bank.call_key("softmax", (x + 1,)),
            bank.call_key("softmax", (x, 0)), bank.call_key("log_softmax", (x,)),
            bank.call_key("softmax", (x,), {"axis": 0})}
    assert len(keys) == 7
    assert bank.call_key("softmax", (x,)) == bank.call_key("softmax", (x.copy(),))


def test_references_are_named_by_check_case_and_call():
    from grader import reference
    refs = bank.References(live=True, compute=reference.answer)
    case = refs.case("test_softmax_values", "float64[2]")
    x = np.array([0.0, 1000.0])
    case.softmax(x), case.softmax(x + 1), refs.case("test_softmax_axis", "").softmax(x)
    assert list(refs.asked) == ["test_softmax_values[float64[2]] softmax#0",
                                "test_softmax_values[float64[2]] softmax#1", "test_softmax_axis softmax#0"]
    assert refs.asked["test_softmax_axis softmax#0"].digest == bank.call_key("softmax", (x,))


def test_a_miss_is_computed_with_torch_and_remembered():
    x = np.array([0.0, 1000.0])
    key = bank.case_key("test_softmax_values", "a", "softmax")
    from grader import reference
    refs = bank.References({}, compute=reference.answer)
    assert refs.case("test_softmax_values", "a").softmax(x).tolist() == [0.0, 1.0]
    assert list(refs.misses) == [key] and "has no reference" in refs.misses[key]
    # a reference made for other inputs is never served for these: a miss too
    refs = bank.References({key: bank.Reference(bank.call_key("softmax", (x + 1,)), np.array([0.5, 0.5]))},
                           compute=reference.answer)
    assert refs.case("test_softmax_values", "a").softmax(x).tolist() == [0.0, 1.0]
    assert "other inputs" in refs.misses[key]
    # and one made for them is served as stored, with no miss
    refs = bank.References({key: bank.Reference(bank.call_key("softmax", (x,)), np.array([0.25, 0.75]))})
    assert refs.case("test_softmax_values", "a").softmax(x).tolist() == [0.25, 0.75] and not refs.misses


def test_the_bank_round_trips_through_its_file(tmp_path):
    stored = {"test_a[x] softmax#0": bank.Reference("d1", np.arange(3.0)),
              "test_b softmax#0": bank.Reference("d2", np.float32(2.5) * np.ones((2, 0)))}
    path = str(tmp_path / "a.npz")
    bank.save_bank("a", stored, path)
    loaded = bank.load_bank("a", path)
    assert loaded.keys() == stored.keys()
    for key, ref in stored.items():
        assert loaded[key].digest == ref.digest and ulps(loaded[key].value, ref.value) == 0
        assert loaded[key].value.dtype == ref.value.dtype and loaded[key].value.shape == ref.value.shape


def _without(stored, key):
    return {k: v for k, v in stored.items() if k != key}


def test_without_torch_a_missing_reference_is_a_case_not_checked_and_costs_nothing(monkeypatch):
    # A students' environment with a stale bank: no torch, and the bank lacks one case.
    monkeypatch.setitem(sys.modules, "grader.reference", None)   # importing it fails as without torch
    stored = bank.load_bank("activations")
    lacking = "test_softmax_values[float32-2d] softmax#0"
    refs = bank.References(_without(stored, lacking))
    result = run_checks("softmax", LiveSubmission(solution_namespace("activations")), refs, public_only=True)
    assert result.score == result.max_score, result.report()
    (check,) = result.checks
    assert [case for case, _ in check.unchecked] == ["float32-2d"] and check.passed
    report = result.report()
    assert "internal grader error" not in report
    assert "1 of 6 case(s) not checked here (no point lost): [float32-2d]" in report
    assert "torch is not available here" in report and "has no reference for this case" in report
    assert result.summary().checks[0].unchecked_cases == ["float32-2d"]
    # a wrong answer still fails on the cases that can be checked
    wrong = dict(solution_namespace("activations"), softmax=lambda x, axis=-1: x)
    result = run_checks("softmax", LiveSubmission(wrong), bank.References(_without(stored, lacking)),
                        public_only=True)
    assert result.score == 0 and len(result.checks[0].failures) == 5


def test_on_the_trusted_side_a_missing_reference_is_never_skipped(monkeypatch):
    monkeypatch.setitem(sys.modules, "grader.reference", None)
    stored = bank.load_bank("activations")
    refs = bank.References(_without(stored, "test_softmax_values[float32-2d] softmax#0"), trusted=True)
    result = run_checks("softmax", LiveSubmission(solution_namespace("activations")), refs, public_only=True)
    assert result.score == 0 and result.checks[0].internal_errors and not result.checks[0].unchecked


def test_the_self_check_says_which_case_it_could_not_check(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "grader.reference", None)
    stored = bank.load_bank("activations")
    monkeypatch.setattr(bank, "load_bank", lambda assignment: _without(stored, "test_sigmoid_values[float64-1d] sigmoid#0"))
    namespace = solution_namespace("activations")
    exec("from grader import check\ncheck('sigmoid')", namespace)
    out = capsys.readouterr().out
    assert "sigmoid: public self-check passed" in out
    assert "not checked here: test_sigmoid_values[float64-1d]: the reference bank has no reference" in out


def test_bank_check_reports_misses_changed_inputs_and_unused_entries():
    stored = bank.load_bank("activations")
    lacking = "test_sigmoid_values[float64-1d] sigmoid#0"
    changed = "test_softmax_values[float64-3d] softmax#0"
    doctored = dict(_without(stored, lacking), **{
        changed: bank.Reference("0" * 24, stored[changed].value),
        "test_gone[x] sigmoid#0": bank.Reference("1" * 24, np.zeros(2))})
    verdict = verify("activations", doctored)
    assert verdict.stale and set(verdict.misses) == {lacking, changed}
    assert "other inputs" in verdict.misses[changed] and verdict.unused == ["test_gone[x] sigmoid#0"]
    assert f"miss: {lacking}" in verdict.text() and "unused: test_gone[x] sigmoid#0" in verdict.text()
    # a value off by more than MAX_ULPS is stale too, and named
    off = "test_sigmoid_values[float32-1d] sigmoid#0"
    value = stored[off].value * np.float32(1 + 1e-4)
    verdict = verify("activations", dict(stored, **{off: bank.Reference(stored[off].digest, value)}))
    assert verdict.stale and not verdict.misses and verdict.worst[1] == off and verdict.worst[0] > MAX_ULPS


def test_ulps_measure_at_the_arrays_scale():
    x = np.array([4.0, -0.01, 0.0])
    assert ulps(x, x) == 0
    assert ulps(np.array([4.0 + np.spacing(4.0)]), np.array([4.0])) == 1
    assert ulps(np.array([-0.01 + 2 * np.spacing(4.0), 4.0]), np.array([-0.01, 4.0])) == pytest.approx(2)
    assert ulps(np.float32([1, 2]), np.float32([1, 2 + 2 * np.spacing(np.float32(2))])) == 2
    assert ulps(np.array([np.nan, 1.0]), np.array([1.0, 1.0])) == float("inf")
    assert ulps(np.array([np.inf]), np.array([-np.inf])) == float("inf")
    assert ulps(np.array([np.nan, np.inf]), np.array([np.nan, np.inf])) == 0
    assert ulps(np.float32([1.0]), np.array([1.0])) == float("inf")
    assert ulps(np.zeros((2, 1)), np.zeros(2)) == float("inf")


def test_the_kl_div_mean_reference_warns_nobody(capfd):
    # torch's F.kl_div(reduction='mean') warns that it is not the KL mean; the reference
    # must still give torch's value, with nothing on stderr and no warning escaping.
    import warnings

    from grader import reference
    log_q, p = np.log(np.full((2, 4), 0.25)), np.array([[0.5, 0.5, 0.0, 0.0], [0.25, 0.25, 0.25, 0.25]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        value = reference.kl_div(log_q, p, "mean")
    assert caught == [] and capfd.readouterr().err == ""
    assert value == pytest.approx(np.log(2) / 8)
