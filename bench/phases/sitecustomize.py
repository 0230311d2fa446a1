"""Where each grading command's time goes: loaded by the bench (bench/autograde.py puts this
folder on PYTHONPATH of the commands it times; nothing of the kit imports it).

When GRADER_BENCH_PHASES names a file, each process appends one JSON line per measured span,
`{"pid", "phase", "seconds"}`, by wrapping, as their modules are imported:
- `kernel start`: nbclient starting the kernel and waiting until it answers;
- `kernel stop`: nbclient shutting it down and cleaning up after it;
- `notebook cells`: executing the cells that are not graded test cells;
- `answering`: executing the graded test cells (the student's functions called, answers recorded);
- `judging`: ScoreFromRecords, the trusted side scoring the recorded answers;
- `submission`: one `grade_submission` of `python -m grader autograde`, start to end (the rest of
  it, after the phases above, is nbgrader's own work: copying, reading, writing, the gradebook);
- `start-up`: from the process's start until `python -m grader autograde` begins its work
  (the interpreter and the command's imports);
- once per command or worker, before the first submission: `front-end warm-up` (what the
  workers need, loaded and first used before they fork), `worker warm-up` (each worker taking
  its sandbox) and `sandbox start` (a warm sandbox's template imports: started ahead, in the
  background of the front end's warm-up, or inside a kernel start when none was).
"""
import functools
import importlib.abc
import importlib.util
import json
import os
import sys
import time

LOG = os.environ.get("GRADER_BENCH_PHASES")


def process_started() -> float:
    """This process's start on the time.monotonic() clock (both count from boot on Linux)."""
    with open("/proc/self/stat") as f:
        ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    return ticks / os.sysconf("SC_CLK_TCK")


def record(phase: str, seconds: float) -> None:
    line = json.dumps({"pid": os.getpid(), "phase": phase, "seconds": round(seconds, 6)}) + "\n"
    fd = os.open(LOG, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)   # one write: lines stay whole
    try:
        os.write(fd, line.encode())
    finally:
        os.close(fd)


def timed(phase, function, which=None):
    """`function` wrapped to record its duration as `phase` (or as which(*args) if given)."""
    import inspect

    if inspect.iscoroutinefunction(function):
        async def wrapper(*args, **kwargs):
            start = time.monotonic()
            try:
                return await function(*args, **kwargs)
            finally:
                record(which(*args) if which else phase, time.monotonic() - start)
    else:
        def wrapper(*args, **kwargs):
            start = time.monotonic()
            try:
                return function(*args, **kwargs)
            finally:
                record(which(*args) if which else phase, time.monotonic() - start)
    return functools.wraps(function)(wrapper)   # its name too: the pool pickles functions by name


def _cell_phase(self, cell, resources, index):
    meta = cell.get("metadata", {}).get("nbgrader", {})
    graded_test = cell.get("cell_type") == "code" and meta.get("grade") and str(meta.get("grade_id", "")).startswith("test_")
    return "answering" if graded_test else "notebook cells"


def patch_nbclient(module):
    client = module.NotebookClient   # the synchronous wrappers are what nbconvert's Execute calls
    client.start_new_kernel = timed("kernel start", client.start_new_kernel)
    client.start_new_kernel_client = timed("kernel start", client.start_new_kernel_client)
    client._cleanup_kernel = timed("kernel stop", client._cleanup_kernel)


def patch_pipeline(module):
    execute = module.ExecuteSurvivingDeath
    execute.preprocess_cell = timed("", execute.preprocess_cell, _cell_phase)
    module.ScoreFromRecords.preprocess = timed("judging", module.ScoreFromRecords.preprocess)


def patch_autograde(module):
    module.grade_submission = timed("submission", module.grade_submission)
    module.warm_up = timed("front-end warm-up", module.warm_up)
    module.warm_up_worker = timed("worker warm-up", module.warm_up_worker)
    main = module.main

    def timed_main(args):
        record("start-up", time.monotonic() - process_started())
        return main(args)
    module.main = timed_main


def patch_warm(module):
    module.WarmSandbox.__init__ = timed("sandbox start", module.WarmSandbox.__init__)


PATCHES = {"nbclient.client": patch_nbclient, "grader.grading.pipeline": patch_pipeline,
           "grader.instructor.autograde": patch_autograde, "grader.grading.warm": patch_warm}


class PatchOnImport(importlib.abc.MetaPathFinder):
    """Apply PATCHES[name] to module `name` right after it is first executed."""

    def find_spec(self, name, path, target=None):
        if name not in PATCHES:
            return None
        sys.meta_path.remove(self)
        try:
            spec = importlib.util.find_spec(name)
        finally:
            sys.meta_path.insert(0, self)
        if spec is None or spec.loader is None:
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            PATCHES[name](module)
        spec.loader.exec_module = exec_module
        return spec


if LOG:
    sys.meta_path.insert(0, PatchOnImport())
