"""Run by test_portability.py in a subprocess, under one CPU dispatch setting; prints JSON.

    python portability_probe.py public SOLUTIONS.json   # every public check, torch refused
    python portability_probe.py bank                    # the shipped bank against live torch

`public` is a students' environment: torch cannot be imported (the grading kernel's import
hook refuses it), and every public check of every assignment runs against the instructor's
solution ({assignment: solution code} in SOLUTIONS.json) with the shipped bank.
"""
import ctypes
import glob
import json
import os
import sys

import numpy as np


def cpu():
    """What this process really runs on: numpy's enabled CPU features, OpenBLAS's core, torch's."""
    try:
        from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    except ImportError:   # numpy < 2
        from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
    levels = __cpu_baseline__[-1:] + [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    info = {"numpy": sorted(k for k, on in __cpu_features__.items() if on),
            "numpy level": levels[-1] if levels else "baseline", "openblas": None, "torch": None}
    for path in glob.glob(os.path.join(os.path.dirname(np.__file__) + ".libs", "libscipy_openblas*")):
        corename = getattr(ctypes.CDLL(path), "scipy_openblas_get_corename64_", None)
        if corename is not None:
            corename.restype = ctypes.c_char_p
            info["openblas"] = corename().decode()
    if "torch" in sys.modules:
        info["torch"] = sys.modules["torch"].backends.cpu.get_cpu_capability()
    return info


def public(solutions_file):
    from grader.grading.kernel import RefuseReferenceLibraries
    sys.meta_path.insert(0, RefuseReferenceLibraries())

    from grader.engine.bank import References
    from grader.engine.runner import judge
    from grader.engine.submission import LiveSubmission
    from grader.exercises import ASSIGNMENTS

    with open(solutions_file) as f:
        solutions = json.load(f)
    out = {}
    for assignment, code in solutions.items():
        namespace = {}
        exec(code, namespace)
        ref = References.for_assignment(assignment)
        results = judge({name: LiveSubmission(namespace) for name in ASSIGNMENTS[assignment]}, ref,
                        public_only=True)
        out[assignment] = {
            "points": {api: [r.score, r.max_score] for api, r in results.items()},
            "cases": sum(c.cases for r in results.values() for c in r.checks),
            "unchecked": [f"{c.name}[{case}]" for r in results.values() for c in r.checks for case, _ in c.unchecked],
            "reports": "\n".join(r.report() for r in results.values()),
            "misses": sorted(ref.misses),
            "secret plan": _plan_digest(assignment)}
    out["torch importable"] = _importable("torch")
    return out


def _plan_digest(assignment):
    """The SHA-256 of a student's plan file (their secret inputs): the same on every CPU."""
    import hashlib
    import tempfile

    from grader.engine.inputs import Inputs
    from grader.engine.plan import make_plan, write_plan
    from grader.exercises import ASSIGNMENTS
    plan = make_plan(Inputs.secret(b"portability" * 3, "ada", assignment), list(ASSIGNMENTS[assignment]))
    with tempfile.TemporaryDirectory() as tmp:
        write_plan(os.path.join(tmp, "plan.npz"), assignment, plan)
        with open(os.path.join(tmp, "plan.npz"), "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()


def _importable(name):
    try:
        __import__(name)
        return True
    except ImportError:
        return False


def bank():
    from grader.exercises import ASSIGNMENTS
    from grader.instructor.bank import verify
    out = {}
    for assignment in ASSIGNMENTS:
        verdict = verify(assignment)
        out[assignment] = {"references": verdict.references, "misses": verdict.misses,
                           "unused": verdict.unused, "worst": list(verdict.worst), "text": verdict.text()}
    return out


if __name__ == "__main__":
    result = public(sys.argv[2]) if sys.argv[1] == "public" else bank()
    print(json.dumps({"cpu": cpu(), "result": result}))
