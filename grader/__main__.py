"""Command line: `python -m grader COMMAND` (run in the course root). See --help."""
import argparse
import gc
import os
import sys

# jsonschema (nbformat validates notebooks with it) imports `rfc3987_syntax` when installed
# (its format-nongpl extra, which jupyter_events asks for), and that compiles a Lark grammar at
# import: 0.8-2.4 s of every command, for the `iri` format that no notebook schema uses.
# Without it jsonschema leaves that one format unchecked (jsonschema issue #1428).
sys.modules.setdefault("rfc3987_syntax", None)


def cmd_bank(args):
    from grader.exercises import ASSIGNMENTS
    from grader.instructor import bank
    unknown = [a for a in args.assignments if a not in ASSIGNMENTS]
    if unknown:
        raise SystemExit(f"error: unknown assignment {unknown[0]!r}; known: {', '.join(ASSIGNMENTS)}")
    stale = bank.main(args.assignments or list(ASSIGNMENTS), check=args.check)
    if stale:
        raise SystemExit(f"error: bank out of date for {', '.join(stale)}; run `python -m grader bank`")


def cmd_release(args):
    from grader.instructor import release
    try:
        release.main(".")
    except release.ReleaseError as exc:
        raise SystemExit(f"error: {exc}")


def cmd_demo(args):
    from grader.instructor import demo
    try:
        return demo.main(args.root)
    except demo.DemoError as exc:
        raise SystemExit(f"error: {exc}")


def cmd_report(args):
    from grader.instructor import report
    try:
        paths = report.write_report(args.root, args.assignment, args.out)
    except report.ReportError as exc:
        raise SystemExit(f"error: {exc}")
    print("class report: {}\ngradebook CSV: {}".format(*paths))


def cmd_secret(args):
    from grader.grading.secret import CourseSecret, SecretError
    from grader.instructor.autograde import AutogradeError, check_root, course_settings
    root = os.path.abspath(args.root)
    try:
        check_root(root)
        path, made = CourseSecret(config=course_settings(root)).create(rotate=args.rotate)
    except (AutogradeError, SecretError) as exc:
        raise SystemExit(f"error: {exc}")
    except OSError as exc:
        raise SystemExit(f"error: cannot write the course secret: {exc}")
    if made:
        print(f"course secret {'replaced' if args.rotate else 'written'}: {path} (keep it out of the course "
              "repository; graders need it; a new secret gives every student new inputs)")
    else:
        print(f"the course secret exists: {path} (unchanged; --rotate makes a new one)")


def cmd_autograde(args):
    from grader.instructor import autograde
    return autograde.main(args)


def cmd_student_wheel(args):
    from grader.instructor import student_wheel
    try:
        student_wheel.main(args.out)
    except student_wheel.WheelError as exc:
        raise SystemExit(f"error: {exc}")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m grader", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("bank", help="compute the torch references with torch and store them in grader/bank/")
    p.add_argument("assignments", nargs="*", help="assignments (default: all)")
    p.add_argument("--check", action="store_true", help="only verify the stored bank against live torch")
    p.set_defaults(run=cmd_bank)
    p = sub.add_parser("release", help="regenerate release/ from source/ (nbgrader generate_assignment), "
                       "with every test cell's points and README's Points tables taken from the suites")
    p.set_defaults(run=cmd_release)
    p = sub.add_parser("demo", help="release, autograde the demo cohort, write feedback and reports")
    p.add_argument("--root", default=None,
                   help="folder for the demo course (default: demo/course in the kit); must be new, "
                        "empty, or made by an earlier demo run")
    p.set_defaults(run=cmd_demo)
    p = sub.add_parser("secret", help="make the course secret that seeds each student's grading inputs "
                       "(a file outside the course folder, named by c.CourseSecret.path)")
    p.add_argument("--root", default=".", help="course root (default: current folder)")
    p.add_argument("--rotate", action="store_true", help="replace an existing secret (students get new inputs "
                   "at the next autograde)")
    p.set_defaults(run=cmd_secret)
    p = sub.add_parser("autograde", help="autograde an assignment's submissions in parallel, resumably "
                       "(nbgrader's converter and the course's config)")
    p.add_argument("assignment", help="the assignment to grade")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="submissions graded at once on this machine (default: the number of cores)")
    p.add_argument("--root", default=".", help="course root (default: current folder)")
    p.add_argument("--db-url", help="gradebook URL (default: the course's nbgrader db_url, else "
                   "sqlite:///<root>/gradebook.db); e.g. postgresql://user@host/gradebook")
    p.add_argument("--scheduler", metavar="ADDRESS", help="grade on the workers of this Dask "
                   "distributed scheduler (e.g. tcp://10.0.0.5:8786) instead of local processes")
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--feedback", action="store_true", help="also write each student's feedback")
    p.set_defaults(run=cmd_autograde)
    p = sub.add_parser("report", help="class report (HTML) and gradebook CSV of an autograded assignment")
    p.add_argument("assignment", help="the assignment, as named in the gradebook")
    p.add_argument("--root", default=".", help="course root (default: current folder)")
    p.add_argument("--out", help="output folder (default: reports/ in the course root)")
    p.set_defaults(run=cmd_report)
    p = sub.add_parser("student-wheel", help="build the students' wheel: the kit without grader/instructor/")
    p.add_argument("--out", default="dist", help="folder for the wheel (default: dist)")
    p.set_defaults(run=cmd_student_wheel)
    args = parser.parse_args(argv)
    try:
        return args.run(args) or 0
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("grader.instructor"):
            raise
        raise SystemExit(f"error: `python -m grader {args.command}` is an instructor's tool, which the "
                         "students' wheel leaves out; install the kit itself (pip install -e '.[grading]')")


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        # At exit the interpreter's last collection walks every object the command loaded
        # (torch, nbgrader, matplotlib: about a million, 0.6-1 s); none needs collecting then.
        gc.freeze()
