"""nbgrader configuration for the course. The kit's pipelines live in grader/grading/pipeline.py."""
from grader.grading import formgrader, intake, pipeline

c = get_config()  # noqa: F821 (provided by nbgrader)

c.CourseDirectory.course_id = "dl-course"
c.CourseDirectory.root = "."

# Intake, before nbgrader copies a submission: links, pipes, sockets, devices and files over
# the size limit are never followed, read or copied; they are moved unread to left_out/ and the
# student's notes say why (grader/grading/intake.py). Student ids nbgrader would read as
# patterns (`star*`) or skip (`.hidden`) are refused by name.
c.Autograde.pre_convert_hook = intake.Intake(max_file_bytes=50 * 2**20)

# Autograding: score every test_<name> cell from its recorded answers, judged outside the
# student's kernel (stderr, skip-execution tags and tampering cannot change a score), survive
# dead kernels, restore deleted or edited test cells, and keep outputs readable.
c.Autograde.sanitize_preprocessors = pipeline.SANITIZE
c.Autograde.autograde_preprocessors = pipeline.AUTOGRADE
c.OverwriteCells.add_missing_cells = True
c.Execute.timeout = 60            # wall-clock seconds per student cell; grade() also limits each call to 2 s of CPU time
# c.ExecuteSurvivingDeath.graded_cell_timeout = 300   # wall-clock backstop for a graded test cell (CPU-limited inside)
# Grading needs nothing from a kernel after its last cell: stop it at once instead of waiting
# ~0.3 s for a polite exit (measured per notebook; bench/).
c.Execute.shutdown_kernel = "immediate"
# nbconvert checks the whole notebook against its schema after each preprocessor (~1.5 ms each,
# about 20 per submission): check it once, after the last (an invalid notebook is still refused).
c.Exporter.optimistic_validation = True
c.LimitOutput.max_lines = 300
c.CapCells.max_cell_chars = 1_000_000          # a cell's source and attachments
c.CapCells.max_notebook_chars = 10_000_000     # all of a notebook's cells

# Feedback: never show the hidden part of a test cell.
c.GenerateFeedback.preprocessors = pipeline.FEEDBACK
# ... carry no active content from students (scripts, event handlers, javascript: links), and
# read well offline: math pre-rendered (no MathJax from a CDN), report lines wrapped.
c.GenerateFeedback.exporter_class = "grader.grading.feedback.FeedbackExporter"
c.ClearHiddenTests.enforce_metadata = False

# formgrader's pages typeset math with the MathJax this Jupyter server serves (the `grading`
# extra's jupyter_server_mathjax), not one from a CDN (grader/grading/formgrader.py).
c.HTMLExporter.extra_template_basedirs = formgrader.TEMPLATE_BASEDIRS

# The student's kernel runs sandboxed (grader/grading/sandbox.py): it sees an empty course folder
# except its own submission, and neither the reference bank nor torch/scipy.
c.Execute.kernel_manager_class = "grader.grading.sandbox.SandboxedKernelManager"

# The course secret seeds each student's grading inputs (grader/grading/secret.py). Make it with
# `python -m grader secret`; keep it outside the course folder (or set DL_GRADER_SECRET).
c.CourseSecret.path = "~/.config/dl-grader/{course_id}.secret"
