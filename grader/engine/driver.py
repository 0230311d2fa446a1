"""The driver: how an API is called, the same way for the student, torch and the known mistakes.

`play` is the one entry point: a plain function is called; an optimizer class plays a run
(`drive`, below); a trainer (grader.exercises.TRAINS) gets a list of the model's arrays; and an
answer of several arrays (grader.exercises.PARTS) gives the part a check asks for.

The driver for stateful APIs (optimizer classes): one training run, the same for everyone.

A check cannot call an optimizer once and compare one answer: its state (momentum buffers,
moment estimates, step counts) only shows over several steps. So a check describes a *run*:

    student.SGD(params, hyper, grads, schedule)     # an Outcome whose value is the trajectory
    ref.SGD(params, hyper, grads, schedule)         # torch.optim.SGD through this same driver

and `drive` plays it like a training loop: construct `cls(params, *hyper)` with copies of the
params, then for every step set `opt.lr` if the schedule says so, call `opt.step(grads)`, and
record the params. The student's class, torch's (grader.reference) and the catalogue's wrong
classes (grader.engine.mistakes) all go through this function, so they are compared on equal terms.

- `params`: list of float arrays (the model's weights). The optimizer gets a list holding copies.
- `hyper`: the constructor's arguments after `params`, passed positionally (students may name
  them as they like), e.g. `(0.1, 0.9)` for SGD(params, lr=0.1, momentum=0.9).
- `grads`: either a list with one list of arrays (aligned with params) per step, or
  `(name, steps)`: before each step the gradients are `GRADIENTS[name](current params)`, the
  loss surfaces below, so a run can follow its own path like real training.
- `schedule`: `{step: lr}` sets `opt.lr = lr` before that step (steps count from 1), as a
  learning-rate scheduler does.

The trajectory is a (steps, total size) array: row k-1 holds every param after step k,
flattened and concatenated in order. Values are read from the list the optimizer was given,
so an optimizer that replaces its list's arrays instead of updating them is still graded on
its arithmetic; whether the caller's own arrays were updated in place is reported separately.
"""
import numpy as np

from grader.exercises import PARTS, TRAINS, is_stateful


class AnswerLayoutError(ValueError):
    """The answer is not laid out as the API's parts (grader.exercises.PARTS) say; the
    message says what came back and what was expected. A wrong answer, not a crash."""


def play(api, fn, args=(), kwargs=None, part=""):
    """Call `fn`, an implementation of API `api` (the student's, torch's or a known mistake's),
    the way the checks mean it; returns (answer, in_place):
    - a class (grader.exercises.STATEFUL): the run the arguments describe (`drive`): the
      trajectory, and the params updated in place;
    - a trainer (grader.exercises.TRAINS): `fn` gets a list holding copies of the params; the
      answer is what it returns followed by that list after the call, and `in_place` names the
      params whose arrays it updated in place (`params[0]`, ...);
    - any other function: what `fn(*args, **kwargs)` returns; `in_place` is None (the caller
      compares the arguments before and after).
    With `part` (an API with PARTS), the answer is that part of it.
    Every caller (the guarded student call, torch's reference, the catalogue's mistakes) goes
    through here, so all are asked the same question."""
    kwargs = kwargs or {}
    if is_stateful(api):
        answer, in_place = drive(fn, *args, **kwargs)
    elif api in TRAINS:
        answer, in_place = _train(fn, TRAINS[api], args, kwargs)
    else:
        answer, in_place = fn(*args, **kwargs), None
    return (select(api, answer, part) if part else answer), in_place


def _train(fn, at, args, kwargs):
    """Call a trainer as a training script would: the params are a list of the model's arrays."""
    start = [np.array(p, copy=True) for p in args[at]]
    held = [p.copy() for p in start]   # the caller's arrays: the model's weights
    given = list(held)                 # the list the function gets (it may change its items)
    result = fn(*args[:at], given, *args[at + 1:], **kwargs)
    in_place = tuple(f"params[{i}]" for i, p in enumerate(held)
                     if i < len(given) and given[i] is p and not same_bits(start[i], p))
    return (result, given), in_place


def select(api, answer, part):
    """Part `part` of an answer laid out as PARTS[api]: nested as the layout is (tuples or
    lists), or else flat with as many items as the layout has names, in the same order."""
    layout = PARTS[api]
    names = _names(layout)
    if part not in names:
        raise KeyError(f"`{api}` has no part {part!r}; its parts are {names}")
    value = _walk(answer, layout, part)
    if value is not _ABSENT:
        return value
    flat = _leaves(answer)
    if len(flat) == len(names):
        return flat[names.index(part)]
    raise AnswerLayoutError(f"returned {_looks(answer)}; expected {_looks(layout)}")


_ABSENT = object()


def _names(layout):
    return [n for item in layout for n in ([item] if isinstance(item, str) else _names(item))]


def _walk(answer, layout, part):
    if not isinstance(answer, (list, tuple)) or len(answer) != len(layout):
        return _ABSENT
    for value, item in zip(answer, layout):
        if item == part:
            return value
        if not isinstance(item, str) and part in _names(item):
            return _walk(value, item, part)
    return _ABSENT


def _leaves(answer):
    if not isinstance(answer, (list, tuple)):
        return [answer]
    return [leaf for item in answer for leaf in _leaves(item)]


def _looks(value):
    """How a (nested) answer or layout looks, in a few words: `(loss, [4 items])`."""
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple)):
        inner = ", ".join(_looks(v) for v in value[:6]) + (", ..." if len(value) > 6 else "")
        return f"({inner})" if isinstance(value, tuple) else f"[{inner}]"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape}"
    return f"a {type(value).__name__}"


def drive(cls: type, params: list, hyper: tuple = (), grads: list | tuple = (),
          schedule: dict | None = None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Run `cls` as described above; returns (trajectory, in_place), where `in_place` names
    the params (`"params[0]"`, ...) whose caller-held arrays changed in place during the run."""
    start = [np.array(p, copy=True) for p in params]
    held = [p.copy() for p in start]   # the caller's arrays: the model's weights
    given = list(held)                 # the list the optimizer gets (it may keep it as its own)
    opt = cls(given, *hyper)
    rows = []
    for step, step_grads in enumerate(_gradients(grads, given), start=1):
        if schedule and step in schedule:
            opt.lr = schedule[step]
        opt.step(step_grads)
        rows.append(np.concatenate([np.ravel(np.asarray(p)) for p in given]) if given else np.zeros(0))
    in_place = tuple(f"params[{i}]" for i, p in enumerate(held)
                     if i < len(given) and given[i] is p and not same_bits(start[i], p))
    return np.array(rows), in_place


def same_bits(ours: np.ndarray, theirs: object) -> bool:
    """Whether `theirs` is still a plain ndarray holding exactly `ours` (shape, dtype, bytes).
    This runs in the student's kernel, so it calls no numpy function: student code may have
    replaced `np.array_equal` (say) to hide or fake an in-place change. ndarray's own methods
    cannot be replaced, and an ndarray subclass (which could override them) is not the same."""
    return (type(theirs) is np.ndarray and ours.shape == theirs.shape and ours.dtype == theirs.dtype
            and ours.tobytes() == theirs.tobytes())


def _gradients(grads, current):
    """Each step's gradients, as fresh arrays (a student's in-place change to one step's
    gradients must not leak into the next step or into another run)."""
    if isinstance(grads, tuple) and len(grads) == 2 and isinstance(grads[0], str):
        name, steps = grads
        for _ in range(steps):
            yield GRADIENTS[name]([np.asarray(p) for p in current])
    else:
        for step_grads in grads:
            yield [np.array(g, copy=True) for g in step_grads]


def describe_grads(grads: list | tuple) -> str:
    """How a run's gradients were made, for reports."""
    if isinstance(grads, tuple) and len(grads) == 2 and isinstance(grads[0], str):
        return f"computed from the current params by `{grads[0]}` before each step ({GRADIENT_DOCS[grads[0]]})"
    return "given for each step"


def steps_of(grads: list | tuple) -> int:
    return grads[1] if isinstance(grads, tuple) and len(grads) == 2 and isinstance(grads[0], str) else len(grads)


# --- loss surfaces for runs that follow their own path ---------------------------------
# Gradients are computed in each param's dtype, with numpy only, so the student's run and
# torch's run get bitwise the same gradients for the same params.

def _flat(params):
    return np.concatenate([p.ravel() for p in params])


def split(flat: np.ndarray, params: list) -> list[np.ndarray]:
    """A flat row (all params concatenated, as in a trajectory) back as arrays shaped like the
    params, in the row's dtype."""
    out, at = [], 0
    for p in params:
        size = int(np.size(p))
        out.append(np.asarray(flat[at:at + size]).reshape(np.shape(p)))
        at += size
    return out


def _grads(flat, params):
    """A flat gradient as one array per param, each in its param's dtype."""
    return [g.astype(np.asarray(p).dtype) for g, p in zip(split(flat, params), params)]


def quadratic_grad(params: list) -> list[np.ndarray]:
    """Ill-conditioned bowl: f = sum_j c_j (x_j - 1)^2 / 2, curvatures c_j from 1 to 50."""
    x = _flat(params)
    # linspace, not geomspace: a power's last bits depend on the CPU, a multiply-add's do not
    c = np.linspace(1.0, 50.0, x.size).astype(x.dtype) if x.size > 1 else np.ones(1, x.dtype)
    return _grads(c * (x - 1), params)


def rosenbrock_grad(params: list) -> list[np.ndarray]:
    """Extended Rosenbrock valley over consecutive pairs of the flattened params, times 1024:
    f = 1024 sum_k 100 (x_{k+1} - x_k^2)^2 + (1 - x_k)^2 (minimum at all ones)."""
    # Only Adam and AdamW run on it; their steps do not depend on the gradients' scale except
    # through eps. Unscaled, gradients near the valley floor made eps's place (the mistake of
    # adding it before bias correction) move a 30-step path by just over the tolerance on 3
    # seeds in 400: the check meant for eps alone decided the values check. 1024 is a power of
    # two, so the scaled path is otherwise the same bits.
    x = _flat(params)
    g = np.zeros_like(x)
    a, b = x[:-1], x[1:]
    g[:-1] += -400 * a * (b - a * a) - 2 * (1 - a)
    g[1:] += 200 * (b - a * a)
    return _grads(1024 * g, params)


GRADIENTS = {"quadratic": quadratic_grad, "rosenbrock": rosenbrock_grad}
GRADIENT_DOCS = {name: fn.__doc__.splitlines()[0] for name, fn in GRADIENTS.items()}
