"""One bank for every CPU, proved on one machine: the public self-checks (in a students'
environment, without torch) and the bank's verification against live torch run in
subprocesses under several SIMD levels of numpy (`NPY_DISABLE_CPU_FEATURES`), OpenBLAS
(`OPENBLAS_CORETYPE`) and torch (`ATEN_CPU_CAPABILITY`), as on older or other CPUs.

Every level must build the checks' inputs bit for bit as the bank's builder did (else the bank
misses), pass the instructor's solution with full marks and nothing left unchecked, and get
torch answers within MAX_ULPS of the stored ones. Each run records what it really ran on, and
the test asserts that the features it switched off were off. ~25 s for four levels.
"""
import json
import os
import subprocess
import sys

import pytest

from grader.exercises import ASSIGNMENTS
from grader.instructor.bank import MAX_ULPS
from grader.instructor.demo import REPO
from grader.instructor.notebook import solution_code
from tests.browser import artifact
from tests.helpers import source_notebook

# Subprocesses with a fresh numpy and torch at every level: the full suite's, not make test-fast's.
pytestmark = pytest.mark.slow

PROBE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "portability_probe.py")

try:
    from numpy._core._multiarray_umath import __cpu_dispatch__, __cpu_features__
except ImportError:   # numpy < 2
    from numpy.core._multiarray_umath import __cpu_dispatch__, __cpu_features__


def _levels():
    """(name, environment) for this machine's SIMD levels, from the best down. numpy's
    dispatch targets are switched off from the top (only those this CPU has: numpy refuses
    others); OpenBLAS and torch are pinned to a matching or lower level."""
    found = [f for f in __cpu_dispatch__ if __cpu_features__.get(f)]
    avx512 = [f for f in found if f.startswith("AVX512") or f == "X86_V4"]
    above_skx = [f for f in avx512 if f in ("AVX512_SPR", "AVX512_ICL", "AVX512_CNL", "AVX512_CLX")]
    avx2 = avx512 + [f for f in found if f in ("X86_V3", "AVX2", "FMA3", "F16C", "AVX")]
    has = __cpu_features__.get
    candidates = [
        ("native", [], {}),
        ("numpy-AVX512_SKX, OpenBLAS SkylakeX", above_skx, {"OPENBLAS_CORETYPE": "SkylakeX"}),
        ("numpy-AVX2, OpenBLAS Haswell, torch avx2", avx512,
         {"OPENBLAS_CORETYPE": "Haswell", "ATEN_CPU_CAPABILITY": "avx2"} if has("AVX2") else {}),
        ("numpy-baseline, OpenBLAS Sandybridge, torch default", avx2,
         {"OPENBLAS_CORETYPE": "Sandybridge" if has("AVX") else "Nehalem", "ATEN_CPU_CAPABILITY": "default"}),
    ]
    levels, seen = [], set()
    for name, off, env in candidates:
        if (name == "native" or off) and tuple(off) not in seen:
            seen.add(tuple(off))
            levels.append(pytest.param(off, env, id=name))
    return levels


LEVELS = _levels()


def probe(mode, off, env, *args):
    environ = dict(os.environ, **env)
    environ.pop("NPY_DISABLE_CPU_FEATURES", None)
    if off:
        environ["NPY_DISABLE_CPU_FEATURES"] = " ".join(off)
    proc = subprocess.run([sys.executable, PROBE, mode, *args], capture_output=True, text=True, env=environ,
                          cwd=REPO, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = json.loads(proc.stdout.splitlines()[-1])
    ran = out["cpu"]
    assert not set(off) & set(ran["numpy"]), f"numpy still runs {set(off) & set(ran['numpy'])}"
    if "OPENBLAS_CORETYPE" in env and ran["openblas"] is not None:
        assert ran["openblas"].lower() == env["OPENBLAS_CORETYPE"].lower(), ran
    if "ATEN_CPU_CAPABILITY" in env and ran["torch"] is not None:
        assert ran["torch"].lower() == env["ATEN_CPU_CAPABILITY"].lower(), ran
    return out


@pytest.fixture(scope="module")
def solutions(tmp_path_factory):
    path = tmp_path_factory.mktemp("solutions") / "solutions.json"
    path.write_text(json.dumps({a: "import numpy as np\n" + solution_code(source_notebook(a))
                                for a in ASSIGNMENTS}))
    return str(path)


PLANS = {}   # assignment -> the digest of a student's secret plan at the first level probed


@pytest.mark.parametrize("off, env", LEVELS)
def test_public_checks_give_the_solution_full_marks_without_torch(off, env, solutions):
    out = probe("public", off, env, solutions)
    result = out["result"]
    assert result.pop("torch importable") is False
    assert set(result) == set(ASSIGNMENTS)
    for assignment, r in result.items():
        # a student's secret inputs are the same bits at every level (a grader elsewhere agrees)
        assert PLANS.setdefault(assignment, r["secret plan"]) == r["secret plan"], assignment
        assert r["misses"] == [], f"{assignment}: the checks' inputs differ from the bank's here: {r['misses']}"
        assert r["unchecked"] == [] and "internal grader error" not in r["reports"], r["reports"]
        assert all(score == most for score, most in r["points"].values()), r["reports"]
        assert r["cases"] > 0


@pytest.mark.parametrize("off, env", LEVELS)
def test_bank_matches_live_torch(off, env, request):
    out = probe("bank", off, env)
    lines = [f"{request.node.callspec.id}: numpy {out['cpu']['numpy level']}, OpenBLAS {out['cpu']['openblas']}, "
             f"torch {out['cpu']['torch']}"]
    for assignment, r in out["result"].items():
        lines.append(r["text"])
        assert not r["misses"] and not r["unused"], r["text"]
        assert r["worst"][0] <= MAX_ULPS, r["text"]
    with open(artifact(f"bank-ulps-{request.node.callspec.id.split(',')[0]}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
