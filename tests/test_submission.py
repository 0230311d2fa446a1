"""Calling student code: guarded, quiet, recorded, and replayed identically."""
import base64
import io
import json
import time

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
    assert looped.problem == "timed out: no answer within 0.5 s of CPU time"
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


# --- a busy machine, numpy state, untrusted records ----------------------------------------

def test_the_call_limit_counts_cpu_time_so_waiting_is_not_computing():
    def sleeps(x):
        time.sleep(0.6)           # wall time well past the 0.2 s CPU limit, no CPU used
        return x

    def waits_forever(x):
        time.sleep(60)

    student = LiveSubmission({"sleeps": sleeps, "waits": waits_forever}, time_limit=0.2)
    assert student.sleeps(np.ones(2)).ok
    start = time.monotonic()
    outcome = student.waits(np.ones(2))
    assert outcome.problem == "timed out: no answer within 2 s (the call was waiting, not computing)"
    assert time.monotonic() - start < 5   # the wall-clock backstop: 10 times the CPU limit


def test_the_cell_budget_counts_cpu_time():
    def sleeps(x):
        time.sleep(0.3)
        return x

    student = LiveSubmission({"sleeps": sleeps}, budget=0.2)
    assert [student.sleeps(np.ones(1)).ok for _ in range(3)] == [True, True, True]   # 0.9 s of wall time

    def burns(x):
        end = time.process_time() + 0.15
        while time.process_time() < end:
            pass
        return x

    student = LiveSubmission({"burns": burns}, budget=0.2)
    outcomes = [student.burns(np.ones(1)) for _ in range(3)]
    assert [o.ok for o in outcomes] == [True, True, False]
    assert outcomes[2].problem.startswith("not run: the time budget for this cell was used up")


def test_each_call_runs_with_numpys_default_error_state_and_print_options():
    def naive_sigmoid(x):
        return 1 / (1 + np.exp(-x))

    def prints(x):
        return float(str(np.float64(1 / 3)))

    old_err, old_print = np.seterr(all="raise"), np.get_printoptions()
    np.set_printoptions(precision=1)
    try:
        student = live(sigmoid=naive_sigmoid, prints=prints)
        out = student.sigmoid(np.array([-1000.0, 0.0]))
        assert out.ok and out.value.tolist() == [0.0, 0.5]
        assert any("overflow encountered in exp" in w for w in out.warnings)   # a warning, not an error
        assert student.prints(np.ones(1)).value == pytest.approx(1 / 3, abs=1e-12)
        assert np.geterr()["over"] == "raise" and np.get_printoptions()["precision"] == 1   # restored
    finally:
        np.seterr(**old_err)
        np.set_printoptions(**old_print)


def _npy(array, header_shape=None):
    buf = io.BytesIO()
    np.save(buf, array)
    raw = buf.getvalue()
    if header_shape is not None:
        raw = raw.replace(repr(array.shape).encode(), header_shape.encode())
    return base64.b64encode(raw).decode()


def _record(**entry):
    return {"version": RECORD_VERSION, "outcomes": {"k#0": {"api": "sigmoid", **entry}}}


@pytest.mark.parametrize("bad, why", [
    (_record(value=_npy(np.zeros(3), "(1000000,1000000)")), "too large"),      # a 10**12-element header
    (_record(value=_npy(np.zeros(4), "(5,)")), "does not match"),              # header and data disagree
    (_record(value=_npy(np.array(["a", "b"]))), "not a numeric array"),
    (_record(value="%%% not base64"), "not base64"),
    (_record(value=base64.b64encode(b"\x93NUMPY garbage").decode()), "not a .npy array"),
    ("[" * 100_000 + "]" * 100_000, "nested too deep"),
    (_record(warnings=[[[["deep"]]]]), "not a short list of strings"),
    (_record(warnings=["w"] * 1000), "not a short list of strings"),
    (_record(printed="many"), "wrong type"),
    ({"version": RECORD_VERSION, "outcomes": ["x"]}, "no readable outcomes"),
    ({"version": RECORD_VERSION, "outcomes": {f"k#{i}": {"api": "f"} for i in range(20_001)}}, "no readable outcomes"),
    (_record(problem="raised E", kind=["raised"]), "wrong type"),
    (_record(problem="raised E", kind="raised", error=7), "wrong type"),
])
def test_records_are_untrusted_input_refused_before_anything_big_is_made(bad, why):
    with pytest.raises(ValueError, match=why):
        decode_record(bad)


def test_a_record_over_the_size_cap_is_refused(monkeypatch):
    import grader.engine.submission as submission
    monkeypatch.setattr(submission, "MAX_RECORD_CHARS", 100)
    big = _npy(np.zeros(50))
    with pytest.raises(ValueError, match="too large"):
        decode_record({"version": RECORD_VERSION, "outcomes": {"a#0": {"api": "f", "value": big},
                                                  "b#0": {"api": "f", "value": big}}})
