"""The student's JupyterLab, in a real (headless) browser.

A student's folder holds only release/activations/. JupyterLab 4 runs there (127.0.0.1 only,
with a token, set up as README's student environment: nbgrader's instructor-only extensions
disabled), and Chromium does what a student does: types solutions into the solution cells,
runs the notebook, reads the self-checks' answers, presses Validate. Screenshots go to
artifacts/; the public checks' timings to artifacts/public-check-seconds-lab.json.

The tests run in order on one notebook page, each continuing from the last (a student's
session); each still checks what it needs. ~90 s in all on a busy 2-core machine (JupyterLab's
start-up, three kernels: the notebook's and two validations').
"""
import datetime
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import nbformat
import numpy as np
import pytest

from grader.engine.bank import References
from grader.instructor.demo import REPO
from grader.grading.cells import nbgrader_meta
from grader.engine.runner import run_checks
from grader.engine.submission import LiveSubmission
from tests.browser import artifact, chromium, require_chromium, screenshot
from tests.helpers import STUDENT_DISABLED_LABEXTENSIONS, STUDENT_SERVER_CONFIG

pytestmark = pytest.mark.slow   # JupyterLab and Chromium

ASSIGNMENT = "activations"
NOTEBOOK = f"release/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"

# What a student types into each solution cell, line by line: JupyterLab's editor indents
# the body after `def ...:` by itself, as it does for a person typing.
SOLUTIONS = {
    "sigmoid": "def sigmoid(x):\nreturn np.exp(-np.logaddexp(0, -x))",
    "sigmoid_grad": "def sigmoid_grad(x):\ns = sigmoid(x)\nreturn s * (1 - s)",
    "softmax": "def softmax(x, axis=-1):\ne = np.exp(x - x.max(axis=axis, keepdims=True))\n"
               "return e / e.sum(axis=axis, keepdims=True)",
    "log_softmax": "def log_softmax(x, axis=-1):\nz = x - x.max(axis=axis, keepdims=True)\n"
                   "return z - np.log(np.exp(z).sum(axis=axis, keepdims=True))",
    "tanh": "def tanh(x):\nreturn np.tanh(x)",
    "relu": "def relu(x):\nreturn np.maximum(x, 0)",
    "leaky_relu": "def leaky_relu(x, negative_slope=0.01):\nreturn np.where(x > 0, x, negative_slope * x)",
    "elu": "def elu(x, alpha=1.0):\nreturn np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))",
    "softplus": "def softplus(x, beta=1.0, threshold=20.0):\nz = beta * np.asarray(x)\n"
                "return np.where(z > threshold, x, np.logaddexp(0, z) / beta)",
    # One statement per line: JupyterLab indents each typed line like the one before.
    "gelu": "def gelu(x, approximate=\"none\"):\nfrom math import erf\nx = np.asarray(x)\n"
            "t = np.tanh(np.sqrt(2 / np.pi) * (x + 0.044715 * x ** 3)) if approximate == \"tanh\" "
            "else np.vectorize(erf, otypes=[float])(x / np.sqrt(2))\nreturn 0.5 * x * (1 + t)",
}
# A classic slip: the softmax normalised over axis 0 whatever `axis` says.
WRONG_SOFTMAX = ("def softmax(x, axis=-1):\ne = np.exp(x - x.max(axis=0, keepdims=True))\n"
                 "return e / e.sum(axis=0, keepdims=True)")

# README's student set-up ("How a student gets the grader package"), at the user level of
# this test's own Jupyter config folder rather than in the kit's venv (tests/helpers.py).
SETTINGS = {
    # No "get notified about Jupyter news?" pop-up, no update check over the network.
    "@jupyterlab/apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    # Cells keep their execution timestamps: the measured latency of each self-check.
    "@jupyterlab/notebook-extension/tracker": {"recordTiming": True},
}


def as_typed(code):
    """The source JupyterLab holds after `code` is typed: the body indented by 4 spaces."""
    first, *body = code.split("\n")
    return "\n".join([first] + ["    " + line for line in body])


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab serving a student's folder that holds only release/<assignment>/."""
    require_chromium()
    tmp = tmp_path_factory.mktemp("student-lab")
    folder = tmp / "student"
    shutil.copytree(os.path.join(REPO, "release", ASSIGNMENT), folder / "release" / ASSIGNMENT)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        env[name] = str(tmp / "home" / name.lower())   # nothing read from or written to ~
        os.makedirs(env[name])
    for plugin, values in SETTINGS.items():
        path = Path(env["JUPYTERLAB_SETTINGS_DIR"]) / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    jupyter = os.path.join(os.path.dirname(sys.executable), "jupyter")
    subprocess.run([jupyter, "labextension", "disable", "--level=user", *STUDENT_DISABLED_LABEXTENSIONS],
                   env=env, check=True, capture_output=True)
    (Path(env["JUPYTER_CONFIG_DIR"]) / "jupyter_server_config.json").write_text(json.dumps(STUDENT_SERVER_CONFIG))
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp / "jupyter-lab.log", "w")
    cmd = [jupyter, "lab", "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--ServerApp.port_retries=0",
           f"--IdentityProvider.token={token}"] + (["--allow-root"] if os.geteuid() == 0 else [])
    server = subprocess.Popen(cmd, cwd=folder, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert server.poll() is None, f"jupyter lab exited:\n{(tmp / 'jupyter-lab.log').read_text()[-3000:]}"
            assert time.monotonic() < deadline, "jupyter lab did not start within 120 s"
            try:
                urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5)
                break
            except OSError:
                time.sleep(0.3)
        yield {"url": url, "token": token, "folder": folder}
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def page(lab):
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(60_000)
        page.goto(f"{lab['url']}/lab/tree/{NOTEBOOK}?token={lab['token']}")
        page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=120_000)
        yield page


def cell_index(grade_id):
    nb = nbformat.read(os.path.join(REPO, NOTEBOOK), as_version=4)
    return next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == grade_id)


def cell(page, grade_id):
    return page.locator(f".jp-Notebook .jp-Cell[data-windowed-list-index='{cell_index(grade_id)}']")


def output_text(page, grade_id):
    return cell(page, grade_id).locator(".jp-OutputArea").inner_text()


def type_solution(page, name, code):
    editor = cell(page, name).locator(".cm-content")
    editor.scroll_into_view_if_needed()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(code)
    page.keyboard.press("Escape")
    assert editor.inner_text() == as_typed(code)


def wait_for_output(page, grade_id, text, timeout=60_000):
    cell(page, grade_id).locator(".jp-OutputArea", has_text=text).wait_for(timeout=timeout)


def saved_notebook(page, lab):
    page.keyboard.press("Control+S")
    page.wait_for_selector(".jp-mod-dirty", state="detached")
    return nbformat.read(lab["folder"] / NOTEBOOK, as_version=4)


def menu(page, top, item):
    page.locator(".lm-MenuBar-itemLabel", has_text=top).click()
    page.locator(".lm-Menu-itemLabel").get_by_text(item, exact=True).click()


def validate(page):
    """Press nbgrader's Validate button (it saves, then validates); returns the result dialog."""
    page.get_by_role("button", name="Validate").click()
    dialog = page.locator(".jp-Dialog", has_text="Validation Results")
    dialog.wait_for(timeout=180_000)
    return dialog


def check_seconds(nb):
    """{grade_id: seconds} each test cell's last run took in the kernel (busy to idle), from
    the timestamps JupyterLab records (setting recordTiming)."""
    seconds = {}
    for c in nb.cells:
        grade_id = nbgrader_meta(c).get("grade_id", "")
        if grade_id.startswith("test_") and "execution" in c.metadata:
            t = {k: datetime.datetime.fromisoformat(v.replace("Z", "+00:00"))
                 for k, v in c.metadata["execution"].items()}
            seconds[grade_id] = round((t["iopub.status.idle"] - t["iopub.status.busy"]).total_seconds(), 3)
    return seconds


def record_seconds(label, seconds):
    """Add figures to artifacts/public-check-seconds-lab.json (what the report quotes)."""
    path = artifact("public-check-seconds-lab.json")
    figures = {}
    if os.path.exists(path):
        with open(path) as f:
            figures = json.load(f)
    figures[label] = seconds
    with open(path, "w") as f:
        json.dump(figures, f, indent=1)


def close_dialog(page):
    page.locator(".jp-Dialog .jp-mod-accept").click()
    page.locator(".jp-Dialog").wait_for(state="detached")


def test_notebook_opens_for_a_student_with_validate_and_no_instructor_tools(page, lab):
    page.locator(".jp-Notebook .jp-Cell").first.wait_for()
    assert page.get_by_role("button", name="Validate").is_visible()
    assert page.get_by_text("Create Assignment").count() == 0
    screenshot(page, "student-lab-opened")
    page.locator(".lm-MenuBar-itemLabel", has_text="Nbgrader").click()
    items = page.locator(".lm-Menu-content .lm-Menu-item:visible .lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    assert items == ["Assignment List"], "only the student's part of nbgrader's menu"
    with pytest.raises(urllib.error.HTTPError, match="404"):   # the formgrader server extension is off
        urllib.request.urlopen(f"{lab['url']}/formgrader?token={lab['token']}", timeout=30)
    assert sorted(os.listdir(lab["folder"])) == ["release"], "the lab wrote into the student's folder"


def test_typed_solutions_pass_their_public_checks_quickly(page, lab):
    for name, code in SOLUTIONS.items():
        type_solution(page, name, code)
    menu(page, "Run", "Run All Cells")
    for name in SOLUTIONS:
        wait_for_output(page, f"test_{name}", f"{name}: public self-check passed")
    cell(page, "test_sigmoid").scroll_into_view_if_needed()
    screenshot(page, "student-lab-check-passed")
    nb = saved_notebook(page, lab)
    for c in nb.cells:
        if nbgrader_meta(c).get("solution"):
            assert c.source == as_typed(SOLUTIONS[nbgrader_meta(c)["grade_id"]])
    seconds = check_seconds(nb)
    record_seconds("passing checks, in order after Run All (the first includes pytest's start-up)", seconds)
    assert len(seconds) == len(SOLUTIONS)
    slow = {k: v for k, v in seconds.items() if v >= 1.0}
    assert not slow, f"public checks must answer within a second: {seconds}"


def test_validate_reports_success(page):
    dialog = validate(page)
    assert "Success! Your notebook passes all the tests." in dialog.inner_text()
    screenshot(page, "student-lab-validate-success")
    close_dialog(page)


def test_wrong_solution_shows_a_readable_failure_not_a_traceback(page, lab):
    type_solution(page, "softmax", WRONG_SOFTMAX)
    cell(page, "softmax").click()
    page.keyboard.press("Shift+Enter")   # defines softmax, selects its test cell
    start = time.monotonic()
    page.keyboard.press("Shift+Enter")   # runs check("softmax")
    wait_for_output(page, "test_softmax", "the public self-check failed")
    round_trip = time.monotonic() - start
    shown = output_text(page, "test_softmax")
    cell(page, "test_softmax").scroll_into_view_if_needed()
    screenshot(page, "student-lab-check-failed")
    top = cell(page, "softmax").bounding_box()
    bottom = cell(page, "test_softmax").bounding_box()
    screenshot(page, "student-view", clip={"x": top["x"], "y": top["y"] - 4, "width": top["width"],
                                           "height": bottom["y"] + bottom["height"] - top["y"] + 6})

    # Exactly the report the grader writes: no traceback, no exception name, no ANSI codes.
    namespace = {"np": np}
    exec(as_typed(WRONG_SOFTMAX), namespace)
    result = run_checks("softmax", LiveSubmission(namespace), References.for_assignment(ASSIGNMENT),
                        public_only=True)
    assert shown.strip() == f"softmax: the public self-check failed\n{result.report()}"
    assert "Likely mistake: normalised over axis 0" in shown
    assert "Traceback" not in shown and "CheckFailed" not in shown and "\x1b[" not in shown
    seconds = check_seconds(saved_notebook(page, lab))["test_softmax"]
    record_seconds("failing test_softmax", {"kernel": seconds, "Shift+Enter to report shown": round(round_trip, 3)})
    assert seconds < 1.0, f"the failing check took {seconds:.2f} s"


def test_validate_reports_the_failing_check(page, lab):
    dialog = validate(page)
    text = dialog.inner_text()
    assert "The following cell failed:" in text
    assert 'check("softmax")' in text
    assert "softmax: the public self-check failed" in text
    assert "Likely mistake: normalised over axis 0" in text
    assert "Success!" not in text
    screenshot(page, "student-lab-validate-failure")
    close_dialog(page)
    assert not list(lab["folder"].rglob("gradebook.db")), "validating must not make a gradebook"
