"""Calling student code: guarded, quiet, recorded, and replayed identically."""
import json

import numpy as np
import pytest

from grader.engine.submission import LiveSubmission, ReplayedSubmission, decode_record, encode_record


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
    assert "raised ZeroDivisionError: division by zero" in student.boom(np.ones(1)).problem
    assert student.loops(np.ones(1)).problem == "timed out: no answer within 0.5 s"
    assert "raised SystemExit" in student.exits(np.ones(1)).problem
    assert student.absent(np.ones(1)).problem == "`absent` is not defined in the notebook"


def test_results_are_plain_arrays_even_when_the_returned_object_lies():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    student = live(liar=lambda x: np.zeros(3).view(Liar), text=lambda x: "0.5", none=lambda x: None,
                   listy=lambda x: [0.5, 0.25])
    assert type(student.liar(np.ones(3)).value) is np.ndarray
    assert "not numbers" in student.text(np.ones(1)).problem
    assert "returned None" in student.none(np.ones(1)).problem
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
    assert replay.g(x).problem == failed.problem
    assert "no answer was recorded" in replay.f(x).problem            # a third call was never made
    assert "no answer was recorded" in replay.f(x + 1).problem        # nor one with other inputs


def test_decoding_refuses_anything_but_numeric_arrays():
    import base64
    import io
    buf = io.BytesIO()
    np.save(buf, np.array(["a"]), allow_pickle=False)
    bad = {"version": 1, "outcomes": {"k": {"api": "f", "value": base64.b64encode(buf.getvalue()).decode()}}}
    with pytest.raises(ValueError):
        decode_record(bad)
    buf = io.BytesIO()
    np.save(buf, np.array([object()], dtype=object), allow_pickle=True)
    bad["outcomes"]["k"]["value"] = base64.b64encode(buf.getvalue()).decode()
    with pytest.raises(ValueError):
        decode_record(bad)
    with pytest.raises(ValueError):
        decode_record({"version": 2})
    assert encode_record({}) == {"version": 1, "outcomes": {}}


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
