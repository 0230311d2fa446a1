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
and `mutated` names the params it updated in place; so does a trainer's (`grader.exercises.TRAINS`).
An API whose answer is several arrays (`grader.exercises.PARTS`) is asked for one part at a time:
`student.part("grad_b").linear_backward(x, W, g)`.
"""
import base64
import contextlib
import dataclasses
import enum
import io
import json
import os
import signal
import threading
import time
import traceback
import warnings

import numpy as np

from grader.engine.bank import call_key
from grader.engine.driver import AnswerLayoutError, play, same_bits

RECORD_MIME = "application/vnd.dl-grader.record+json"
RECORD_VERSION = 2               # 2: outcomes carry their problem's kind and exception type
MAX_VALUE_ELEMENTS = 1_000_000   # a recorded answer larger than this is refused as too big
MAX_TEXT = 2000                  # characters of error text kept per call
_GRADER_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # the grader package


class Problem(enum.Enum):
    """Why a call gave no usable answer: the fact other modules test. The words for people are
    in `Outcome.problem`, and may change freely."""

    RAISED = "raised"                   # the call raised (Outcome.error names the exception type)
    TIMED_OUT = "timed_out"             # no answer within the call's own time limit
    BUDGET_USED_UP = "budget_used_up"   # not run: earlier calls used up the cell's time budget
    NOT_DEFINED = "not_defined"         # the notebook does not define the name
    RETURNED_NONE = "returned_none"
    NOT_AN_ARRAY = "not_an_array"       # numpy cannot make an array of what it returned (or of
                                        # the part asked for: several arrays not laid out as PARTS)
    NOT_NUMBERS = "not_numbers"         # an array, but of strings or objects
    TOO_BIG = "too_big"                 # more than MAX_VALUE_ELEMENTS numbers
    NOT_RECORDED = "not_recorded"       # replay: the record holds no answer for this call


@dataclasses.dataclass
class Outcome:
    """What one call of student code produced."""

    api: str
    args: tuple = ()
    kwargs: dict = dataclasses.field(default_factory=dict)
    value: object = None          # np.ndarray, or None when there is no usable result
    problem: str = ""             # why there is no usable result, in words (exception, None, ...)
    warnings: tuple = ()          # "RuntimeWarning: overflow encountered in exp", ...
    printed: int = 0              # characters the call printed (captured, not shown)
    mutated: tuple = ()           # names of array arguments the call modified in place
                                  # (for a stateful API or a trainer: the params it updated in place)
    seconds: float = 0.0
    part: str = ""                # which part of the answer `value` is (grader.exercises.PARTS)
    kind: Problem | None = None   # why there is no usable result, as a fact (None: there is one)
    error: str = ""               # the exception's type name when kind is Problem.RAISED

    def __post_init__(self):
        if (self.kind is None) != (not self.problem):
            raise ValueError("an Outcome has a problem kind exactly when it has a problem text")

    @classmethod
    def failed(cls, api: str, kind: Problem, problem: str, error: str = "", **fields) -> "Outcome":
        """The outcome of a call that gave no usable answer."""
        return cls(api, kind=kind, problem=problem, error=error, **fields)

    @property
    def ok(self) -> bool:
        return self.value is not None and self.kind is None

    @property
    def timed_out(self) -> bool:
        """Whether the call got no answer for lack of time (its own limit, or the cell's budget)."""
        return self.kind in (Problem.TIMED_OUT, Problem.BUDGET_USED_UP)


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

    def __init__(self, record: dict):
        self.record = record      # key -> Outcome (without args)
        self._seen = {}

    def __getattr__(self, api):
        if api.startswith("_"):
            raise AttributeError(api)
        return lambda *args, **kwargs: self.call(api, args, kwargs)

    def part(self, name: str) -> "_Part":
        """`student.part("grad_b").linear_backward(...)`: that part of the answer (PARTS)."""
        return _Part(self, name)

    def call(self, api: str, args: tuple, kwargs: dict, part: str = "") -> Outcome:
        base = call_key(api, args, kwargs, part)
        n = self._seen.get(base, 0)
        self._seen[base] = n + 1
        outcome = self._answer(f"{base}#{n}", api, args, kwargs, part)
        return dataclasses.replace(outcome, args=args, kwargs=kwargs, part=part)


class _Part:
    def __init__(self, submission, name):
        self._submission, self._name = submission, name

    def __getattr__(self, api):
        if api.startswith("_"):
            raise AttributeError(api)
        return lambda *args, **kwargs: self._submission.call(api, args, kwargs, self._name)


class LiveSubmission(_Submission):
    """Calls the student's objects found in `namespace` (the notebook's globals), recording
    every outcome."""

    def __init__(self, namespace: dict, time_limit: float | None = 2.0, budget: float = 60.0):
        super().__init__({})
        self.namespace = namespace
        self.time_limit = time_limit   # CPU seconds per call (None: no limit)
        # The cell's budget is CPU time of this process too, so a busy machine (another grader
        # on the other core) cannot turn a right but slow answer into a lost point. A far
        # wall-clock backstop still ends a cell whose calls sleep instead of computing.
        self.cpu_deadline = time.process_time() + budget
        self.wall_deadline = time.monotonic() + WALL_BACKSTOP * budget

    def _answer(self, key, api, args, kwargs, part=""):
        fn = self.namespace.get(api)
        if fn is None:
            outcome = Outcome.failed(api, Problem.NOT_DEFINED, f"`{api}` is not defined in the notebook")
        elif time.process_time() > self.cpu_deadline or time.monotonic() > self.wall_deadline:
            outcome = Outcome.failed(api, Problem.BUDGET_USED_UP, "not run: the time budget for this "
                                                                  "cell was used up by earlier calls")
        else:
            outcome = _guarded_call(api, fn, args, kwargs, self.time_limit, part)
        self.record[key] = outcome
        return outcome

    def answer(self, calls) -> None:
        """Make the planned calls (grader.engine.plan.PlannedCall), recording each answer under
        the key the plan gives it."""
        for call in calls:
            self._answer(call.key, call.api, call.args, call.kwargs, call.part)

    def encode(self) -> dict:
        return encode_record(self.record)


class ReplayedSubmission(_Submission):
    """Answers calls from a record made by a LiveSubmission (see `decode_record`)."""

    def _answer(self, key, api, args, kwargs, part=""):
        outcome = self.record.get(key)
        if outcome is None or outcome.api != api:
            outcome = Outcome.failed(api, Problem.NOT_RECORDED, "no answer was recorded for this call "
                                     "(the notebook stopped, or the test cell was changed, before it ran)")
        return outcome


# --- calling student code safely -------------------------------------------------------

# Wall-clock limits are only a far backstop (this many times the CPU limit): they end code that
# sleeps or waits instead of computing, and never decide a race with a busy machine.
WALL_BACKSTOP = 10.0


@contextlib.contextmanager
def _time_limit(cpu_seconds: float | None):
    """Stop the code inside after `cpu_seconds` of this process's CPU time (ITIMER_PROF), or
    after WALL_BACKSTOP times that in wall-clock time (ITIMER_REAL), whichever comes first.
    Raises ProbeTimeout naming the clock. Only possible on the main thread (where notebook code
    runs); elsewhere no limit applies."""
    if cpu_seconds is None or threading.current_thread() is not threading.main_thread():
        yield
        return

    def on_cpu(signum, frame):
        raise ProbeTimeout(f"no answer within {cpu_seconds:g} s of CPU time")

    def on_wall(signum, frame):
        raise ProbeTimeout(f"no answer within {WALL_BACKSTOP * cpu_seconds:g} s (the call was waiting, "
                           "not computing)")

    previous = signal.signal(signal.SIGPROF, on_cpu), signal.signal(signal.SIGALRM, on_wall)
    signal.setitimer(signal.ITIMER_PROF, cpu_seconds)
    signal.setitimer(signal.ITIMER_REAL, WALL_BACKSTOP * cpu_seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_PROF, 0)
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGPROF, previous[0])
        signal.signal(signal.SIGALRM, previous[1])


def copies(value: object) -> object:
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


def _guarded_call(api, fn, args, kwargs, time_limit, part=""):
    call_args, call_kwargs = copies(args), copies(kwargs)
    printed = io.StringIO()
    start = time.monotonic()
    result, problem, in_place = None, None, None   # problem: (kind, words, exception type)
    # numpy's default error state and print options for the call: a notebook's own
    # np.seterr(all="raise") or np.set_printoptions must not turn a right answer into an error.
    with warnings.catch_warnings(record=True) as caught, _numpy_defaults(), \
            contextlib.redirect_stdout(printed), contextlib.redirect_stderr(printed):
        warnings.simplefilter("always")
        try:
            with _time_limit(time_limit):
                result, in_place = play(api, fn, call_args, call_kwargs, part)
        except ProbeTimeout as exc:
            problem = Problem.TIMED_OUT, f"timed out: {exc}", ""
        except AnswerLayoutError as exc:
            problem = Problem.NOT_AN_ARRAY, str(exc), ""
        except KeyboardInterrupt:
            raise  # the notebook-level time limit: let nbgrader stop the cell
        except BaseException as exc:  # SystemExit too: a student's exit() is just an error here
            problem = Problem.RAISED, _describe_exception(exc), type(exc).__name__
        value = None
        if problem is None:
            value, problem = _to_array(result)
    seconds = time.monotonic() - start
    names = _arg_names(args, kwargs)
    mutated = in_place if in_place is not None else tuple(
        n for n, before, after in zip(names, list(args) + list(kwargs.values()),
                                      list(call_args) + list(call_kwargs.values()))
        if not _same(before, after))
    kind, words, error = problem or (None, "", "")
    return Outcome(api, value=value, problem=words, kind=kind, error=error,
                   warnings=tuple(_describe_warning(w) for w in caught),
                   printed=len(printed.getvalue()), mutated=mutated, seconds=seconds)


# numpy's defaults, fixed (np.geterr() and np.get_printoptions() of a fresh interpreter): student
# calls run with them, and reports are printed with them.
NUMPY_ERRSTATE = dict(divide="warn", over="warn", under="ignore", invalid="warn")
NUMPY_PRINT_OPTIONS = dict(precision=8, threshold=1000, edgeitems=3, linewidth=75, suppress=False,
                           nanstr="nan", infstr="inf", sign="-", floatmode="maxprec", legacy=False)


@contextlib.contextmanager
def _numpy_defaults():
    """Run with numpy's default error state and print options; the caller's come back after."""
    with np.errstate(**NUMPY_ERRSTATE), np.printoptions(**NUMPY_PRINT_OPTIONS):
        yield


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
    """A plain numpy copy of what the student returned and None, or None and the problem
    (kind, words, "").

    np.asarray turns ndarray subclasses into plain arrays, so a returned object's own
    `__eq__` or `__array_ufunc__` never takes part in a comparison.
    """
    if result is None:
        return None, (Problem.RETURNED_NONE, "returned None (is the function finished? it needs a `return`)", "")
    try:
        arr = np.array(np.asarray(result), copy=True)
    except BaseException as exc:
        return None, (Problem.NOT_AN_ARRAY, f"returned a {type(result).__name__}, which is not convertible "
                                            f"to an array ({type(exc).__name__})", "")
    if arr.dtype.kind not in "biuf":
        return None, (Problem.NOT_NUMBERS, f"returned a {type(result).__name__} of dtype {arr.dtype}, not numbers", "")
    if arr.size > MAX_VALUE_ELEMENTS:
        return None, (Problem.TOO_BIG, f"returned {arr.size} numbers; far more than expected", "")
    return arr, None


# --- the record: how answers travel from the kernel to the trusted grader --------------

def encode_record(record: dict) -> dict:
    """JSON-able form of {key: Outcome}; arrays as base64 .npy (no pickles)."""
    out = {}
    for key, o in record.items():
        entry = {"api": o.api, "problem": o.problem, "kind": o.kind and o.kind.value, "error": o.error,
                 "warnings": list(o.warnings), "printed": o.printed, "mutated": list(o.mutated),
                 "seconds": o.seconds}
        if o.value is not None:
            buf = io.BytesIO()
            np.save(buf, o.value, allow_pickle=False)
            entry["value"] = base64.b64encode(buf.getvalue()).decode()
        out[key] = entry
    return {"version": RECORD_VERSION, "outcomes": out}


# Caps on a record, which is untrusted input: the student's code can display anything with the
# record's MIME type. Far above what the suites record (a whole notebook's record is well under
# 1 MB), far below what would hurt the grader.
MAX_RECORD_CHARS = 32_000_000     # base64 characters of all values together
MAX_OUTCOMES = 20_000             # calls in one record
MAX_LIST = 100                    # warnings or mutated names per call


def decode_record(payload: object) -> dict:
    """{key: Outcome} from an encoded record. Strict: anything malformed, of the wrong type or
    over a cap raises ValueError, before anything big is allocated. Only this version's records
    are read: a record lives from the kernel's cell to the trusted grader of the same run, so
    there are no old ones to keep reading."""
    if isinstance(payload, str):
        if len(payload) > MAX_RECORD_CHARS + 1_000_000:
            raise ValueError("record too large")
        try:
            payload = json.loads(payload)
        except RecursionError as exc:   # JSON nested deeper than Python's recursion limit
            raise ValueError("record nested too deep") from exc
    if not isinstance(payload, dict) or payload.get("version") != RECORD_VERSION:
        raise ValueError("not a grader record of this kit's version")
    outcomes = payload.get("outcomes")
    if not isinstance(outcomes, dict) or len(outcomes) > MAX_OUTCOMES:
        raise ValueError("record has no readable outcomes")
    budget = [MAX_RECORD_CHARS]
    record = {}
    for key, e in outcomes.items():
        if not isinstance(e, dict):
            raise ValueError("record entry is not an object")
        value = _decode_value(e.get("value"), budget)
        kind = _field(e, "kind", (str, type(None)), None)
        record[str(key)] = Outcome(
            api=_field(e, "api", str), value=value, problem=_field(e, "problem", str, "")[:MAX_TEXT],
            kind=None if kind is None else Problem(kind), error=_field(e, "error", str, "")[:200],
            warnings=tuple(w[:MAX_TEXT] for w in _strings(e, "warnings")),
            printed=_field(e, "printed", int, 0), mutated=tuple(m[:MAX_TEXT] for m in _strings(e, "mutated")),
            seconds=float(_field(e, "seconds", (int, float), 0.0)))
    return record


def _field(entry, name, types, default=None):
    value = entry.get(name, default)
    if not isinstance(value, types) or isinstance(value, bool) and types is int:
        raise ValueError(f"record field {name!r} has the wrong type")
    return value


def _strings(entry, name):
    items = entry.get(name, [])
    if not isinstance(items, list) or len(items) > MAX_LIST or not all(isinstance(i, str) for i in items):
        raise ValueError(f"record field {name!r} is not a short list of strings")
    return items


def _decode_value(text, budget):
    """A recorded answer: base64 of a .npy file holding a numeric array. The .npy header is
    checked (dtype, element count, data length) before any array is made, so a header that
    claims 10**12 elements costs nothing."""
    if text is None:
        return None
    if not isinstance(text, str) or len(text) > budget[0]:
        raise ValueError("record value too large or not text")
    budget[0] -= len(text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (ValueError, TypeError) as exc:
        raise ValueError("record value is not base64") from exc
    buf = io.BytesIO(raw)
    try:
        version = np.lib.format.read_magic(buf)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f".npy version {version}")
        shape, fortran, dtype = read_header(buf)
    except Exception as exc:   # numpy raises ValueError, SyntaxError, ... for a bad header
        raise ValueError("record value is not a .npy array") from exc
    if dtype.kind not in "biuf" or dtype.hasobject or not all(isinstance(n, int) and n >= 0 for n in shape):
        raise ValueError("record holds a value that is not a numeric array")
    count = 1
    for n in shape:
        count *= n
    if count > MAX_VALUE_ELEMENTS:
        raise ValueError("record holds a value that is too large")
    data = raw[buf.tell():]
    if len(data) != count * dtype.itemsize:
        raise ValueError("record value's data does not match its header")
    return np.frombuffer(data, dtype=dtype).reshape(shape, order="F" if fortran else "C").copy()
