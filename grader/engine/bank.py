"""A bank of torch references, computed once and shipped, so grading needs only numpy.

Every reference a check asks for is identified by `call_key(name, args, kwargs)`. The bank
for an assignment is `grader/bank/<assignment>.npz`, built by `python -m grader bank`, which
runs each suite against a perfect student with live torch and stores every reference asked
for. The kit's tests rebuild it with live torch and demand a bitwise match, so a stale bank
cannot go unnoticed. On a miss, `References` asks the `compute` it was given (on the trusted
side: torch, through `grader.reference.answer`; slow, but right) and remembers that it did.
The engine never imports torch itself: it runs in the student's kernel, where torch is absent.
"""
import hashlib
import os

import numpy as np

# The public bank ships as package data beside the engine: grader/bank/<assignment>.npz.
BANK_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bank")


def call_key(name, args=(), kwargs=None):
    """A short digest that identifies a call by its function name and exact arguments."""
    h = hashlib.sha256(name.encode())
    _feed(h, tuple(args))
    _feed(h, dict(kwargs or {}))
    return h.hexdigest()[:24]


def _feed(h, value):
    if isinstance(value, np.ndarray) or isinstance(value, np.generic):
        a = np.asarray(value)
        h.update(b"A" + a.dtype.str.encode() + repr(a.shape).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    elif isinstance(value, (list, tuple)):
        h.update(b"L%d(" % len(value))
        for item in value:
            _feed(h, item)
        h.update(b")")
    elif isinstance(value, dict):
        h.update(b"D%d(" % len(value))
        for k in sorted(value):
            h.update(repr(k).encode() + b"=")
            _feed(h, value[k])
        h.update(b")")
    elif value is None or isinstance(value, (bool, int, float, str)):
        h.update(b"S" + type(value).__name__.encode() + repr(value).encode())
    else:
        raise TypeError(f"cannot key an argument of type {type(value).__name__}")


def bank_path(assignment):
    return os.path.join(BANK_DIR, f"{assignment}.npz")


def load_bank(assignment):
    """{key: array} for an assignment; empty if no bank has been built yet."""
    path = bank_path(assignment)
    if not os.path.exists(path):
        return {}
    with np.load(path, allow_pickle=False) as npz:
        return {k: npz[k] for k in npz.files}


def save_bank(assignment, values):
    os.makedirs(BANK_DIR, exist_ok=True)
    # Sorted keys and no compression timestamps: the same references give the same file.
    np.savez(bank_path(assignment), **dict(sorted(values.items())))


class MissingReference(LookupError):
    """The bank lacks a reference and there is nothing here (no torch) to compute it."""


class References:
    """The `ref` a check sees: `ref.softmax(x, axis=0)` returns torch's answer as numpy.

    Values come from the bank; a miss is answered by `compute(name, args, kwargs)` (torch's
    answer, e.g. `grader.reference.answer`) and kept in `misses`, or raises MissingReference
    when there is no `compute`. With `live=True` every value is computed (to build and verify
    the bank).
    """

    def __init__(self, values=None, live=False, compute=None):
        self.values = {} if values is None else values
        self.live = live
        self.compute = compute
        self.misses = {}   # key -> value computed with torch because the bank lacked it
        self.asked = {}    # key -> value, every reference served (used to build the bank)

    @classmethod
    def for_assignment(cls, assignment, compute=None):
        return cls(load_bank(assignment), compute=compute)

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._get(name, args, kwargs)

    def _get(self, name, args, kwargs):
        key = call_key(name, args, kwargs)
        if not self.live and key in self.values:
            value = self.values[key]
        else:
            if self.compute is None:
                raise MissingReference(f"no stored reference for this `{name}` case, and no torch "
                                       "here to compute it")
            value = np.asarray(self.compute(name, args, kwargs))
            if not self.live:
                self.misses[key] = value
        self.asked[key] = value
        return value.copy()
