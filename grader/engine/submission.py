"""The student's code as the checks see it: `student.softmax(x, axis=0)` returns an Outcome.

Two kinds of student, one interface:
- `LiveSubmission` calls the student's functions (inside the notebook kernel) under a guard:
  the inputs are copies, warnings and prints are captured (nothing reaches stderr), a time
  limit applies, exceptions are caught, and the result is converted to a plain numpy array
  without trusting the returned object. Every call is recorded.
- `ReplayedSubmission` answers the same calls from such a record. The autograder judges a
  notebook by replaying its record in the trusted nbgrader process, so nothing the student's
  code does inside the kernel (monkeypatching numpy or the grader, lying `__eq__`) can change
  how the answers are compared or scored.

Calls are identified by `call_key` plus an occurrence count, so repeated identical calls
replay in order. A stateful API (a class, see `grader.exercises.STATEFUL`) is called with a run
description and played by `grader.engine.driver.drive`: its answer is the trajectory of the params,
and `mutated` names the params it updated in place.
"""
import base64
import contextlib
import dataclasses
import io
import json
import os
import signal
import threading
import time
import traceback
import warnings

import numpy as np

from grader.exercises import is_stateful
from grader.engine.bank import call_key
from grader.engine.driver import drive, same_bits

RECORD_MIME = "application/vnd.dl-grader.record+json"
MAX_VALUE_ELEMENTS = 1_000_000   # a recorded answer larger than this is refused as too big
MAX_TEXT = 2000                  # characters of error text kept per call
_GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the grader package


@dataclasses.dataclass
class Outcome:
    """What one call of student code produced."""

    api: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    value: object = None          # np.ndarray, or None when there is no usable result
    problem: str = ""             # why there is no usable result (exception, None, wrong type, ...)
    warnings: tuple = ()          # "RuntimeWarning: overflow encountered in exp", ...
    printed: int = 0              # characters the call printed (captured, not shown)
    mutated: tuple = ()           # names of array arguments the call modified in place
                                  # (for a stateful API: the params it updated in place)
    seconds: float = 0.0

    @property
    def ok(self):
        return self.value is not None and not self.problem


def timed_out(outcome):
    """Whether a call got no answer for lack of time (its own limit, or the cell's budget)."""
    return outcome.problem.startswith(("timed out:", "not run: the time budget"))


class ProbeTimeout(BaseException):
    """Raised inside student code when a call exceeds its time limit (BaseException so a
    student's `except Exception` cannot swallow it)."""


def _arg_names(args, kwargs):
    names = [f"arg{i}" for i in range(len(args))]
    return names + list(kwargs)


class _Submission:
    """`student.softmax(x, axis=0)` -> Outcome. Subclasses say where the answer comes from;
    here, repeated identical calls are numbered so that record and replay agree on which is
    which, and the Outcome is given the call's arguments."""

    def __init__(self, record):
        self.record = record      # key -> Outcome (without args)
        self._seen = {}

    def __getattr__(self, api):
        if api.startswith("_"):
            raise AttributeError(api)
        return lambda *args, **kwargs: self.call(api, args, kwargs)

    def call(self, api, args, kwargs):
        base = call_key(api, args, kwargs)
        n = self._seen.get(base, 0)
        self._seen[base] = n + 1
        outcome = self._answer(f"{base}#{n}", api, args, kwargs)
        return dataclasses.replace(outcome, args=args, kwargs=kwargs)


class LiveSubmission(_Submission):
    """Calls the student's objects found in `namespace` (the notebook's globals), recording
    every outcome."""

    def __init__(self, namespace, time_limit=2.0, budget=60.0):
        super().__init__({})
        self.namespace = namespace
        self.time_limit = time_limit
        self.deadline = time.monotonic() + budget

    def _answer(self, key, api, args, kwargs):
        fn = self.namespace.get(api)
        if fn is None:
            outcome = Outcome(api, problem=f"`{api}` is not defined in the notebook")
        elif time.monotonic() > self.deadline:
            outcome = Outcome(api, problem="not run: the time budget for this cell was used up "
                                           "by earlier calls")
        else:
            outcome = _guarded_call(api, fn, args, kwargs, self.time_limit, stateful=is_stateful(api))
        self.record[key] = outcome
        return outcome

    def encode(self):
        return encode_record(self.record)


class ReplayedSubmission(_Submission):
    """Answers calls from a record made by a LiveSubmission (see `decode_record`)."""

    def _answer(self, key, api, args, kwargs):
        outcome = self.record.get(key)
        if outcome is None or outcome.api != api:
            outcome = Outcome(api, problem="no answer was recorded for this call (the notebook "
                                           "stopped, or the test cell was changed, before it ran)")
        return outcome


# --- calling student code safely -------------------------------------------------------

@contextlib.contextmanager
def _time_limit(seconds):
    """SIGALRM-based limit; only possible on the main thread (where notebook code runs)."""
    if seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def _raise(signum, frame):
        raise ProbeTimeout()

    previous = signal.signal(signal.SIGALRM, _raise)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def copies(value):
    """The arguments of a call with every array copied (inside lists, tuples and dicts too), so
    code that modifies its inputs can neither hide it nor change the checks' own inputs."""
    if isinstance(value, dict):
        return {k: copies(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(copies(v) for v in value)
    return value.copy() if isinstance(value, np.ndarray) else value


def _same(a, b):
    if isinstance(a, np.ndarray):
        return same_bits(a, b)
    if isinstance(a, (list, tuple)):
        return type(b) is type(a) and len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return True


def _guarded_call(api, fn, args, kwargs, time_limit, stateful=False):
    call_args, call_kwargs = copies(args), copies(kwargs)
    printed = io.StringIO()
    start = time.monotonic()
    result, problem, in_place = None, "", ()
    with warnings.catch_warnings(record=True) as caught, \
            contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        warnings.simplefilter("always")
        try:
            with _time_limit(time_limit):
                if stateful:
                    result, in_place = drive(fn, *call_args, **call_kwargs)
                else:
                    result = fn(*call_args, **call_kwargs)
        except ProbeTimeout:
            problem = f"timed out: no answer within {time_limit:g} s"
        except KeyboardInterrupt:
            raise  # the notebook-level time limit: let nbgrader stop the cell
        except BaseException as exc:  # SystemExit too: a student's exit() is just an error here
            problem = _describe_exception(exc)
        value = None
        if not problem:
            value, problem = _to_array(result)
    seconds = time.monotonic() - start
    names = _arg_names(args, kwargs)
    mutated = in_place if stateful else tuple(
        n for n, before, after in zip(names, list(args) + list(kwargs.values()),
                                      list(call_args) + list(call_kwargs.values()))
        if not _same(before, after))
    return Outcome(api, value=value, problem=problem,
                   warnings=tuple(_describe_warning(w) for w in caught),
                   printed=len(printed.getvalue()), mutated=mutated, seconds=seconds)


def _describe_exception(exc):
    # Point at the last line of the student's own code; the grader's frames are noise.
    where = ""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if not os.path.abspath(frame.filename).startswith(_GRADER_DIR):
            where = f" (at line {frame.lineno}: {(frame.line or '').strip()})"
            break
    text = f"raised {type(exc).__name__}: {exc}{where}"
    return text[:MAX_TEXT]


def _describe_warning(w):
    return f"{w.category.__name__}: {w.message}"[:MAX_TEXT]


def _to_array(result):
    """A plain numpy copy of what the student returned, or a problem saying why not.

    np.asarray turns ndarray subclasses into plain arrays, so a returned object's own
    `__eq__` or `__array_ufunc__` never takes part in a comparison.
    """
    if result is None:
        return None, "returned None (is the function finished? it needs a `return`)"
    try:
        arr = np.array(np.asarray(result), copy=True)
    except BaseException as exc:
        return None, f"returned a {type(result).__name__}, which is not convertible to an array " \
                     f"({type(exc).__name__})"
    if arr.dtype.kind not in "biuf":
        return None, f"returned a {type(result).__name__} of dtype {arr.dtype}, not numbers"
    if arr.size > MAX_VALUE_ELEMENTS:
        return None, f"returned {arr.size} numbers; far more than expected"
    return arr, ""


# --- the record: how answers travel from the kernel to the trusted grader --------------

def encode_record(record):
    """JSON-able form of {key: Outcome}; arrays as base64 .npy (no pickles)."""
    out = {}
    for key, o in record.items():
        entry = {"api": o.api, "problem": o.problem, "warnings": list(o.warnings),
                 "printed": o.printed, "mutated": list(o.mutated), "seconds": o.seconds}
        if o.value is not None:
            buf = io.BytesIO()
            np.save(buf, o.value, allow_pickle=False)
            entry["value"] = base64.b64encode(buf.getvalue()).decode()
        out[key] = entry
    return {"version": 1, "outcomes": out}


def decode_record(payload):
    """{key: Outcome} from an encoded record. Strict: anything malformed raises ValueError."""
    if isinstance(payload, str):
        payload = json.loads(payload)
    if not isinstance(payload, dict) or payload.get("version") != 1:
        raise ValueError("not a grader record")
    record = {}
    for key, e in payload["outcomes"].items():
        value = None
        if e.get("value") is not None:
            value = np.load(io.BytesIO(base64.b64decode(e["value"])), allow_pickle=False)
            if value.dtype.kind not in "biuf" or value.size > MAX_VALUE_ELEMENTS:
                raise ValueError("record holds a value that is not a numeric array")
        record[str(key)] = Outcome(
            api=str(e["api"]), value=value, problem=str(e.get("problem", ""))[:MAX_TEXT],
            warnings=tuple(str(w)[:MAX_TEXT] for w in e.get("warnings", [])),
            printed=int(e.get("printed", 0)), mutated=tuple(str(m) for m in e.get("mutated", [])),
            seconds=float(e.get("seconds", 0.0)))
    return record
