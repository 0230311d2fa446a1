"""The comparison engine: torch's tolerances, and reports that say what differs and where."""
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from grader.engine.compare import Mismatch, assert_close, assert_untouched, differences, show, tolerance
from grader.engine.submission import Outcome, Problem


def outcome(value, *args, api="softmax", **fields):
    return Outcome(api, args=args, value=None if value is None else np.asarray(value), **fields)


finite = arrays(np.float64, array_shapes(max_dims=3, max_side=5),
                elements=st.floats(-1e6, 1e6, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(finite)
def test_an_answer_equal_to_torch_or_within_tolerance_passes(x):
    rtol, atol = tolerance(np.float64)
    assert_close(outcome(x, x), x)
    assert_close(outcome(x + 0.5 * (atol + rtol * np.abs(x)), x), x)


@settings(max_examples=60, deadline=None)
@given(finite, st.data())
def test_a_difference_beyond_tolerance_is_reported_at_its_index(x, data):
    index = data.draw(st.tuples(*[st.integers(0, n - 1) for n in x.shape]))
    got = x.copy()
    got[index] += 1 + 1e-6 * abs(x[index])
    with pytest.raises(Mismatch) as err:
        assert_close(outcome(got, x), x)
    text = str(err.value)
    assert f"Mismatched elements: 1 / {x.size}" in text
    shown = f"({index[0]},)" if len(index) == 1 else str(index)
    assert f"at index {shown}" in text


def test_float32_reference_uses_float32_tolerance_and_accepts_float64_answers():
    x = np.array([0.1, 0.2, 0.7], np.float32)
    assert_close(outcome(x.astype(np.float64) + 5e-6, x), x)      # within atol 1e-5
    with pytest.raises(Mismatch):
        assert_close(outcome(x.astype(np.float64) + 5e-6, x), x.astype(np.float64))


def test_nan_matches_nan_and_infinities_match_by_sign():
    want = np.array([np.nan, np.inf, -np.inf, 1.0])
    assert_close(outcome(want.copy(), want), want)
    with pytest.raises(Mismatch, match=r"got \+inf at 1 position\(s\), first at index \(2,\)"):
        assert_close(outcome([np.nan, np.inf, np.inf, 1.0], want), want)


def test_unexpected_nan_is_located_with_torchs_value():
    want = np.array([[0.26894142, 0.73105858]])
    with pytest.raises(Mismatch) as err:
        assert_close(outcome([[0.26894142, np.nan]], np.array([[1000.0, 1001.0]])), want)
    assert "got NaN at 1 position(s), first at index (0, 1) where torch has 0.731059" in str(err.value)
    assert "input x: float64 array of shape (1, 2) [[1000., 1001.]]" in str(err.value)


def test_shape_dtype_and_missing_answers_are_explained():
    want = np.zeros((3, 4))
    with pytest.raises(Mismatch, match=r"shape: expected \(3, 4\), got \(4, 3\)"):
        assert_close(outcome(np.zeros((4, 3))), want)
    with pytest.raises(Mismatch, match="dtype: expected floating point numbers like float64, got int64"):
        assert_close(outcome(np.zeros((3, 4), np.int64)), want)
    with pytest.raises(Mismatch, match="raised ValueError: boom"):
        assert_close(outcome(None, problem="raised ValueError: boom", kind=Problem.RAISED, error="ValueError"), want)


def test_the_call_is_written_as_a_student_would_write_it():
    with pytest.raises(Mismatch, match=r"^softmax\(x, axis=0\) differs from torch:"):
        assert_close(outcome([1.0, 0.0], np.array([1.0, 2.0]), 0), np.array([0.5, 0.5]))


def test_in_place_modification_is_a_contract_failure_with_a_named_mistake():
    assert_untouched(outcome([1.0], np.array([1.0])))
    with pytest.raises(Mismatch) as err:
        assert_untouched(outcome([1.0], np.array([1.0]), mutated=("arg0",)))
    assert "\nLikely mistake: an in-place update of the input" in str(err.value)


def test_differences_is_empty_for_equal_arrays_and_show_is_compact():
    assert differences(np.ones(3), np.ones(3), 1e-7, 1e-7) == ""
    assert show(np.arange(100.0)).startswith("float64 array of shape (100,) [0., 1., 2., 3., 4., 5., ...]")
    assert show(np.float32(2.5)) == "float32 scalar 2.5"


def test_reports_ignore_the_notebooks_print_options():
    values = np.array([1e-45, 0.5, 123456.789])
    default = show(values)
    with np.printoptions(precision=4, suppress=True, sign="+"):   # as a notebook might set
        assert show(values) == default
    assert "1.00000000e-45" in default


def test_a_reduced_loss_is_reported_as_a_call_with_its_options_and_no_indices():
    args = (np.array([[1000.0, 0.0]]), np.array([1]), None, "sum")
    with pytest.raises(Mismatch) as err:
        assert_close(outcome(np.inf, *args, api="cross_entropy"), np.array(1000.0))
    text = str(err.value)
    assert text.startswith("cross_entropy(logits, targets, weight=None, reduction='sum') differs from torch:")
    assert "got +inf where torch has 1000" in text
    assert "input targets: int64 array of shape (1,) [1]" in text
    with pytest.raises(Mismatch) as err:
        assert_close(outcome(1001.0, *args, api="cross_entropy"), np.array(1000.0))
    assert "Greatest absolute difference: 1 (up to 1e-07 allowed)" in str(err.value)
    assert "index" not in str(err.value)
