"""Benchmark (issue 9): how fast the kit grades a class, next to plain nbgrader.

    .venv/bin/python bench/autograde.py --students 6 [--modes floor,serial,jobs2] [--jobs 2]
                                        [--assignments activations,losses] [--out DIR]

Builds a synthetic cohort (students cycle through correct, buggy and hostile; their code comes
from demo/cohort/ and tests/hostile/), then grades the same notebooks up to three ways:
- floor: plain `nbgrader autograde` (default preprocessors and kernel, no sandbox, no grader)
  of the same notebooks whose test cells hold only a trivial hidden assert: what any
  nbgrader course pays for kernels and notebooks;
- serial: `python -m grader autograde A --jobs 1` in the kit's course;
- jobs2: `python -m grader autograde A --jobs K` in a fresh copy of the kit's course.
It prints seconds per submission and ratios to the floor side by side, and checks every grade:
exit status 1 if a kit mode lost, failed or misgraded a submission.
"""
import argparse
import ast
import contextlib
import json
import os
import re
import shutil
import sys
import tempfile
import time

import nbformat

from grader.exercises import ASSIGNMENTS
from grader.instructor.cohort import EXPECTED_FILE, build_submissions, expected_scores, expected_table, helper_code
from grader.instructor.demo import REPO, DemoError, fresh_folder, make_course, run_module, scores
from grader.grading.cells import graded_test_cells, nbgrader_meta

KINDS = ("correct", "buggy", "hostile")
DEMO = os.path.join(REPO, "demo", "cohort")
CORRECT = [os.path.join(DEMO, s) for s in ("ada", "ben", "gus")]
BUGGY = [os.path.join(DEMO, s) for s in ("dee", "eli", "cy", "fay")]
# Hand-written hostile submissions, kernel deaths first so that small cohorts have one. Not
# `looper` (endless loops: time limits would dominate the timings; tests/test_hostile.py covers
# them) nor `reader` (unsandboxed in the floor it hunts through every process's files).
HOSTILE = [os.path.join(REPO, "tests", "hostile", s) for s in
           ("exiter", "flood", "patcher", "liar", "editor", "raiser", "segv", "syntax", "torcher")]
# Assignments without hand-written hostile files get a correct solution with hostile extras.
DERIVED = ("noisy", "exiter", "patcher", "snooper", "liar")

# Hostile extras. Every API function (and optimizer step) is wrapped by _hostile, whose _hook
# sees each result; the answers stay right, so the kit must still give full marks.
WRAPPER = '''
import functools
import glob
import sys

import numpy as np


def _hostile(api):
    if isinstance(api, type):
        api.step = _hostile(api.step)
        return api

    @functools.wraps(api)
    def call(*args, **kwargs):
        return _hook(api(*args, **kwargs))
    return call
'''
EXTRAS = {
    "noisy": '''
def _hook(result):
    print(("debug " * 15 + "\\n") * 200)
    print("warning: still debugging", file=sys.stderr)
    return result
''',
    "patcher": '''
np.allclose = lambda *args, **kwargs: True
np.array_equal = lambda *args, **kwargs: True
np.testing.assert_allclose = lambda *args, **kwargs: None
np.testing.assert_array_equal = lambda *args, **kwargs: None


def _hook(result):
    return result
''',
    "snooper": '''
def _hook(result):
    for path in ["../../gradebook.db", "../../../gradebook.db"] + glob.glob("../../../source/*/*.ipynb"):
        try:
            with open(path, "rb") as f:
                f.read()
        except OSError:
            pass
    return result
''',
    "liar": '''
class _Liar(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(self), bool)

    def __ne__(self, other):
        return np.zeros(np.shape(self), bool)


def _hook(result):
    if isinstance(result, (tuple, list)):   # several answers (mlp's gradients): each one lies
        return type(result)(_hook(r) for r in result)
    return result if result is None else np.asarray(result).view(_Liar)
''',
}

# The floor's course: plain nbgrader, and test cells that only check the name exists.
FLOOR_CONFIG = '''"""Plain nbgrader (the bench's floor): default preprocessors and kernel, no sandbox."""
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "dl-course"
c.CourseDirectory.root = "."
'''
TRIVIAL_TEST = "### BEGIN HIDDEN TESTS\nassert callable({name})\n### END HIDDEN TESTS"

MODES = ("floor", "serial", "jobs2")
TARGETS = {"serial": 0.6, "jobs2": 0.25}   # issue 17: at most this many times the floor
PHASES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "phases")   # its sitecustomize
PHASES = ("start-up", "kernel start", "notebook cells", "answering", "judging", "kernel stop")
ONCE = ("front-end warm-up", "worker warm-up", "sandbox start")   # per command, before submissions
CLASS = 1000                                             # --class: students, with the three notebooks
CLASS_ASSIGNMENTS = ("activations", "losses", "optimizers")
CLASS_TARGET_MINUTES = 15


# ---------------------------------------------------------------- the cohort and the courses

def student_code(index, assignment):
    """(kind, origin, code, expected) of student number `index` (from 0) in `assignment`: kinds
    cycle correct, buggy, hostile; within a kind, students cycle through its sources. `expected`
    is the student's entry for the cohort's expected-scores table (cells that lose points)."""
    kind, n = KINDS[index % 3], index // 3
    written = [d for d in {"correct": CORRECT, "buggy": BUGGY, "hostile": HOSTILE}[kind]
               if os.path.isfile(os.path.join(d, f"{assignment}.py"))]
    cells = {f"test_{name}" for name in ASSIGNMENTS[assignment]}
    if written:
        folder = written[n % len(written)]
        path = os.path.join(folder, f"{assignment}.py")
        listed = expected_table(os.path.dirname(folder)).get(os.path.basename(folder), {})
        with open(path) as f:
            return (kind, os.path.relpath(path, REPO), f.read(),
                    {g: points for g, points in listed.items() if g in cells})
    base = os.path.join(CORRECT[n % len(CORRECT)], f"{assignment}.py")
    extra = DERIVED[n % len(DERIVED)]
    return (kind, f"{extra} + {os.path.relpath(base, REPO)}", *derived_hostile(extra, base, assignment))


def derived_hostile(extra, base, assignment):
    """A correct cohort file `base` turned hostile: the `extra` wraps every API definition,
    or (`exiter`) the last solution cell ends the kernel. Returns the code and its expected-
    scores entry (full marks, but for the exiter's last cell)."""
    with open(base) as f:
        source = f.read()
    names = list(ASSIGNMENTS[assignment])
    settings, expected = {}, {}
    lines = source.splitlines()
    if extra == "exiter":
        # The last API name's cell comes last in each notebook: everything before it is graded.
        settings["CELL_SOURCE"] = {names[-1]: "import os\nos._exit(3)"}
        expected[f"test_{names[-1]}"] = 0
        prelude = ""
    else:
        prelude = WRAPPER.strip() + "\n\n\n" + EXTRAS[extra].strip() + "\n\n\n"
        for node in reversed(ast.parse(source).body):
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in names:
                start = min([node.lineno] + [d.lineno for d in node.decorator_list])
                lines.insert(start - 1, "@_hostile")
    body = "\n\n\n".join(code for _, code in helper_code("\n".join(lines)))   # without base's settings
    return (f"# hostile ({extra}), derived from {os.path.relpath(base, REPO)}\n"
            + "".join(f"{k} = {v!r}\n" for k, v in settings.items()) + "\n\n" + prelude + body + "\n",
            expected)


def write_cohort(cohort, students, assignments):
    """Write cohort/<student>/<assignment>.py and the cohort's expected-scores table; returns
    {student: kind} and {(student, a): origin}."""
    kinds, origins, table = {}, {}, {}
    for i in range(students):
        student = f"s{i + 1:03d}"
        os.makedirs(os.path.join(cohort, student))
        for assignment in assignments:
            kinds[student], origins[student, assignment], code, expected = student_code(i, assignment)
            table.setdefault(student, {}).update(expected)
            with open(os.path.join(cohort, student, f"{assignment}.py"), "w") as f:
                f.write(code)
    with open(os.path.join(cohort, EXPECTED_FILE), "w") as f:
        f.write(f"# The scores the kit must award (bench/autograde.py): cells not listed get full marks\n"
                f"# if the student's file defines the name, else 0.\nEXPECTED_SCORES = {table!r}\n")
    return kinds, origins


def make_floor(root, assignments):
    """Turn a copy of the kit's course into the floor: plain config, trivial test cells, no
    grader import anywhere but in students' own code."""
    with open(os.path.join(root, "nbgrader_config.py"), "w") as f:
        f.write(FLOOR_CONFIG)
    for assignment in assignments:
        path = os.path.join(root, "source", assignment, f"{assignment}.ipynb")
        nb = nbformat.read(path, as_version=4)
        for grade_id, cell in graded_test_cells(nb).items():
            cell.source = TRIVIAL_TEST.format(name=grade_id.removeprefix("test_"))
        for cell in nb.cells:
            if cell.cell_type == "code" and not nbgrader_meta(cell).get("solution"):
                cell.source = "\n".join(line for line in cell.source.splitlines()
                                        if not re.match(r"\s*(from|import)\s+grader\b", line))
                if "grader" in cell.source:
                    raise RuntimeError(f"{assignment}: the floor would still use the grader:\n{cell.source}")
        nbformat.write(nb, path)


def build(out, students, assignments, modes=MODES):
    """The cohort (out/cohort) and its submissions in two courses: out/kit and (if graded)
    out/floor. Returns {student: kind} and {(student, assignment): where the code came from}."""
    kinds, origins = write_cohort(os.path.join(out, "cohort"), students, assignments)
    for course in ("kit", "floor") if "floor" in modes else ("kit",):
        root = os.path.join(out, course)
        make_course(root)
        if course == "floor":
            make_floor(root, assignments)
        for assignment in assignments:
            run_module(root, "nbgrader", "generate_assignment", assignment, "--force")
            build_submissions(root, os.path.join(out, "cohort"), assignment)
    return kinds, origins


# ---------------------------------------------------------------- grading and checking

def command(mode, assignment, jobs):
    if mode == "floor":
        return "nbgrader", "autograde", assignment
    return "grader", "autograde", assignment, "--jobs", "1" if mode == "serial" else str(jobs)


def grade(out, mode, assignments, jobs):
    """Grade every assignment in this mode's own course; returns (root, {assignment: seconds},
    {assignment: the command's exit status}, {assignment: the machine's busy CPU seconds})."""
    root = os.path.join(out, mode)
    if mode != "floor":   # each kit mode grades a fresh copy: all of it, from scratch
        shutil.copytree(os.path.join(out, "kit"), root)
    seconds, status, cpu = {}, {}, {}
    with phases_logged(os.path.join(out, f"phases-{mode}.jsonl")):
        for assignment in assignments:
            start, busy = time.monotonic(), machine_busy()
            proc = run_module(root, *command(mode, assignment, jobs), check=False)
            seconds[assignment] = time.monotonic() - start
            cpu[assignment] = machine_busy() - busy
            status[assignment] = proc.returncode
    return root, seconds, status, cpu


def machine_busy() -> float:
    """CPU seconds all the machine's cores have spent busy since boot (/proc/stat: user, nice,
    system, irq and softirq time; not idle, I/O wait or time stolen by a hypervisor). Measured
    around a command, it counts everything the command ran (its workers, bubblewrap, the
    sandboxed kernels, which no rusage of the command sees until they are reaped) and whatever
    else ran meanwhile."""
    with open("/proc/stat") as f:
        user, nice, system, _idle, _iowait, irq, softirq = map(int, f.readline().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def phases_logged(path):
    """The commands run meanwhile log their phases to `path` (bench/phases/sitecustomize.py)."""
    saved = {k: os.environ.get(k) for k in ("GRADER_BENCH_PHASES", "PYTHONPATH")}
    os.environ["GRADER_BENCH_PHASES"] = path
    os.environ["PYTHONPATH"] = os.pathsep.join(p for p in (PHASES_DIR, saved["PYTHONPATH"]) if p)
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def phase_totals(path):
    """{phase: seconds summed over every process}, and the number of commands, from a phases log;
    `nbgrader and the rest` is what each submission spent outside the measured phases."""
    totals = dict.fromkeys(PHASES + ONCE + ("submission",), 0.0)
    commands = 0
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                entry = json.loads(line)
                totals[entry["phase"]] = totals.get(entry["phase"], 0.0) + entry["seconds"]
                commands += entry["phase"] == "start-up"
    inside = sum(totals[p] for p in PHASES if p != "start-up")
    totals["nbgrader and the rest"] = max(0.0, totals.pop("submission") - inside)
    return totals, commands


def check(root, out, assignments, kinds):
    """What the gradebook holds: {"graded", "missing", "errored", "wrong", "below_full": [..],
    "scores": {(student, a): {grade_id: score}}}. `wrong` differs from the cohort file's
    cohort's expected scores; `below_full` are correct students without full marks."""
    result = {k: [] for k in ("graded", "missing", "errored", "wrong", "below_full")}
    result["scores"] = {}
    for assignment in assignments:
        got = scores(root, assignment)
        expected_all = expected_scores(os.path.join(out, "cohort"), assignment)
        release = nbformat.read(os.path.join(root, "release", assignment, f"{assignment}.ipynb"), as_version=4)
        full = {g: cell.metadata.nbgrader["points"] for g, cell in graded_test_cells(release).items()}
        for student in kinds:
            key = (student, assignment)
            autograded = os.path.join(root, "autograded", student, assignment, f"{assignment}.ipynb")
            if student not in got:
                result["missing"].append(key)
                continue
            if not os.path.isfile(autograded) or None in got[student].values():
                result["errored"].append(key)
                continue
            result["graded"].append(key)
            result["scores"][key] = got[student]
            expected = expected_all.get(student)
            if expected is not None and not same(got[student], expected):
                result["wrong"].append(key)
            if kinds[student] == "correct" and not same(got[student], full):
                result["below_full"].append(key)
    return result


def same(a, b):
    return a.keys() == b.keys() and all(abs(a[k] - b[k]) < 1e-9 for k in a)


# ---------------------------------------------------------------- the report

def report(out, modes, timings, checks, assignments, submissions, jobs):
    """Print the side-by-side table and the correctness lines; returns the problems found."""
    label = {"floor": "floor (nbgrader)", "serial": "kit --jobs 1", "jobs2": f"kit --jobs {jobs}"}
    floor = sum(timings["floor"][1].values()) if "floor" in timings else None
    head = f"{'mode':18}" + "".join(f"{a:>13}" for a in assignments)
    print(f"\nseconds per mode and assignment ({submissions} submissions per mode)")
    print(head + f"{'total s':>10}{'s/sub':>8}{'x floor':>9}  target")
    for mode in modes:
        seconds = timings[mode][1]
        total = sum(seconds.values())
        ratio = f"{total / floor:9.2f}" if floor else f"{'-':>9}"
        target = ""
        if mode in TARGETS:
            verdict = "-" if not floor else ("met" if total / floor <= TARGETS[mode] else "MISSED")
            target = f"  <= {TARGETS[mode]}x: {verdict}"
        print(f"{label[mode]:18}" + "".join(f"{seconds[a]:13.1f}" for a in assignments)
              + f"{total:10.1f}{total / submissions:8.2f}" + ratio + target)
    print(f"\nwhere the kit's time goes (seconds per submission, summed over workers; kit modes)")
    names = PHASES[1:] + ("nbgrader and the rest",)
    print(f"{'mode':18}{'start-up/cmd':>13}" + "".join(f"{n:>{len(n) + 2}}" for n in names))
    for mode in modes:
        if mode == "floor":
            continue
        totals, commands = phase_totals(os.path.join(out, f"phases-{mode}.jsonl"))
        print(f"{label[mode]:18}{totals['start-up'] / max(commands, 1):13.2f}"
              + "".join(f"{totals[n] / submissions:{len(n) + 2}.3f}" for n in names))
    print(f"\nonce per command, before its first submission (seconds per command, summed over workers; "
          f"\nthe sandboxes start in the background of the front end's warm-up)")
    print(f"{'mode':18}" + "".join(f"{n:>{len(n) + 2}}" for n in ONCE))
    for mode in modes:
        if mode != "floor":
            totals, commands = phase_totals(os.path.join(out, f"phases-{mode}.jsonl"))
            print(f"{label[mode]:18}" + "".join(f"{totals[n] / max(commands, 1):{len(n) + 2}.2f}" for n in ONCE))
    cores = os.cpu_count() or 1
    print(f"\nthe machine's CPU while each mode ran (busy CPU seconds of all {cores} cores, whatever ran)")
    print(f"{'mode':18}{'CPU s':>9}{'CPU s/sub':>11}{'cores busy':>12}  CPU s/sub that {cores} cores give in the "
          "target's time")
    for mode in modes:
        cpu, wall = sum(timings[mode][3].values()), sum(timings[mode][1].values())
        limit = ""
        if mode in TARGETS and floor:   # more CPU than this per submission cannot meet the target
            limit = f"  {TARGETS[mode] * floor / submissions * cores:.2f}"
        print(f"{label[mode]:18}{cpu:9.1f}{cpu / submissions:11.2f}{cpu / wall:12.2f}" + limit)
    print("\ncorrectness (gradebook)")
    problems = []
    for mode in modes:
        c, status = checks[mode], timings[mode][2]
        line = (f"{label[mode]:18}graded {len(c['graded'])}/{submissions}, missing {len(c['missing'])}, "
                f"errored {len(c['errored'])}")
        if mode != "floor":
            line += (f", not the expected scores {len(c['wrong'])}, "
                     f"correct students below full marks {len(c['below_full'])}")
            problems += [(mode, what, key) for what in ("missing", "errored", "wrong", "below_full")
                         for key in c[what]]
        bad = {a: s for a, s in status.items() if s}
        print(line + (f", exit status {bad}" if bad else ""))
    if "serial" in checks and "jobs2" in checks:
        differ = [k for k in checks["serial"]["scores"]
                  if not same(checks["serial"]["scores"][k], checks["jobs2"]["scores"].get(k, {}))]
        print(f"{label['jobs2']} gives the serial scores: {'yes' if not differ else f'NO, for {differ}'}")
        problems += [("jobs2", "differs from serial", key) for key in differ]
    return problems


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=6, help="cohort size (default 6)")
    parser.add_argument("--modes", default=",".join(MODES), help="comma-separated: floor,serial,jobs2 (default all)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs of the jobs2 mode (default 2)")
    parser.add_argument("--assignments", default=",".join(ASSIGNMENTS), help="comma-separated (default all)")
    parser.add_argument("--out", help="folder for the courses, kept afterwards (default: a temporary "
                                      "folder, deleted); must be new, empty or made by an earlier bench")
    parser.add_argument("--class", dest="whole_class", action="store_true",
                        help=f"the whole-class run: {CLASS} students x {', '.join(CLASS_ASSIGNMENTS)}, "
                             "graded in the jobs2 mode only (overrides --students, --modes, --assignments)")
    args = parser.parse_args(argv)
    if args.whole_class:
        args.students, args.modes, args.assignments = CLASS, "jobs2", ",".join(CLASS_ASSIGNMENTS)
    modes = [m for m in MODES if m in args.modes.split(",")]
    assignments = args.assignments.split(",")
    unknown = (set(args.modes.split(",")) - set(MODES)) | (set(assignments) - set(ASSIGNMENTS))
    if unknown or args.students < 1 or args.jobs < 1:
        parser.error(f"unknown modes or assignments {sorted(unknown)}" if unknown else "--students and --jobs must be >= 1")
    if args.out:
        try:
            fresh_folder(os.path.abspath(args.out), made_by="bench/autograde.py")
        except (DemoError, OSError) as exc:
            parser.error(str(exc))
        return run(os.path.abspath(args.out), args.students, modes, assignments, args.jobs)
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as out:
        return run(out, args.students, modes, assignments, args.jobs)


def run(out, students, modes, assignments, jobs):
    start = time.monotonic()
    kinds, origins = build(out, students, assignments, modes)
    counts = ", ".join(f"{list(kinds.values()).count(k)} {k}" for k in KINDS)
    print(f"cohort: {students} students ({counts}) x {len(assignments)} assignments, built in "
          f"{time.monotonic() - start:.0f} s in {out}")
    timings, checks = {}, {}
    for mode in modes:
        timings[mode] = grade(out, mode, assignments, jobs)
        checks[mode] = check(timings[mode][0], out, assignments, kinds)
    problems = report(out, modes, timings, checks, assignments, students * len(assignments), jobs)
    if "jobs2" in modes:
        per = sum(timings["jobs2"][1].values()) / (students * len(assignments))
        minutes = per * CLASS * len(CLASS_ASSIGNMENTS) / 60
        print(f"\n{CLASS:,} students x {len(CLASS_ASSIGNMENTS)} notebooks at this rate (kit --jobs {jobs}): "
              f"{minutes:.1f} minutes (target {CLASS_TARGET_MINUTES})" + ("" if students >= CLASS else
              f", extrapolated from {students} students x {len(assignments)} notebooks, whose commands' "
              "one-time costs (see above) a class spreads over far more submissions: --class grades one"))
    for mode, what, (student, assignment) in problems:
        print(f"  {mode}: {what}: {student} {assignment} ({origins[student, assignment]}): "
              f"{checks[mode]['scores'].get((student, assignment))}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
