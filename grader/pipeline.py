"""Kept for existing courses: their nbgrader_config.py says `from grader import pipeline`.
The pipeline lives in grader/grading/pipeline.py."""
from grader.grading.pipeline import *  # noqa: F401,F403
from grader.grading.pipeline import AUTOGRADE, FEEDBACK, SANITIZE  # noqa: F401
