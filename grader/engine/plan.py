"""A student's call plan: every call the checks will make, with that student's inputs.

While autograding, the trusted side (grader.grading.pipeline.WritePlan) runs the checks once
against a `PlanningSubmission`, which answers nothing and notes each call (API, arguments,
and its record key), with the student's secret inputs (grader.engine.inputs). The plan goes
into the submission's own folder as PLAN_FILE; in the grading kernel, `grade(name)` reads it
and calls the student's code on exactly those calls (no pytest, no suite, no reference runs
there), recording each answer under the plan's key. The trusted side then judges the record
against the same checks with the same inputs (ScoreFromRecords): their keys are the keys the
plan gave, so a record made for other inputs (another student's, or forged at home) answers
none of them.

The file holds the calls and nothing else: no reference, no secret, no other student's
inputs. It is an .npz read with allow_pickle=False: a JSON description of the calls, and one
byte buffer holding every array.
"""
import dataclasses
import functools
import io
import json
import os

import numpy as np

from grader.engine.compare import recording_only
from grader.engine.runner import judge
from grader.engine.submission import Outcome, Problem, _Submission, copies

PLAN_FILE = ".grader-plan.npz"
_VERSION = 1
MAX_PLAN_BYTES = 64_000_000   # far above any suite's plan (well under 1 MB), far below harm


@dataclasses.dataclass(frozen=True)
class PlannedCall:
    key: str          # the record key the judge will look the answer up by
    api: str
    args: tuple
    kwargs: dict
    part: str = ""    # the part of the answer asked for (grader.exercises.PARTS), if any


class PlanningSubmission(_Submission):
    """A student that answers nothing and notes every call the checks make."""

    def __init__(self):
        super().__init__({})
        self.calls = []

    def _answer(self, key, api, args, kwargs, part=""):
        self.calls.append(PlannedCall(key, api, copies(tuple(args)), copies(dict(kwargs)), part))
        return Outcome.failed(api, Problem.NOT_RECORDED, "planned, not run")


class _NoReferences:
    """The `ref` while planning: references are not needed, so none are computed."""

    def case(self, check, case):
        return self

    def part(self, name):
        return self

    def __getattr__(self, name):
        return lambda *args, **kwargs: np.zeros(())


def make_plan(inputs, apis) -> dict:
    """{api: [PlannedCall]}: the calls the checks of `apis` (one assignment's) make with
    `inputs`, in the order they make them."""
    planner = PlanningSubmission()
    with recording_only():
        judge({api: planner for api in apis}, _NoReferences(), inputs=inputs)
    plan = {api: [] for api in apis}
    for call in planner.calls:
        plan[call.api].append(call)
    return plan


# --- the file ---------------------------------------------------------------------------

def write_plan(path: str, assignment: str, plan: dict) -> None:
    blob, arrays = bytearray(), []

    def encode(value):
        if isinstance(value, np.generic):
            return {"scalar": encode(np.asarray(value))["array"]}
        if isinstance(value, np.ndarray):
            a = np.array(value, order="C")   # (np.ascontiguousarray makes 0-d arrays 1-d)
            arrays.append([a.dtype.str, list(a.shape), len(blob), a.nbytes])
            blob.extend(a.tobytes())
            return {"array": len(arrays) - 1}
        if isinstance(value, list):
            return {"list": [encode(v) for v in value]}
        if isinstance(value, tuple):
            return {"tuple": [encode(v) for v in value]}
        if isinstance(value, dict):
            return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
        if value is None or isinstance(value, (bool, int, float, str)):
            return {"value": value}
        raise TypeError(f"a planned call cannot carry a {type(value).__name__}")

    calls = {api: [[c.key, encode(c.args), encode(c.kwargs), c.part] for c in planned]
             for api, planned in plan.items()}
    text = json.dumps({"version": _VERSION, "assignment": assignment, "arrays": arrays, "calls": calls})
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        np.savez(f, plan=np.frombuffer(text.encode(), dtype=np.uint8), data=np.frombuffer(bytes(blob), dtype=np.uint8))
    os.replace(tmp, path)


class PlanError(ValueError):
    """The plan file is missing or unreadable."""


def read_plan(path: str, api: str | None = None) -> tuple:
    """(assignment, {api: [PlannedCall]}) from a plan file; with `api`, only that API's calls are
    decoded (a test cell needs its own: decoding the others cost 2-7 ms per cell). Strict:
    anything unexpected raises PlanError (the kernel's code may have changed the file; that only
    costs its own answers)."""
    try:
        with open(path, "rb") as f:
            raw = f.read(MAX_PLAN_BYTES + 1)
        if len(raw) > MAX_PLAN_BYTES:
            raise PlanError("the grading plan is too large")
        payload, data = _parse(raw)
    except PlanError:
        raise
    except (OSError, ValueError, KeyError, RecursionError) as exc:
        raise PlanError(f"no readable grading plan ({type(exc).__name__})") from None
    try:
        if payload["version"] != _VERSION:
            raise PlanError("a grading plan of another version")
        specs = payload["arrays"]   # made into arrays when a decoded call uses them (one API's: a few)

        def decode(node):
            (tag, value), = node.items()
            if tag == "array":
                return _array(data, *specs[value]).copy()
            if tag == "scalar":
                return _array(data, *specs[value])[()]
            if tag == "list":
                return [decode(v) for v in value]
            if tag == "tuple":
                return tuple(decode(v) for v in value)
            if tag == "dict":
                return {decode(k): decode(v) for k, v in value}
            if tag == "value" and (value is None or isinstance(value, (bool, int, float, str))):
                return value
            raise PlanError(f"unknown entry {tag!r} in the grading plan")

        calls = {str(name): [PlannedCall(str(key), str(name), decode(args), decode(kwargs), str(part))
                            for key, args, kwargs, part in planned]
                 for name, planned in payload["calls"].items() if api is None or name == api}
        return str(payload["assignment"]), calls
    except PlanError:
        raise
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, RecursionError) as exc:
        raise PlanError(f"an unreadable grading plan ({type(exc).__name__})") from None


@functools.lru_cache(maxsize=1)
def _parse(raw: bytes) -> tuple:
    """A plan file's JSON, parsed, and its array data, kept for the next read of the same bytes
    (a notebook's test cells all read one plan: parsing it cost 1-3 ms each time)."""
    with np.load(io.BytesIO(raw), allow_pickle=False) as npz:
        text, data = npz["plan"].tobytes().decode(), npz["data"].tobytes()
    return json.loads(text), data


def _array(data, dtype, shape, offset, nbytes):
    dtype = np.dtype(dtype)
    if dtype.kind not in "biuf" or dtype.hasobject:
        raise PlanError("a grading plan holding a value that is not a numeric array")
    count = int(np.prod(shape, dtype=np.int64)) if shape else 1
    if count * dtype.itemsize != nbytes or offset < 0 or offset + nbytes > len(data):
        raise PlanError("a grading plan whose arrays do not match its data")
    return np.frombuffer(data, dtype=dtype, count=count, offset=offset).reshape(tuple(shape))
