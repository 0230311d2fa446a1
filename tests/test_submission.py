"""Calling student code: guarded, quiet, recorded, and replayed identically."""
import json

import numpy as np
import pytest

from grader.engine.submission import (RECORD_VERSION, LiveSubmission, Outcome, Problem, ReplayedSubmission,
                                      decode_record, encode_record)


def live(**functions):
    return LiveSubmission(functions, time_limit=0.5)


def test_prints_warnings_and_stderr_are_captured_not_shown(capfd):
    import sys
    import warnings

    def noisy(x):
        print("hello")
        print("oops", file=sys.stderr)
        warnings.warn("careful", RuntimeWarning)
        return np.exp(x)

    out = live(noisy=noisy).noisy(np.array([1000.0]))
    captured = capfd.readouterr()
    assert captured.out == "" and captured.err == ""
    assert out.ok and out.printed == len("hello\noops\n")
    assert "RuntimeWarning: careful" in out.warnings
    assert any("overflow encountered in exp" in w for w in out.warnings)


def test_exceptions_timeouts_and_missing_definitions_become_problems():
    def loops(x):
        while True:
            try:
                pass
            except Exception:   # a student's except cannot swallow the time limit
                pass

    student = live(boom=lambda x: 1 / 0, loops=loops, exits=lambda x: exit(3))
    boom = student.boom(np.ones(1))
    assert "raised ZeroDivisionError: division by zero" in boom.problem
    assert (boom.kind, boom.error, boom.ok, boom.timed_out) == (Problem.RAISED, "ZeroDivisionError", False, False)
    looped = student.loops(np.ones(1))
    assert looped.problem == "timed out: no answer within 0.5 s"
    assert looped.kind is Problem.TIMED_OUT and looped.timed_out and looped.error == ""
    exited = student.exits(np.ones(1))
    assert "raised SystemExit" in exited.problem and exited.error == "SystemExit"
    absent = student.absent(np.ones(1))
    assert absent.problem == "`absent` is not defined in the notebook" and absent.kind is Problem.NOT_DEFINED


def test_a_used_up_budget_is_a_kind_of_time_out():
    student = LiveSubmission({"f": lambda x: x}, budget=-1)
    out = student.f(np.ones(1))
    assert out.kind is Problem.BUDGET_USED_UP and out.timed_out and "time budget" in out.problem


def test_the_kind_is_the_fact_and_the_words_are_free():
    # Rewording a problem changes nothing a check or a report decides.
    reworded = Outcome.failed("f", Problem.RAISED, "it blew up (ValueError)", error="ValueError")
    assert not reworded.ok and not reworded.timed_out and reworded.error == "ValueError"
    timed = Outcome.failed("f", Problem.TIMED_OUT, "slow")
    assert timed.timed_out
    with pytest.raises(ValueError):
        Outcome("f", problem="a problem without a kind")
    with pytest.raises(ValueError):
        Outcome("f", kind=Problem.RAISED)


def test_results_are_plain_arrays_even_when_the_returned_object_lies():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    student = live(liar=lambda x: np.zeros(3).view(Liar), text=lambda x: "0.5", none=lambda x: None,
                   listy=lambda x: [0.5, 0.25])
    assert type(student.liar(np.ones(3)).value) is np.ndarray
    assert "not numbers" in student.text(np.ones(1)).problem
    assert student.text(np.ones(1)).kind is Problem.NOT_NUMBERS
    assert "returned None" in student.none(np.ones(1)).problem
    assert student.none(np.ones(1)).kind is Problem.RETURNED_NONE
    assert student.listy(np.ones(2)).value.tolist() == [0.5, 0.25]


def test_inputs_are_copies_and_mutation_is_detected():
    def in_place(x):
        x -= 1
        return x

    x = np.array([1.0, 2.0])
    out = live(f=in_place).f(x)
    assert x.tolist() == [1.0, 2.0] and out.mutated == ("arg0",)
    assert live(f=lambda x: x - 1).f(x).mutated == ()


def test_a_record_replays_the_same_outcomes_in_the_same_order():
    calls = iter([1.0, 2.0])
    student = live(f=lambda x: x * next(calls), g=lambda x: 1 / 0)
    x = np.arange(3.0)
    first, second, failed = student.f(x), student.f(x), student.g(x)
    payload = json.loads(json.dumps(student.encode()))
    replay = ReplayedSubmission(decode_record(payload))
    assert np.array_equal(replay.f(x).value, first.value)
    assert np.array_equal(replay.f(x).value, second.value)
    again = replay.g(x)
    assert (again.problem, again.kind, again.error) == (failed.problem, Problem.RAISED, "ZeroDivisionError")
    assert "no answer was recorded" in replay.f(x).problem            # a third call was never made
    assert replay.f(x + 1).kind is Problem.NOT_RECORDED               # nor one with other inputs


def test_decoding_refuses_anything_but_numeric_arrays():
    import base64
    import io
    buf = io.BytesIO()
    np.save(buf, np.array(["a"]), allow_pickle=False)
    bad = {"version": RECORD_VERSION, "outcomes": {"k": {"api": "f", "value": base64.b64encode(buf.getvalue()).decode()}}}
    with pytest.raises(ValueError):
        decode_record(bad)
    buf = io.BytesIO()
    np.save(buf, np.array([object()], dtype=object), allow_pickle=True)
    bad["outcomes"]["k"]["value"] = base64.b64encode(buf.getvalue()).decode()
    with pytest.raises(ValueError):
        decode_record(bad)
    with pytest.raises(ValueError):
        decode_record({"version": 99, "outcomes": {}})
    assert encode_record({}) == {"version": 2, "outcomes": {}}


def test_records_carry_the_problem_kind_and_refuse_what_is_not_one():
    good = {"api": "f", "problem": "raised ValueError: no", "kind": "raised", "error": "ValueError"}
    out = decode_record({"version": 2, "outcomes": {"k": good}})["k"]
    assert (out.kind, out.error) == (Problem.RAISED, "ValueError")
    for broken in ({**good, "kind": "exploded"}, {**good, "kind": None}, {**good, "problem": ""}):
        with pytest.raises(ValueError):
            decode_record({"version": 2, "outcomes": {"k": broken}})
    # version 1 (no kinds; its problems would have to be re-read from their words) is refused
    with pytest.raises(ValueError):
        decode_record({"version": 1, "outcomes": {"k": {"api": "f", "problem": "raised ValueError: no"}}})


def test_arrays_passed_by_keyword_are_copies_too():
    def in_place(x, weight=None):
        weight *= 2
        return x

    w = np.array([1.0, 2.0])
    out = live(f=in_place).f(np.ones(2), weight=w)
    assert w.tolist() == [1.0, 2.0] and out.mutated == ("weight",)


@pytest.fixture
def patched_numpy(monkeypatch):
    """What a hostile notebook can do in its kernel: make numpy's comparisons lie."""
    monkeypatch.setattr(np, "array_equal", lambda *args, **kwargs: True)
    monkeypatch.setattr(np, "allclose", lambda *args, **kwargs: True)


def test_patched_numpy_cannot_hide_a_changed_input(patched_numpy):
    def in_place(x):
        x -= 1
        return x

    assert live(f=in_place).f(np.array([1.0, 2.0])).mutated == ("arg0",)
    assert live(f=lambda x: x - 1).f(np.array([1.0, 2.0])).mutated == ()
