"""The bank of references equals live torch, bit for bit, and covers every check."""
import numpy as np
import pytest

from grader.engine import bank
from grader.exercises import ASSIGNMENTS
from grader.instructor.bank import build


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_bank_matches_live_torch_exactly(assignment):
    stored = bank.load_bank(assignment)
    live = build(assignment)     # runs the suite against torch itself, with live torch
    assert stored.keys() == live.keys(), "bank is stale: run `python -m grader bank`"
    for key, value in live.items():
        assert stored[key].dtype == value.dtype and np.array_equal(stored[key], value, equal_nan=True), key


def test_call_keys_distinguish_dtype_shape_values_and_options():
    x = np.arange(6.0).reshape(2, 3)
    keys = {bank.call_key("softmax", (x,)), bank.call_key("softmax", (x.astype(np.float32),)),
            bank.call_key("softmax", (x.reshape(3, 2),)), bank.call_key("softmax", (x + 1,)),
            bank.call_key("softmax", (x, 0)), bank.call_key("log_softmax", (x,)),
            bank.call_key("softmax", (x,), {"axis": 0})}
    assert len(keys) == 7
    assert bank.call_key("softmax", (x,)) == bank.call_key("softmax", (x.copy(),))


def test_a_miss_is_computed_with_torch_and_remembered():
    from grader import reference
    refs = bank.References(values={}, compute=reference.answer)
    x = np.array([0.0, 1000.0])
    assert refs.softmax(x).tolist() == [0.0, 1.0]
    assert list(refs.misses) == [bank.call_key("softmax", (x,))]


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
