"""Hidden checks are secret (issue 16): each student's grading inputs come from the course
secret; nothing shipped to students holds a hidden input or reference; fairness and
discrimination hold on every seed; a lookup table or another student's record earns nothing."""
import concurrent.futures
import contextlib
import functools
import glob
import hashlib
import importlib
import json
import os
import subprocess
import sys
import zipfile

import nbformat
import numpy as np
import pytest

from grader.engine.bank import References, call_key, load_bank
from grader.engine.driver import drive, same_bits
from grader.engine.inputs import Inputs
from grader.engine.mistakes import CATALOGUE, Mistake
from grader.engine.plan import PLAN_FILE, make_plan, read_plan, write_plan
from grader.engine.runner import judge
from grader.engine.submission import LiveSubmission, ReplayedSubmission, decode_record
from grader.exercises import ASSIGNMENTS, PARTS, TRAINS, is_stateful
from grader.grading.secret import CourseSecret, SecretError
from grader.instructor.cohort import build_submissions, expected_scores
from grader.instructor.demo import REPO, make_course, nbgrader, scores
from grader.suites import cell_points, graded_checks
from tests.helpers import COHORT, judge_mistakes, solution_namespace, ungraded_copy

SECRET = bytes.fromhex("5ec7e7" * 10 + "00")
for _assignment in ASSIGNMENTS:
    importlib.import_module(f"grader.suites.{_assignment}")   # registers its mistakes
# Every case of every suite is a generator. A case marked `fixed` draws the same public inputs
# for everyone: only mlp's spirals, a public check whose data and torch curve the notebook shows.
FIXED = {a: {check.name for check in graded_checks(a) if check.cases and all(c.fixed for c in check.cases)}
         for a in ASSIGNMENTS}


def test_every_case_is_drawn_per_student_but_the_notebooks_spirals():
    for assignment in ASSIGNMENTS:
        checks = graded_checks(assignment)
        assert all(check.cases for check in checks), assignment
        fixed = {(check.name, c.id) for check in checks for c in check.cases if c.fixed}
        assert all(check.public for check in checks if check.name in {name for name, _ in fixed})
        assert fixed == ({("test_train_spirals", "float64-3-spirals-2000-steps-momentum0.9")}
                         if assignment == "mlp" else set())


def torch_references(assignment=None):
    """The trusted side's references for secret inputs: torch, for every call (with an
    `assignment`, as grading has them: its public bank serves the fixed cases)."""
    from grader import reference
    if assignment:
        return References.for_assignment(assignment, trusted=True, compute=reference.answer)
    return References(trusted=True, compute=reference.answer)


def secret_of(seed):
    return hashlib.sha256(b"test seed %d" % seed).digest()


# --- fairness and discrimination over seeds --------------------------------------------

def cohort_namespace(student, assignment):
    """A demo student's code, executed, and the scores the cohort's table says it must get."""
    with open(os.path.join(COHORT, student, f"{assignment}.py")) as f:
        source = f.read()
    namespace = {}
    exec(compile(source, f"{student}/{assignment}.py", "exec"), namespace)
    return namespace, expected_scores(COHORT, assignment)[student]


def upcast(fn):
    """A correct style: computes in float64 whatever the input's dtype (fairness allows it)."""
    def wrapper(*args, **kwargs):
        args = [a.astype(np.float64) if isinstance(a, np.ndarray) and a.dtype == np.float32 else a for a in args]
        return fn(*args, **kwargs)
    return wrapper


def correct_styles(assignment):
    """{style: namespace}: the instructor's solution, torch itself, a float64-throughout style
    and the demo's correct students (ada, ben, gus): every correct implementation the tests know."""
    from grader import reference
    solution = solution_namespace(assignment)
    names = ASSIGNMENTS[assignment]
    styles = {"solution": solution, "torch itself": {n: getattr(reference, n) for n in names},
              "float64 throughout": dict(solution, **{n: upcast(solution[n]) for n in names
                                                      if not is_stateful(n)})}
    for student in ("ada", "ben", "gus"):
        if os.path.exists(os.path.join(COHORT, student, f"{assignment}.py")):
            styles[f"demo {student}"] = cohort_namespace(student, assignment)[0]
    return styles


# Demo students whose code alone decides their scores (no cell edits): in-process, their
# EXPECTED_SCORES must hold on every seed, as they do in the demo's nbgrader run.
PLAIN_COHORT = ("dee", "eli")


@functools.cache
def fixed_calls(assignment):
    """The keys of the calls every student's plan has in common (the fixed cases' calls)."""
    return frozenset(plan_keys(secret_of(-1), "x", assignment)[0]) & frozenset(plan_keys(secret_of(-2), "y", assignment)[0])


class Remembering(LiveSubmission):
    """A live student that answers a fixed case's calls (the same inputs on every seed) once per
    implementation, and replays that answer on later seeds: a sweep pays the spirals' 2000
    steps once per implementation, not once per seed. `labels`: {api: a name for its code}."""
    answers = {}   # (label, call key) -> Outcome

    def __init__(self, namespace, assignment, labels):
        super().__init__(namespace)
        self.fixed, self.labels = fixed_calls(assignment), labels

    def _answer(self, key, api, args, kwargs, part=""):
        if key not in self.fixed:
            return super()._answer(key, api, args, kwargs, part)
        memo = (self.labels[api], key)
        if memo not in self.answers:
            self.answers[memo] = super()._answer(key, api, args, kwargs, part)
        self.record[key] = self.answers[memo]
        return self.answers[memo]


@contextlib.contextmanager
def mistakes_played_once():
    """Within one seed every implementation is judged on the same inputs, so what a catalogued
    mistake answers to a call (what `diagnose` compares a wrong answer with) is the same for
    all of them: play each mistake once per call (keyed by the call's exact arguments) and
    give every later diagnosis that same answer. Mistake.answer is a pure function of its
    call (it plays copies of the arguments)."""
    played, answer = {}, Mistake.answer

    def once(mistake, args, kwargs, part=""):
        try:
            key = (mistake, call_key(mistake.api, args, kwargs, part))
        except TypeError:   # an argument call_key cannot digest: play it every time
            return answer(mistake, args, kwargs, part)
        if key not in played:
            played[key] = answer(mistake, args, kwargs, part)
        return played[key]

    Mistake.answer = once
    try:
        yield
    finally:
        Mistake.answer = answer


def seed_problems(assignment, seed):
    """Everything that breaks fairness or discrimination on one seed, as readable lines."""
    inputs = Inputs.secret(secret_of(seed), f"student{seed}", assignment)
    ref = torch_references(assignment)   # live torch (the bank for fixed cases), shared by every student of this seed
    names = list(ASSIGNMENTS[assignment])
    problems = []

    def student(namespace, label, **other):
        return Remembering(namespace, assignment, {n: other.get(n, f"{label} {n}") for n in names})

    with mistakes_played_once():
        for style, namespace in correct_styles(assignment).items():
            for name, result in judge({n: student(namespace, style) for n in names}, ref, inputs=inputs).items():
                if result.score != result.max_score or result.mistakes or result.problem:
                    problems.append(f"seed {seed}: {style} loses points on {name}:\n{result.report()}")
        for who in PLAIN_COHORT:
            if os.path.exists(os.path.join(COHORT, who, f"{assignment}.py")):
                namespace, expected = cohort_namespace(who, assignment)
                results = judge({n: student(namespace, who) for n in names}, ref, inputs=inputs)
                got = {f"test_{n}": r.score for n, r in results.items()}
                if got != expected:
                    problems.append(f"seed {seed}: demo {who} scores {got}, not {expected}")
        mistaken = judge_mistakes(assignment, ref, inputs,
                                  lambda namespace, m: student(namespace, "solution", **{m.api: m.implementation.__name__}))
    for m, result in mistaken.items():
        failed = {c.name for c in result.checks if not c.passed}
        if failed != set(m.fails) or m.finding not in result.mistakes or any(c.internal_errors for c in result.checks):
            problems.append(f"seed {seed}: mistake {m.implementation.__name__} fails {sorted(failed)}, "
                            f"declared {sorted(m.fails)}, named: {m.finding in result.mistakes}\n{result.report()}")
    return problems


def _sweep_worker():
    """A sweep process: torch imported once, one thread (the two workers share two cores)."""
    import torch
    from grader import reference  # noqa: F401  (torch's references, imported once per worker)
    torch.set_num_threads(1)


def _seed_job(job):
    return seed_problems(*job)


@pytest.fixture(scope="module")
def sweep():
    """sweep(assignment, seeds) -> every problem of those seeds, the seeds shared out
    among two worker processes (spawned: a fork of a process running torch may hang)."""
    import multiprocessing
    with concurrent.futures.ProcessPoolExecutor(SWEEP_WORKERS, multiprocessing.get_context("spawn"),
                                                initializer=_sweep_worker) as pool:
        def run(assignment, seeds):
            jobs = [(assignment, seed) for seed in seeds]
            return [p for problems in pool.map(_seed_job, jobs) for p in problems]
        yield run


# The seed tiers (figures in README, "Hidden checks are secret"): on each seed every correct
# style, demo student and catalogued mistake, the seeds shared out among two worker processes.
# A seed costs ~8 s of CPU over the four assignments: `make test-fast` sweeps 20 seeds (~1.5 min
# on two idle cores), the full suite 180 more (200 in all, ~12 min); GRADER_TEST_SEEDS sets how
# many more the full suite sweeps (`make test-seeds`: 1000).
SWEEP_WORKERS = 2
FAST_SEEDS = range(20)
SLOW_SEEDS = range(20, 20 + int(os.environ.get("GRADER_TEST_SEEDS", "180")))
SLOW_BLOCKS = [SLOW_SEEDS[i:i + 20] for i in range(0, len(SLOW_SEEDS), 20)]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_correct_students_full_marks_and_every_mistake_exactly_its_checks_on_every_seed(assignment, sweep):
    problems = sweep(assignment, FAST_SEEDS)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("seeds", SLOW_BLOCKS, ids=lambda seeds: f"seeds{seeds.start}-{seeds.stop - 1}")
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_same_on_every_seed_of_the_full_suite(assignment, seeds, sweep):
    problems = sweep(assignment, seeds)
    assert not problems, "\n".join(problems)


# --- determinism and per-student inputs --------------------------------------------------

def plan_keys(secret, student, assignment):
    plan = make_plan(Inputs.secret(secret, student, assignment), list(ASSIGNMENTS[assignment]))
    return [c.key for calls in plan.values() for c in calls], plan


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_two_students_get_different_inputs_and_one_student_the_same_ones_every_time(assignment):
    ada, ada_plan = plan_keys(SECRET, "ada", assignment)
    again, _ = plan_keys(SECRET, "ada", assignment)
    ben, _ = plan_keys(SECRET, "ben", assignment)
    rotated, _ = plan_keys(secret_of(1), "ada", assignment)
    public = make_plan(Inputs.public(assignment), list(ASSIGNMENTS[assignment]))
    public = {c.key for calls in public.values() for c in calls}
    assert ada == again
    # no call in common but the fixed cases' (the notebook's spirals: its public inputs)
    fixed = set(ada) & set(ben)
    assert len(ada) == len(ben) and fixed == set(ada) & set(rotated) == set(ada) & public
    spirals = [c for c in ada_plan.get("train", []) if c.key in fixed]
    assert len(spirals) == len(fixed) and (assignment == "mlp") == bool(fixed)
    from grader.suites.mlp import SPIRALS_X
    assert all(np.array_equal(c.args[0], SPIRALS_X) for c in spirals)


def test_a_students_draws_are_reused_as_copies_and_never_given_to_another_student():
    """The runner keeps the last student's drawn arguments for the judging that follows the
    plan: drawn once, each run gets the same values, whatever an earlier run did to its copy in
    place; another student's inputs are drawn afresh; values it cannot copy are never kept."""
    import dataclasses
    from grader.engine import runner
    check = next(c for c in graded_checks("losses") if c.cases)
    case = check.cases[0]
    draws = []
    counted = dataclasses.replace(case, draw=lambda rng: draws.append(1) or case.draw(rng))
    ada, ben = Inputs.secret(SECRET, "ada", "losses"), Inputs.secret(SECRET, "ben", "losses")

    def fresh(inputs):
        return case.arguments(inputs.rng(check.name, case.id), check.arguments)

    def arrays(value):
        return [value] if isinstance(value, np.ndarray) else [a for v in value for a in arrays(v)] \
            if isinstance(value, (list, tuple)) else []

    def same(x, y):
        return len(arrays(x)) == len(arrays(y)) > 0 and all(map(same_bits, arrays(x), arrays(y)))

    first = runner._arguments(check, counted, ada)
    for a in arrays(first):
        a[...] = 0   # a check or a reference that changes its arguments in place
    second = runner._arguments(check, counted, ada)
    assert draws == [1] and same(second, fresh(ada)) and not same(second, first)
    assert same(runner._arguments(check, counted, ben), fresh(ben)) and draws == [1, 1]
    assert same(runner._arguments(check, counted, ada), fresh(ada)) and draws == [1, 1, 1], "only the last kept"
    odd = dataclasses.replace(case, id="odd", draw=lambda rng: draws.append(1) or (object(), np.zeros(2)))
    runner._arguments(check, odd, ada)
    runner._arguments(check, odd, ada)
    assert len(draws) == 5, "an object copies() cannot copy: drawn each time"


def test_a_plan_is_the_same_bits_in_another_process(tmp_path):
    here = tmp_path / "here.npz"
    write_plan(str(here), "losses", plan_keys(SECRET, "ada", "losses")[1])
    there = tmp_path / "there.npz"
    code = ("import sys; from grader.engine.inputs import Inputs; from grader.engine.plan import make_plan, write_plan;"
            "from grader.exercises import ASSIGNMENTS;"
            f"write_plan({str(there)!r}, 'losses', make_plan(Inputs.secret(bytes.fromhex({SECRET.hex()!r}), 'ada', "
            "'losses'), list(ASSIGNMENTS['losses'])))")
    subprocess.run([sys.executable, "-c", code], check=True, env=dict(os.environ, PYTHONHASHSEED="123"))
    assert here.read_bytes() == there.read_bytes()


def test_a_plan_written_again_is_read_again(tmp_path):
    # The kernel keeps the last plan it parsed (its test cells all read one); another plan
    # written at the same path must be read anew.
    path, names = str(tmp_path / PLAN_FILE), list(ASSIGNMENTS["losses"])
    for student in ("ada", "ben", "ada"):
        plan = make_plan(Inputs.secret(SECRET, student, "losses"), names)
        write_plan(path, "losses", plan)
        for _ in range(2):
            _, read = read_plan(path, "mse_loss")
            assert [c.key for c in read["mse_loss"]] == [c.key for c in plan["mse_loss"]]


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_kernel_answers_its_plan_and_the_judge_scores_it_the_same_twice(assignment, tmp_path):
    # What grading does, in-process: plan -> file -> the kernel's answers -> the record -> judge.
    names = list(ASSIGNMENTS[assignment])
    inputs = Inputs.secret(SECRET, "ada", assignment)
    path = str(tmp_path / PLAN_FILE)
    write_plan(path, assignment, make_plan(inputs, names))
    planned_for, plan = read_plan(path)
    assert planned_for == assignment
    for calls in plan.values():   # what the kernel decodes is the very call the judge will ask for
        assert all(call_key(c.api, c.args, c.kwargs, c.part) == c.key.partition("#")[0] for c in calls)
    records = {}
    for name in names:
        _, own = read_plan(path, name)   # a test cell decodes its own API's calls only
        assert list(own) == [name] and [c.key for c in own[name]] == [c.key for c in plan[name]]
        live = LiveSubmission(solution_namespace(assignment))
        live.answer(own[name])
        records[name] = json.loads(json.dumps(live.encode()))
    reports = []
    for _ in range(2):
        results = judge({n: ReplayedSubmission(decode_record(records[n])) for n in names},
                        torch_references(), inputs=inputs)
        assert all(r.score == r.max_score for r in results.values()), [r.report() for r in results.values()]
        reports.append([results[n].report() for n in names])
    assert reports[0] == reports[1]
    # the same record judged for another student (replayed) earns nothing but the fixed cases' points
    for name, result in judge({n: ReplayedSubmission(decode_record(records[n])) for n in names},
                              torch_references(), inputs=Inputs.secret(SECRET, "ben", assignment)).items():
        assert {c.name for c in result.checks if c.passed} <= FIXED[assignment], result.report()


def test_a_wrong_answer_is_reported_on_the_students_own_inputs():
    inputs = Inputs.secret(SECRET, "ada", "activations")
    wrong = dict(solution_namespace("activations"), softmax=CATALOGUE["softmax"][0].implementation)
    result = judge({"softmax": LiveSubmission(wrong)}, torch_references(), inputs=inputs)["softmax"]
    report = result.report()
    assert "smallest failing case" in report and "expected (torch)" in report and "Likely mistake:" in report
    # the values shown are this student's: the failing case's input, drawn from their seed
    check = result.checks[0]
    case_id = check.failures[0].case
    (case,) = [c for info in graded_checks("activations") if info.name == check.name for c in info.cases
               if c.id == case_id]
    x = case.arguments(inputs.rng(check.name, case_id), 1)[0]
    assert f"input x: float64 array of shape {x.shape}" in report and f"{x.ravel()[0]:.6f}"[:7] in report


# --- what students receive ---------------------------------------------------------------

def test_grade_at_home_runs_the_public_checks_and_counts_the_hidden_ones(capsys):
    namespace = solution_namespace("activations")
    exec("from grader import grade\npoints = grade('softmax')", namespace)
    out = capsys.readouterr().out
    hidden = [c for c in graded_checks("activations") if c.api == "softmax" and not c.public]
    public = [c for c in graded_checks("activations") if c.api == "softmax" and c.public]
    assert "test_softmax_values" in out and "test_softmax_stability" not in out
    assert f"{len(hidden)} hidden checks ({sum(c.points for c in hidden):g} points) run after you submit" in out
    assert namespace["points"] == sum(c.points for c in public)


def test_the_public_bank_holds_only_the_public_checks():
    for assignment in ASSIGNMENTS:
        public = {c.name for c in graded_checks(assignment) if c.public}
        stored = load_bank(assignment)
        assert stored and {key.partition("[")[0].partition(" ")[0] for key in stored} <= public


def hidden_cases(assignment, students, secret=SECRET):
    """Every array input and torch reference of every hidden case, for these students."""
    from grader import reference
    arrays = []
    perfect = LiveSubmission({n: getattr(reference, n) for n in ASSIGNMENTS[assignment]}, time_limit=None)
    for student in students:
        inputs = Inputs.secret(secret, student, assignment)
        ref = torch_references()
        judge({n: perfect for n in ASSIGNMENTS[assignment]}, ref, inputs=inputs)
        arrays += [r.value for key, r in ref.asked.items() if key.partition("[")[0] not in FIXED[assignment]]
        for check in graded_checks(assignment):
            for case in check.cases:
                if not case.fixed:
                    arrays += list(_arrays(case.draw(inputs.rng(check.name, case.id))))
    # 8 bytes or more, 3 distinct values or more: shorter or constant strings of bytes (all
    # zeros, a one-hot row) occur anywhere by chance
    return [a for a in arrays if a.nbytes >= 8 and len(np.unique(a)) >= 3]


def _arrays(value):
    if isinstance(value, np.ndarray):
        yield value
    elif isinstance(value, (list, tuple)):
        for v in value:
            yield from _arrays(v)
    elif isinstance(value, dict):
        for v in value.values():
            yield from _arrays(v)


@pytest.fixture(scope="module")
def students_wheel(tmp_path_factory):
    from grader.instructor import student_wheel
    return student_wheel.build(str(tmp_path_factory.mktemp("wheel")))


@pytest.mark.slow
def test_neither_the_wheel_nor_release_holds_a_hidden_input_reference_or_the_secret(students_wheel):
    with zipfile.ZipFile(students_wheel) as z:
        shipped = {name: z.read(name) for name in z.namelist()}
    for path in glob.glob(os.path.join(REPO, "release", "**", "*"), recursive=True):
        if os.path.isfile(path):
            with open(path, "rb") as f:
                shipped[os.path.relpath(path, REPO)] = f.read()
    assert not [n for n in shipped if n.endswith((".secret", PLAN_FILE))]
    blobs = list(shipped.values())
    # the scan does see what is shipped: the public bank's references are found
    public = [r.value for r in load_bank("activations").values() if r.value.nbytes >= 8]
    assert public and all(any(np.ascontiguousarray(v).tobytes() in blob for blob in blobs) for v in public)
    for assignment in ASSIGNMENTS:
        for a in hidden_cases(assignment, ["ada", "ben", "s0001", "zoe"]):
            needle = np.ascontiguousarray(a).tobytes()
            assert not any(needle in blob for blob in blobs), (assignment, a)
    for needle in (SECRET, SECRET.hex().encode()):
        assert not any(needle in blob for blob in blobs)


# --- a lookup table built from everything shipped earns nothing ------------------------------

def lookup_table(assignment):
    """{call digest: torch's answer} for every call every check makes on the inputs anyone can
    compute from the wheel (the public seed: public checks and hidden ones alike), answered by
    torch at home."""
    from grader import reference
    table = {}
    plan = make_plan(Inputs.public(assignment), list(ASSIGNMENTS[assignment]))
    for calls in plan.values():
        for c in calls:
            fn = getattr(reference, c.api)
            if is_stateful(c.api):
                try:
                    table[call_key(c.api, (c.args[0], c.args[1]))] = drive(fn, *c.args, **c.kwargs)[0]
                except ValueError:   # a run torch refuses (nesterov without momentum)
                    pass
            else:
                table[call_key(c.api, c.args, c.kwargs, c.part)] = reference.answer(c.api, c.args, c.kwargs, c.part)
    return table


def lookup_student(assignment, table):
    """A notebook that implements nothing: it answers from the table, else with zeros (an
    answer of several parts is put together from its parts; a trainer writes its params)."""
    def function(api):
        def part(args, name):
            return table.get(call_key(api, args, {}, name))

        def look_up(*args):
            if api not in PARTS:
                return table.get(call_key(api, args), np.zeros(np.shape(args[0])))
            first, rest = PARTS[api][0], PARTS[api][1:]
            if isinstance(rest[0], str):   # (grad_x, grad_W, grad_b)
                return tuple(part(args, name) for name in PARTS[api])
            answer, params = part(args, first), [part(args, name) for name in rest[0]]
            if api in TRAINS:   # losses; the params, written into the caller's arrays
                for p, value in zip(args[TRAINS[api]], params):
                    if value is not None:
                        p[...] = value
                return answer
            return answer, params   # (loss, [dW1, db1, dW2, db2])
        return look_up

    def optimizer(api):
        class LookUp:
            def __init__(self, params, *hyper):
                self.params, self.step_count = params, 0
                self.path = table.get(call_key(api, ([p.copy() for p in params], hyper)))

            def step(self, grads):
                self.step_count += 1
                if self.path is not None:
                    row, at = self.path[self.step_count - 1], 0
                    for p in self.params:
                        p[...] = row[at:at + p.size].reshape(p.shape)
                        at += p.size
        return LookUp
    return {n: optimizer(n) if is_stateful(n) else function(n) for n in ASSIGNMENTS[assignment]}


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_a_lookup_table_of_everything_shipped_earns_nothing(assignment):
    table = lookup_table(assignment)
    student = lookup_student(assignment, table)
    names = list(ASSIGNMENTS[assignment])
    # it does pass the public self-checks at home (it was built for their inputs) ...
    at_home = judge({n: LiveSubmission(student) for n in names}, References.for_assignment(assignment),
                    public_only=True)
    assert all(r.score == r.max_score for r in at_home.values()), [r.report() for r in at_home.values()]
    # ... and earns nothing on any student's inputs (but the fixed cases' points: the spirals)
    for who in ("ada", "ben"):
        graded = judge({n: LiveSubmission(student) for n in names}, torch_references(assignment),
                       inputs=Inputs.secret(SECRET, who, assignment))
        assert {c.name for r in graded.values() for c in r.checks if c.passed} <= FIXED[assignment], \
            {n: r.score for n, r in graded.items()}


# --- the secret -----------------------------------------------------------------------------

def test_the_secret_is_made_outside_the_course_and_never_inside_it(tmp_path):
    from traitlets.config import Config
    root = tmp_path / "course"
    root.mkdir()
    outside = CourseSecret(config=Config({"CourseDirectory": {"root": str(root), "course_id": "dl"},
                                          "CourseSecret": {"path": str(tmp_path / "keys" / "{course_id}.secret")}}))
    path, made = outside.create()
    assert made and path == str(tmp_path / "keys" / "dl.secret") and oct(os.stat(path).st_mode & 0o777) == "0o600"
    first = outside.load()
    assert len(first) == 32 and outside.create() == (path, False) and outside.load() == first
    assert outside.create(rotate=True) == (path, True) and outside.load() != first
    inside = CourseSecret(config=Config({"CourseDirectory": {"root": str(root)},
                                         "CourseSecret": {"path": "keys/course.secret"}}))
    with pytest.raises(SecretError, match="inside the course folder"):
        inside.create()
    missing = CourseSecret(config=Config({"CourseDirectory": {"root": str(root)},
                                          "CourseSecret": {"path": str(tmp_path / "none.secret")}}))
    with pytest.raises(SecretError, match="python -m grader secret"):
        missing.load()


def _point_secret_nowhere(course, tmp_path):
    """Make the course's config name a secret file that does not exist."""
    with open(os.path.join(course, "nbgrader_config.py"), "a") as f:
        f.write(f"\nc.CourseSecret.path = {str(tmp_path / 'missing.secret')!r}\n")


@pytest.mark.slow
def test_without_a_secret_autograding_stops_with_one_line(course, tmp_path):
    # In a copy of the course: nbgrader removes a submission's autograded/ folder when its
    # autograding fails, and the shared course's grades are other tests' expectations.
    root = ungraded_copy(course, tmp_path / "course", "activations", keep=set())
    assert build_submissions(root, COHORT, "activations", students=["ada"])
    _point_secret_nowhere(root, tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "DL_GRADER_SECRET"}
    proc = subprocess.run([sys.executable, "-m", "grader", "autograde", "activations", "--force"], cwd=root,
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("error: no course secret at ")
    assert "python -m grader secret" in proc.stderr and proc.stdout == ""
    plain = nbgrader(root, "autograde", "activations", "--force", "--student", "ada", check=False)
    assert "python -m grader secret" in plain.stdout + plain.stderr
    assert not glob.glob(os.path.join(root, "autograded", "ada", "activations", "*.ipynb"))


# --- for real: nbgrader, with innocent students graded before and after ------------------------

REPLAYER = '''
# eve: implements nothing; her notebook replays the records of another student (ada) from an
# autograded notebook she got hold of.
import grader

RECORDS = {records!r}


def _replay(name):
    from IPython.display import display
    display({{"application/vnd.dl-grader.record+json": {{"api": name, "record": RECORDS[name]}}}}, raw=True)
    return 0.0


grader.grade = _replay
'''

# each API name of the assignment, answered from the table
LOOKUP_FUNCTION = '''

def {name}(*args, **kwargs):
    return _look_up("{name}", *args, *kwargs.values())
'''

LOOKUP = '''
# lou: implements nothing; answers from a table of every call the checks make on the inputs
# that can be computed from the students' wheel, answered by torch at home.
import base64
import io

import numpy as np

from grader.engine.bank import call_key

with np.load(io.BytesIO(base64.b64decode({blob!r}))) as _npz:
    TABLE = dict(_npz)


def _look_up(api, *args):
    return TABLE.get(call_key(api, args), np.zeros(np.shape(args[0])))

'''


@pytest.mark.slow
def test_a_replayed_record_and_a_lookup_table_earn_nothing_in_nbgrader(tmp_path):
    assignment = "activations"
    # a course of its own: eve and lou must not join the shared course's cohort (the end-to-end
    # and report tests count its students)
    course = str(tmp_path / "course")
    make_course(course)
    nbgrader(course, "generate_assignment", assignment, "--force")
    cohort = tmp_path / "cohort"
    for student in ("ada", "ben"):
        (cohort / student).mkdir(parents=True)
        (cohort / student / f"{assignment}.py").write_text(
            open(os.path.join(COHORT, student, f"{assignment}.py")).read())
    assert build_submissions(course, str(cohort), assignment, students=["ada"])
    nbgrader(course, "autograde", assignment, "--force", "--student", "ada")
    graded = nbformat.read(os.path.join(course, "autograded", "ada", assignment, f"{assignment}.ipynb"), as_version=4)
    records = {out.data["application/vnd.dl-grader.record+json"]["api"]:
               out.data["application/vnd.dl-grader.record+json"]["record"]
               for cell in graded.cells for out in cell.get("outputs", [])
               if "application/vnd.dl-grader.record+json" in out.get("data", {})}
    assert not records, "the autograded notebook keeps the report, not the record"
    # so eve takes ada's records as ada's kernel made them: answer ada's plan with ada's code
    inputs = Inputs.secret(CourseSecret(config=_config(course)).load(), "ada", assignment)
    ada_code, _ = cohort_namespace("ada", assignment)
    for name, calls in make_plan(inputs, list(ASSIGNMENTS[assignment])).items():
        live = LiveSubmission(ada_code)
        live.answer(calls)
        records[name] = live.encode()
    (cohort / "eve").mkdir()
    (cohort / "eve" / f"{assignment}.py").write_text(REPLAYER.format(records=records))
    table = {k: v for k, v in lookup_table(assignment).items()}
    buffer = __import__("io").BytesIO()
    np.savez(buffer, **table)
    (cohort / "lou").mkdir()
    (cohort / "lou" / f"{assignment}.py").write_text(LOOKUP.format(
        blob=__import__("base64").b64encode(buffer.getvalue()).decode())
        + "".join(LOOKUP_FUNCTION.format(name=name) for name in ASSIGNMENTS[assignment]))
    assert build_submissions(course, str(cohort), assignment, students=["eve", "lou", "ben"])
    for student in ("eve", "lou", "ben"):   # ada before, eve and lou, ben after
        nbgrader(course, "autograde", assignment, "--force", "--student", student)
    got = scores(course, assignment)
    full = {f"test_{name}": points for name, points in cell_points(assignment).items()}
    assert got["ada"] == full and got["ben"] == full
    assert got["eve"] == dict.fromkeys(full, 0) and got["lou"] == dict.fromkeys(full, 0)
    eve = nbformat.read(os.path.join(course, "autograded", "eve", assignment, f"{assignment}.ipynb"), as_version=4)
    assert "no answer was recorded for this call" in json.dumps([c.get("outputs", []) for c in eve.cells])
    assert not glob.glob(os.path.join(course, "autograded", "*", assignment, PLAN_FILE))


def _config(course):
    from grader.instructor.autograde import course_settings
    return course_settings(course)
