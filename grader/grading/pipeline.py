"""nbgrader preprocessors that close plain nbgrader's holes, one job each, and the pipelines
that compose them (nbgrader_config.py installs these lists).

Plain nbgrader scores a test cell from its outputs in the student's kernel: any stderr zeroes
it, a student-added `skip-execution` tag skips it (full marks), and the kernel's code decides
what the outputs are. Here the score of every `test_<name>` cell comes from
`ScoreFromRecords`, which re-judges the answers the cell recorded, in this (trusted) process,
and replaces the cell's outputs with the report and the score. So stderr, skipped cells,
tampered graders and dead kernels all end in a score computed here, with a reason.
"""
import asyncio
import json
import os
import re
import time

import jsonschema
import nbformat
import nbgrader.nbgraderformat.common
import numpy as np
from jupyter_core.utils import run_sync
from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbgrader.api import Gradebook
from nbgrader.preprocessors import (
    AssignLatePenalties, CheckCellMetadata, ClearHiddenTests, ClearOutput, Execute,
    GetGrades, IgnorePattern, LimitOutput, NbGraderPreprocessor, OverwriteKernelspec,
    SaveAutoGrades)
from traitlets import Float, Integer, default

from grader.exercises import ASSIGNMENTS
from grader.engine.bank import References
from grader.engine.inputs import Inputs
from grader.engine.plan import PLAN_FILE, make_plan, write_plan
from grader.engine.runner import judge
from grader.engine.submission import RECORD_MIME, ReplayedSubmission, decode_record
from grader.grading.cells import (
    CELL_TIMED_OUT, KERNEL_DIED, LIMIT_EXCEEDED, NOT_RUN, is_graded_test_cell, nbgrader_meta)
from grader.grading import figures
from grader.grading.feedback import SafeOutputs
from grader.grading.sandbox import SandboxUnavailable
from grader.grading.sanitize import (
    CapCells, DeduplicateIdsSafely, NoteLeftOutFiles, OverwriteCellsFromGradebook, WriteNotes)
from grader.grading.secret import load_secret

# Tags that change how nbclient runs a cell; a student must not be able to set them.
EXECUTION_TAGS = {"skip-execution", "raises-exception"}


class NeutraliseTags(NbGraderPreprocessor):
    """Drop tags that change execution (`skip-execution`, `raises-exception`) from every cell."""

    def preprocess_cell(self, cell, resources, index):
        tags = cell.get("metadata", {}).get("tags")
        if tags:
            kept = [t for t in tags if t not in EXECUTION_TAGS]
            if len(kept) != len(tags):
                self.log.warning("Removed execution tags %s from cell %d", sorted(set(tags) - set(kept)), index)
            cell.metadata.tags = kept
        return cell, resources


def student_inputs(config, resources) -> Inputs:
    """The secret inputs of the student whose notebook is being graded (SecretError if the
    course has no secret: never public ones)."""
    nbgrader = resources["nbgrader"]
    return Inputs.secret(load_secret(config), nbgrader["student"], nbgrader["assignment"])


class WritePlan(NbGraderPreprocessor):
    """Before execution: write the student's call plan (every call the checks make, with this
    student's secret inputs; grader.engine.plan) beside the notebook, where the grading
    kernel's `grade()` reads it. It holds no reference and no secret."""

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        if assignment in ASSIGNMENTS:
            start = time.perf_counter()
            plan = make_plan(student_inputs(self.config, resources), list(ASSIGNMENTS[assignment]))
            write_plan(os.path.join(resources["metadata"]["path"], PLAN_FILE), assignment, plan)
            self.log.info("Wrote the grading plan (%d calls) in %.0f ms", sum(map(len, plan.values())),
                          1000 * (time.perf_counter() - start))
        return nb, resources


class RemovePlan(NbGraderPreprocessor):
    """After execution: remove the plan, so that autograded/ keeps nothing but the notebook."""

    def preprocess(self, nb, resources):
        try:
            os.remove(os.path.join(resources["metadata"]["path"], PLAN_FILE))
        except FileNotFoundError:
            pass
        return nb, resources


class ExecuteSurvivingDeath(Execute):
    """nbgrader's Execute, except that a kernel that dies (os._exit, segfault, out of memory),
    hangs (a timed-out cell whose code ignores the interrupt), goes over one of its limits
    (memory, processes, CPU time, file size, open files, /tmp: see grader.grading.limits) or
    runs past the notebook's time limit ends execution instead of dropping the submission or
    stalling the batch: the cell gets an error output that names the cause, later cells are
    marked not run, and grading goes on with what was recorded."""

    notebook_timeout = Integer(600, help="seconds for the whole notebook").tag(config=True)
    responsive_timeout = Integer(10, help="seconds a kernel has to answer after a cell timed "
                                          "out and was interrupted").tag(config=True)

    start_attempts = Integer(3, help="tries to start the kernel before giving up (a kernel that "
                                     "dies at start-up, e.g. on a machine short of memory)").tag(config=True)

    graded_cell_timeout = Integer(300, help="seconds of wall-clock time a graded test cell may take "
                                  "(other cells get `timeout`). Its grade() limits the student's code by "
                                  "CPU time (2 s per call, 60 s per cell) and ends itself, so on a busy "
                                  "machine the cell may need far longer than `timeout` in wall-clock time "
                                  "without doing anything wrong: this is only a backstop").tag(config=True)

    alive_poll_interval = Float(0.05, help="seconds between checks, while a cell runs, that the kernel "
                                "is still alive (nbclient checks every second: a kernel that dies at once "
                                "cost each such submission ~1 s of waiting)").tag(config=True)

    @default("timeout_func")
    def _graded_cells_wait_longer(self):
        # A test cell's source is the instructor's (restored from the gradebook), so the longer wait
        # is never given to code a student wrote into the cell; a grade decided by the wall clock
        # would depend on how busy the machine was (a student with 5 looping calls, 10 s of CPU,
        # lost points to nbclient's 60 s when four graders shared two cores).
        def timeout(cell):
            if self.timeout and self.timeout > 0 and is_graded_test_cell(cell):
                return max(self.timeout, self.graded_cell_timeout)
            return self.timeout
        return timeout

    async def _async_poll_kernel_alive(self) -> None:
        # nbclient's own loop, with its fixed 1 s sleep made alive_poll_interval. A check asks the
        # kernel manager (for a sandboxed kernel, one request to its sandbox: ~0.5 ms).
        while True:
            await asyncio.sleep(self.alive_poll_interval)
            try:
                await self._async_check_alive()
            except DeadKernelError:
                self.task_poll_for_reply.cancel()
                return

    def preprocess(self, nb, resources=None, km=None):
        for attempt in range(1, self.start_attempts + 1):
            self._stopped, self._started = None, False
            self._deadline = time.monotonic() + self.notebook_timeout
            try:
                return super().preprocess(nb, resources, km)
            except SandboxUnavailable:
                raise   # the same on every try; its message says what to do
            except RuntimeError as exc:   # "Kernel died before replying to kernel_info"
                if self._started or km is not None or attempt == self.start_attempts:
                    raise
                self.log.warning("The kernel did not start (%s); starting another (attempt %d)", exc, attempt + 1)

    def preprocess_cell(self, cell, resources, index):
        self._started = True
        if self._stopped is None and time.monotonic() > self._deadline:
            self._stopped = f"the notebook used up its {self.notebook_timeout} s time limit"
        if self._stopped is not None:
            if cell.cell_type == "code":
                cell.outputs = [_error_output(NOT_RUN, f"not run: {self._stopped}")]
            return cell, resources
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            # Whether the cell's execution count reached us before the kernel died is a race
            # (a kernel that dies at once may never send it): a cell that did not finish shows
            # none, so two gradings of one notebook give the same feedback.
            cell.execution_count = None
            hit = self._limit_reached(cell)
            if hit is not None:
                return self._over_limit(cell, resources, index, hit)
            self._stopped = f"the kernel died in cell {index}"
            self.log.error("Kernel died in cell %d", index)
            cell.outputs.append(_error_output(KERNEL_DIED, "the kernel died while running this cell "
                                              "(os._exit, a crash or running out of memory)"))
            return cell, resources
        except CellTimeoutError:  # nbclient gave up waiting for the kernel's output
            self._stopped = f"cell {index} timed out and the kernel stopped responding"
            self.log.error("Kernel unresponsive in cell %d", index)
            cell.outputs.append(_error_output(CELL_TIMED_OUT, "this cell did not finish in time and the "
                                              "kernel stopped responding"))
            return cell, resources
        hit = self._limit_reached(cell)
        if hit is not None:
            return self._over_limit(cell, resources, index, hit)
        timed_out = any(o.get("ename") == CELL_TIMED_OUT for o in cell.get("outputs", []))
        if timed_out and not self._responsive():
            self._stopped = f"cell {index} timed out and the kernel stopped responding"
            self.log.error("Kernel unresponsive after a timeout in cell %d", index)
        return cell, resources

    def _limit_reached(self, cell):
        """The limit the kernel went over in this cell (a sandboxed kernel's manager knows)."""
        limit_reached = getattr(self.km, "limit_reached", None)
        return limit_reached(cell.get("outputs", [])) if limit_reached else None

    def _over_limit(self, cell, resources, index, hit):
        """The kernel went over a limit: it is stopped, and no later cell runs."""
        self._stopped = f"the kernel {hit.reason()} in cell {index} and was stopped"
        self.log.error("Kernel over its %s limit in cell %d", hit.kind, index)
        cell.outputs.append(_error_output(LIMIT_EXCEEDED, f"the kernel {hit.reason()} (its limit) while running "
                                          "this cell and was stopped; the cells after it were not run"))
        return cell, resources

    def _responsive(self):
        """After an interrupt: does the kernel answer a kernel_info request in time?"""
        msg_id = self.kc.kernel_info()
        deadline = time.monotonic() + self.responsive_timeout
        while time.monotonic() < deadline:
            try:
                reply = run_sync(self.kc.shell_channel.get_msg)(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:  # queue.Empty on timeout
                return False
            if reply.get("parent_header", {}).get("msg_id") == msg_id:
                return True
        return False


class ScoreFromRecords(NbGraderPreprocessor):
    """Score each `test_<name>` cell by re-judging its recorded answers here, on the student's
    own secret inputs, against torch's answers computed here, and make the cell's outputs the
    report plus the score (so nothing the kernel wrote can change it). All the notebook's cells
    are judged together (one pass over the suite). A record made for other inputs (another student's, or
    forged at home) answers none of the calls the checks make: every check scores 0."""

    def preprocess(self, nb, resources):
        assignment = resources["nbgrader"]["assignment"]
        names = ASSIGNMENTS.get(assignment, {})
        cells = {}   # api -> (cell, record, notes)
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            name = meta.get("grade_id", "").removeprefix("test_")
            if cell.cell_type == "code" and meta.get("grade") and meta.get("grade_id") == f"test_{name}" \
                    and name in names:
                cells[name] = (cell, *take_record(cell, name))
        if not cells:
            return nb, resources
        inputs = student_inputs(self.config, resources)
        # torch, here: no bank holds a student's secret inputs. The public bank still serves a
        # case whose inputs are fixed (a suite whose cases are not generators yet: mlp's), and
        # only for exactly the inputs it was made for.
        ref = References.for_assignment(assignment, trusted=True, compute=torch_answer)
        results = judge({name: ReplayedSubmission(record) for name, (_, record, _) in cells.items()}, ref,
                        inputs=inputs)
        for name, (cell, record, notes) in cells.items():
            self._score(cell, name, record, notes, results[name])
        return nb, resources

    def _score(self, cell, name, record, notes, result):
        meta = nbgrader_meta(cell)
        errors = [out.get("ename") for out in cell.get("outputs", []) if out.output_type == "error"]
        score = min(result.score, float(meta.get("points", result.max_score)))
        if result.max_score != float(meta.get("points", result.max_score)):
            self.log.error("Cell %s is worth %s points but its checks add up to %s",
                           meta["grade_id"], meta.get("points"), result.max_score)
        text = "\n".join(notes + [result.report()]) + "\n"
        # Structured results for reports (grader.instructor.report reads these from autograded
        # notebooks; the schema is grader.engine.summary.CellSummary).
        cell.metadata["grader"] = result.summary(
            recorded=bool(record), notes=notes, errors=errors,
            timed_out_calls=sum(o.timed_out for o in record.values() if o.api == name)).to_json()
        # Plain dicts: nbformat.v4.new_output would check each against the notebook schema (~1 ms).
        cell.outputs = [nbformat.from_dict({"output_type": "stream", "name": "stdout", "text": text}),
                        *(nbformat.from_dict(out) for out in figures.cell_figures(result)),
                        nbformat.from_dict({"output_type": "execute_result", "metadata": {},
                                            "data": {"text/plain": repr(score)},
                                            "execution_count": cell.get("execution_count")})]


def torch_answer(name: str, args: tuple, kwargs: dict, part: str = "") -> np.ndarray:
    """A reference for the student's inputs, computed with torch here on the trusted side
    (imported at the first one: torch takes seconds to import; autograde's workers import it
    before they fork)."""
    from grader import reference
    return reference.answer(name, args, kwargs, part)


def warm_up_judging(assignment: str) -> None:
    """Pay once, before the first submission, what a grading process's first judging pays:
    torch's first optimizer step and backward pass and the first picture cost 0.3-1.3 s per
    process (measured per assignment). torch answers the first planned call of each API, on
    throw-away inputs."""
    if assignment not in ASSIGNMENTS:
        return
    plan = make_plan(Inputs.secret(os.urandom(32), "warm-up", assignment), list(ASSIGNMENTS[assignment]))
    for api, calls in plan.items():
        if calls:   # each API's first call is a small case (the long spirals run comes last)
            torch_answer(api, calls[0].args, calls[0].kwargs, calls[0].part)
    figures.warm_up()


def take_record(cell: dict, name: str) -> tuple[dict, list[str]]:
    """The answers recorded in a test cell's outputs, and notes on anything else it showed."""
    record, notes = None, []
    for out in cell.get("outputs", []):
        if out.output_type == "display_data" and RECORD_MIME in out.get("data", {}):
            payload = out.data[RECORD_MIME]
            try:
                if payload.get("api") == name:
                    record = decode_record(payload["record"])
            # A record is untrusted input (the student's code can display one): whatever is wrong
            # with it, even a RecursionError or MemoryError, costs this record only.
            except (ValueError, KeyError, TypeError, AttributeError, RecursionError, MemoryError) as exc:
                notes.append(f"Note: an unreadable grading record was ignored ({type(exc).__name__}).")
        elif out.output_type == "error":
            notes.append(f"Note: this cell raised {out.get('ename')}: {str(out.get('evalue'))[:300]}")
        elif out.output_type == "stream" and out.get("name") == "stderr":
            notes.append("Note: this cell wrote to stderr; that costs no points here.")
    if record is None:
        notes.append(f"Note: no answers were recorded for `{name}`: the grading part of this cell did not "
                     "run to the end (it was skipped, edited, timed out, or the kernel died). "
                     "Every check below scores 0.")
    return record or {}, notes


class SaveAutoGradesAtOnce(SaveAutoGrades):
    """nbgrader's SaveAutoGrades, with the notebook's grades and comments written in one
    transaction: nbgrader commits after each graded and each solution cell (about 20 write
    transactions per notebook, each its own lock and, on SQLite, its own journal sync). The same
    rows get the same values in the same order; a notebook whose saving fails half-way now
    leaves none of its new grades instead of those of the cells before the failure."""

    def preprocess(self, nb, resources):
        nbgrader = resources["nbgrader"]
        self.notebook_id, self.assignment_id = nbgrader["notebook"], nbgrader["assignment"]
        self.student_id, self.db_url = nbgrader["student"], nbgrader["db_url"]
        with Gradebook(self.db_url) as self.gradebook:
            session = self.gradebook.db
            self.gradebook.db = _FlushOnCommit(session)   # what nbgrader's per-cell code commits
            nb, resources = NbGraderPreprocessor.preprocess(self, nb, resources)   # each cell
            session.commit()
        return nb, resources


class _FlushOnCommit:
    """A session whose commit() only flushes (sends the writes, keeps the transaction open)."""

    def __init__(self, session):
        self._session = session

    def commit(self):
        self._session.flush()

    def __getattr__(self, name):
        return getattr(self._session, name)


class CheckCellMetadataOnce(CheckCellMetadata):
    """nbgrader's CheckCellMetadata, with nbgrader's JSON schema for cell metadata checked once
    per process instead of before every cell: nbgrader's validator calls `jsonschema.validate`,
    which checks the schema itself each time (0.8 of its 0.9 ms per cell; about 40 cells, twice
    per submission). The cells are validated exactly as before."""

    def preprocess(self, nb, resources):
        common = nbgrader.nbgraderformat.common
        real, common.jsonschema = common.jsonschema, _SCHEMAS   # for this notebook's validation only
        try:
            return super().preprocess(nb, resources)
        finally:
            common.jsonschema = real


class _CheckedSchemas:
    """The part of the jsonschema module nbgrader's validator uses, `validate`, with one
    validator per schema (its schema checked when it is made)."""

    def __init__(self):
        self._validators = {}

    def validate(self, instance, schema):
        key = json.dumps(schema, sort_keys=True)   # nbgrader loads a new copy per notebook
        if key not in self._validators:
            cls = jsonschema.validators.validator_for(schema)
            cls.check_schema(schema)
            self._validators[key] = cls(schema)
        error = jsonschema.exceptions.best_match(self._validators[key].iter_errors(instance))
        if error is not None:
            raise error


_SCHEMAS = _CheckedSchemas()


class CapOutput(NbGraderPreprocessor):
    """Truncate very long outputs (LimitOutput counts lines; one huge line slips through)."""

    max_chars = Integer(20000, help="characters kept per text output").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            if out.output_type == "stream" and len(out.text) > self.max_chars:
                out.text = out.text[:self.max_chars] + f"\n... output truncated ({len(out.text)} characters)\n"
            for mime, value in out.get("data", {}).items():
                if isinstance(value, str) and mime.startswith("text/") and len(value) > self.max_chars:
                    out.data[mime] = value[:self.max_chars] + "\n... output truncated"
        return cell, resources


class ShortenErrors(NbGraderPreprocessor):
    """Feedback: an error output shows one line, `NameError: ... (at line 4: print(...))`,
    instead of IPython's full coloured traceback; the autograded notebook keeps the full one."""

    max_chars = Integer(500, help="characters kept of an error's message").tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        for out in cell.get("outputs", []):
            if out.output_type == "error":
                out.traceback = [short_error(out, self.max_chars)]
        return cell, resources


ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# IPython's frame header for code run in a notebook cell: "Cell In[6], line 7" or
# "Cell In[4], line 2, in sigmoid_grad(x)"; the failing line follows, marked "---->".
CELL_FRAME = re.compile(r"^Cell In\[\d+\], line (\d+)(?:, in (.+))?$")
ARROW = re.compile(r"^\s*---->\s*\d*\s?(.*)$")


def short_error(out: dict, max_chars: int = 500) -> str:
    """`ename: evalue`, and where the deepest frame in the notebook's own code failed."""
    text = f"{out.get('ename')}: {str(out.get('evalue', ''))[:max_chars]}"
    where, code = "", ""
    for line in ANSI.sub("", "\n".join(out.get("traceback", []))).splitlines():
        header, arrow = CELL_FRAME.match(line.strip()), ARROW.match(line)
        if header:
            line_no, function = header.groups()
            where, code = (f"in {function}, at line {line_no}" if function else f"at line {line_no}"), ""
        elif arrow and where and not code:
            code = arrow.group(1).strip()[:200]
    if not where:
        return text
    return f"{text} ({where}: {code})" if code else f"{text} ({where})"


def _error_output(ename, evalue):
    return nbformat.v4.new_output("error", ename=ename, evalue=evalue, traceback=[f"{ename}: {evalue}"])


# The pipelines (nbgrader's defaults with the kit's steps added; see nbgrader_config.py).
# Sanitize: nbgrader's steps, made to restore or neutralise edited cells instead of failing
# (grader/grading/sanitize.py), then the notes on what was changed or left out.
SANITIZE = [ClearOutput, CapCells, DeduplicateIdsSafely, OverwriteKernelspec, OverwriteCellsFromGradebook,
            NeutraliseTags, CheckCellMetadataOnce, NoteLeftOutFiles, WriteNotes]
AUTOGRADE = [WritePlan, ExecuteSurvivingDeath, RemovePlan, ScoreFromRecords, IgnorePattern, ClearMetadataPreprocessor,
             CapOutput, LimitOutput, SaveAutoGradesAtOnce, AssignLatePenalties, CheckCellMetadataOnce]
# SafeOutputs: students' HTML outputs reach the page with no active content, JavaScript and SVG
# outputs are dropped (grader/grading/feedback.py; its FeedbackExporter does the same for markdown).
FEEDBACK = [ClearHiddenTests, ShortenErrors, SafeOutputs, GetGrades, CSSHTMLHeaderPreprocessor]
