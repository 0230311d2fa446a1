"""A bank of torch references, computed once and shipped, so grading needs only numpy.

A reference is identified by what it is for: the check, its case and the call within the
case, e.g. `test_softmax_values[float64[5]] softmax#0` (`case_key`), never by the bits of
the inputs. Each is stored with the digest of the call it answers (`call_key`: the API and
its exact arguments), and is served only for that very call: a case whose inputs changed
since the bank was built is a miss, like a case the bank lacks, never a wrong reference. The
suites make their inputs with exactly rounded operations from integer streams
(grader.suites, "portable inputs"), so inputs and digests are the same on every CPU.

The bank for an assignment is `grader/bank/<assignment>.npz`, built by `python -m grader
bank`, which runs each suite against a perfect student with live torch and stores every
reference asked for; `python -m grader bank --check` and the kit's tests rebuild it and
report misses and any value more than a few ULPs from live torch.

On a miss `References` asks the `compute` it was given for torch's answer and notes the miss in
`misses`. The engine never imports torch itself: the trusted side hands in `compute`
(grader.reference.answer, imported only on a miss). Without one (the student's kernel, where
torch is absent or refused) a miss raises `ReferenceUnavailable`: the runner reports that case
as not checked, which costs no point. On the trusted grading side (`trusted=True`) a reference
can never be skipped: a miss that cannot be computed is an error.
"""
import dataclasses
import hashlib
import os
from collections.abc import Callable

import numpy as np

# The public bank ships as package data beside the engine: grader/bank/<assignment>.npz.
BANK_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bank")
_DIGESTS = "__digests__"   # the npz entry holding [[key, digest], ...]


def call_key(name: str, args: tuple = (), kwargs: dict | None = None, part: str = "") -> str:
    """A short digest that identifies a call by its function name and exact arguments (and
    the part of the answer asked for, grader.exercises.PARTS)."""
    h = hashlib.sha256((f"{name}.{part}" if part else name).encode())
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


def case_key(check: str, case: str, api: str, n: int = 0) -> str:
    """The bank's name for the `n`-th reference to `api` asked for by one case of a check."""
    return f"{check}[{case}] {api}#{n}" if case else f"{check} {api}#{n}"


@dataclasses.dataclass(frozen=True)
class Reference:
    digest: str          # call_key of the call it answers
    value: np.ndarray


def bank_path(assignment: str) -> str:
    return os.path.join(BANK_DIR, f"{assignment}.npz")


def load_bank(assignment: str, path: str | None = None) -> dict:
    """{case key: Reference} for an assignment; empty if no bank has been built yet."""
    path = path or bank_path(assignment)
    if not os.path.exists(path):
        return {}
    with np.load(path, allow_pickle=False) as npz:
        return {str(key): Reference(str(digest), npz[key]) for key, digest in npz[_DIGESTS]}


def save_bank(assignment: str, bank: dict, path: str | None = None) -> None:
    path = path or bank_path(assignment)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    keys = sorted(bank)   # sorted: the same references give the same entries in the same order
    digests = np.array([[k, bank[k].digest] for k in keys], dtype=str).reshape(-1, 2)
    np.savez(path, **{_DIGESTS: digests}, **{k: bank[k].value for k in keys})


class ReferenceUnavailable(Exception):
    """No reference for a case here, and no torch to compute it: the case is not checked (it
    costs no point). The message says why, for the student's report."""


class References:
    """Torch's answers for the checks: `ref.case(check, case)` is the `ref` one case sees,
    and `ref.softmax(x, axis=0)` there returns torch's answer as numpy.

    Values come from `bank`; a miss is answered by `compute(api, args, kwargs)` (torch's
    answer: grader.reference.answer) and noted in `misses` (key -> why). With `live=True` every
    value is computed (to build and verify the bank), and `misses` still says which the bank
    could not have served. Without a bank (`bank=None`: the secret inputs of one student, which
    no bank can hold) every value is computed and nothing is a miss. `asked` holds every
    reference served, as the bank would store it; a call asked for again is served from there.
    """

    def __init__(self, bank: dict | None = None, live: bool = False, trusted: bool = False,
                 compute: Callable | None = None):
        self.bank = bank
        self.live = live or bank is None
        self.trusted = trusted   # the grading side: a reference may not be skipped
        self.compute = compute   # (api, args, kwargs) -> torch's answer; None in the student's kernel
        self.misses = {}         # case key -> why the bank could not serve it
        self.asked = {}          # case key -> Reference

    @classmethod
    def for_assignment(cls, assignment: str, trusted: bool = False, compute: Callable | None = None) -> "References":
        return cls(load_bank(assignment), trusted=trusted, compute=compute)

    def case(self, check: str, case: str) -> "CaseReferences":
        return CaseReferences(self, check, case)

    def get(self, key: str, api: str, args: tuple, kwargs: dict, part: str = "") -> np.ndarray:
        digest = call_key(api, args, kwargs, part)
        known = self.asked.get(key)
        if known is not None and known.digest == digest:
            return known.value.copy()
        if self.bank is not None:
            stored = self.bank.get(key)
            if stored is None:
                self.misses[key] = "the reference bank has no reference for this case (it is older than the checks)"
            elif stored.digest != digest:
                self.misses[key] = "the reference bank's reference for this case was made for other inputs"
        if key in self.misses or self.live:
            value = self._compute(key, api, args, kwargs, part)
        else:
            value = stored.value
        self.asked[key] = Reference(digest, value)
        return value.copy()

    def _compute(self, key, api, args, kwargs, part):
        if self.compute is None:
            if self.trusted or self.live:
                raise RuntimeError(f"{self.misses.get(key, key)}, and no torch was given to compute it")
            raise ReferenceUnavailable(f"{self.misses[key]}, and torch is not available here to compute "
                                       "it; the grader checks it after you submit")
        # `compute(api, args, kwargs, part)` (grader.reference.answer) plays the call as the
        # student's code is played; the part is passed only when one is asked for
        return np.asarray(self.compute(api, args, kwargs, part) if part else self.compute(api, args, kwargs))


class CaseReferences:
    """The `ref` of one case of a check: `ref.softmax(x)` asks the References for the case's
    next reference to softmax (calls are numbered, so a case may ask twice)."""

    def __init__(self, references, check, case, part=""):
        self._references, self._check, self._case, self._part = references, check, case, part
        self._calls = {}

    def part(self, name):
        """`ref.part("grad_b").linear_backward(...)`: torch's answer's part `name` (PARTS)."""
        view = CaseReferences(self._references, self._check, self._case, name)
        view._calls = self._calls   # one numbering of the case's calls
        return view

    def __getattr__(self, api):
        if api.startswith("_"):
            raise AttributeError(api)

        def reference(*args, **kwargs):
            n = self._calls.get(api, 0)
            self._calls[api] = n + 1
            return self._references.get(case_key(self._check, self._case, api, n), api, args, kwargs,
                                        self._part)
        return reference
