"""The ``grader`` command: parse, call, map typed errors to exit codes. Nothing else."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from grader import __version__
from grader.errors import GraderError
from grader.reports.messages import LANGS, default_lang

__all__ = ["main"]


def _epilog(command: str) -> str:
    """Examples and exit codes of ``command`` for its ``--help``, in the locale's language."""
    from grader.reports.messages import text

    return text(f"help_{command}", default_lang())


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade DAY4 (CNN) notebooks.",
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("main"))
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="grade one notebook in a fresh kernel",
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("check"))
    check.add_argument("notebook", type=Path)
    check.add_argument("--exercise", help="the exercise id (e.g. 4_4; `grader exercises` lists them) when neither "
                       "metadata nor file name tells")
    check.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    check.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML report")
    check.add_argument("--lang", choices=LANGS, help="language of the messages (default: from the locale)")
    check.add_argument("--seed", type=int, help="seed of the hidden inputs (default: the public seed)")
    check.add_argument("--kernel-python", metavar="PATH",
                       help="run the kernel on this Python (the course's environment; needs ipykernel and numpy)")
    grade = sub.add_parser("grade", help="batch-grade a class into a gradebook and HTML reports",
                           formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("grade"))
    grade.add_argument("submissions", type=Path, help="folder: one folder or zip per trainee, or <trainee>_4_x files")
    grade.add_argument("--out", type=Path, required=True, metavar="DIR", help="gradebook and reports go here")
    grade.add_argument("--workers", type=int, default=None, help="parallel kernels (default: number of cores)")
    grade.add_argument("--seed", type=int, help="grading secret: each submission's hidden inputs come from a seed derived "
                       "from it and the notebook (default: $GRADER_SECRET_SEED, else DIR/.grader-secret, made once)")
    grade.add_argument("--exercises", help="comma-separated, e.g. 4_1,4_4 (default: all)")
    grade.add_argument("--lang", choices=LANGS, help="language of the reports")
    grade.add_argument("--deadline", help="ISO 8601 date/time, e.g. 2026-12-01T23:59+09:00")
    grade.add_argument("--late-policy", help="none | zero | percent:N (per day late); kept for later runs")
    grade.add_argument("--submission-times", type=Path, metavar="CSV",
                       help="CSV trainee,submitted_at (ISO 8601); kept for later runs")
    grade.add_argument("--timezone", metavar="TZ", help="zone of times without one, e.g. Asia/Tokyo "
                       "(default: the deadline's zone)")
    grade.add_argument("--roster", type=Path, metavar="CSV", help="CSV id,name[,email,lms_id,section]: the class; "
                       "kept for later runs")
    grade.add_argument("--kernel-python", metavar="PATH",
                       help="run the kernels on this Python (the course's environment; needs ipykernel and numpy)")
    grade.add_argument("--no-similarity", action="store_true",
                       help="skip the similarity report (similarity.json and its section of the summary)")
    grade.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the notebooks on this Dask scheduler's workers (pip install \".[dask]\")")
    export = sub.add_parser("export", help="export a gradebook as CSV / Canvas CSV / JSON",
                            formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("export"))
    export.add_argument("out", type=Path, metavar="DIR")
    export.add_argument("--csv", type=Path, metavar="FILE", help="one row per trainee, a column per exercise")
    export.add_argument("--canvas", type=Path, metavar="FILE", help="Canvas gradebook import CSV")
    export.add_argument("--moodle", type=Path, metavar="FILE", help="Moodle grade import CSV")
    export.add_argument("--json", type=Path, metavar="FILE", help="every result as JSON")
    override = sub.add_parser("override", help="correct a score by hand (kept across regrades)",
                              formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("override"))
    override.add_argument("out", type=Path, metavar="DIR", help="the folder `grader grade --out` wrote")
    override.add_argument("trainee", metavar="TRAINEE")
    override.add_argument("exercise", metavar="EXERCISE")
    override.add_argument("check", nargs="?", metavar="CHECK_ID", help="one check; without it, the exercise's final score")
    override.add_argument("--points", type=float, help="the points to give")
    override.add_argument("--reason", help="why (stored with the override)")
    override.add_argument("--clear", action="store_true", help="remove the override of this target")
    override.add_argument("--lang", choices=LANGS, help="language of the messages")
    feedback = sub.add_parser("feedback", help="write one HTML page per trainee, safe to hand back",
                              formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("feedback"))
    feedback.add_argument("out", type=Path, metavar="DIR", help="the folder `grader grade --out` wrote")
    feedback.add_argument("--to", type=Path, required=True, metavar="FEEDBACK_DIR",
                          help="write the pages here (named by roster id, else by a safe form of the name)")
    feedback.add_argument("--zip", action="store_true", help="also write FEEDBACK_DIR/feedback.zip holding every page")
    feedback.add_argument("--lang", choices=LANGS, help="language of the pages (default: from the locale, else ja)")
    release = sub.add_parser("release", help="write the trainee notebooks from the sources",
                             formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("release"))
    release.add_argument("source_dir", type=Path, nargs="?", default=Path("exercises/source"))
    release.add_argument("trainee_dir", type=Path, nargs="?", default=Path("exercises/trainee"))
    release.add_argument("--check", action="store_true", help="only report trainee notebooks that are out of date")
    ci = sub.add_parser("ci", help="check the course materials (release, sources, trainee notebooks, samples, reference)",
                        formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("ci"))
    ci.add_argument("path", type=Path, nargs="?", default=Path("exercises"), help="folder with source/ trainee/ samples/")
    ci.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML (one test case per check)")
    ci.add_argument("--workers", type=int, default=None, help="parallel kernels (default: number of cores)")
    ci.add_argument("--seed", type=int, help="seed of the inputs for source/ and trainee/ (default: the public seed)")
    ci.add_argument("--lang", choices=LANGS, default="en", help="language of the check messages (default: en)")
    ci.add_argument("--record-samples", action="store_true",
                    help="grade the samples and write samples/expected_scores.json instead of comparing")
    exercises = sub.add_parser("exercises", help="list the registered exercises (entry-point group day4_grader.exercises)",
                               formatter_class=argparse.RawDescriptionHelpFormatter, epilog=_epilog("exercises"))
    exercises.add_argument("--json", action="store_true", help='print one JSON object {"exercises": [...]}')
    exercises.add_argument("--lang", choices=LANGS, help="language of the titles (default: from the locale)")
    return parser


def _kernel_python(args, lang: str) -> str | None:
    """``--kernel-python``, checked (exists, imports ipykernel and numpy), else ``None``."""
    if not getattr(args, "kernel_python", None):
        return None
    from grader.kernel.interpreter import check_kernel_python

    return check_kernel_python(args.kernel_python, lang)


def _check(args) -> int:
    from grader.grading.grade import grade_notebook
    from grader.reports.report import render_html, render_json, render_terminal

    lang = args.lang or default_lang()
    kernel_python = _kernel_python(args, lang)
    _warn_exercise_ignored(args.notebook, args.exercise, lang)
    result = grade_notebook(args.notebook, exercise=args.exercise, seed=args.seed, lang=lang, kernel_python=kernel_python)
    if args.html:
        args.html.write_text(render_html(result, lang), encoding="utf-8")
    if args.json:
        sys.stdout.write(render_json(result) + "\n")
    else:
        sys.stdout.write(render_terminal(result, lang, colour=sys.stdout.isatty()))
    if result.grader_failed:
        return 3
    return 0 if result.all_passed else 1


def _warn_exercise_ignored(path: Path, given: str | None, lang: str) -> None:
    """``--exercise`` that the notebook's metadata (or file name) contradicts is ignored, as
    CONTRACT.md orders: say so on stderr instead of silently."""
    if given is None:
        return
    from grader.reports.messages import text
    from grader.grading.notebook import exercise_disagreement, read_notebook
    from grader.reports.safe_text import visible

    used = exercise_disagreement(read_notebook(path, follow_symlinks=True), path, given)
    if used is not None:
        print(text("cli_warning", lang, message=text("warn_exercise_ignored", lang, given=visible(given), used=used)),
              file=sys.stderr)


def _grade(args) -> int:
    import os

    from grader.classroom.batch import BatchOptions, grade_class
    from grader.errors import UsageError
    from grader.classroom.roster import read_roster
    from grader.classroom.late import PolicyUpdate, read_submission_times, resolve_policy
    from grader.grading.notebook import EXERCISES

    if not args.submissions.is_dir():  # before anything is made in --out
        raise UsageError.keyed("err_no_submissions", path=args.submissions)
    exercises = tuple(EXERCISES)
    if args.exercises:
        exercises = tuple(e.strip() for e in args.exercises.split(",") if e.strip())
        unknown = [e for e in exercises if e not in EXERCISES]
        if unknown:
            raise UsageError.keyed("err_exercises_option", unknown=", ".join(unknown), known=", ".join(EXERCISES))
    if args.workers is not None and args.workers < 1:
        raise UsageError.keyed("err_workers")
    lang = args.lang or default_lang()
    late = None  # no policy option: the gradebook's policy stays
    if args.deadline or args.late_policy or args.submission_times or args.timezone:
        times = read_submission_times(args.submission_times, lang) if args.submission_times else None
        late = PolicyUpdate(args.deadline, args.late_policy, args.timezone, times, str(args.submission_times or ""))
        resolve_policy(late, None, lang)  # a bad deadline, policy or zone: exit 2 before grading
    roster = read_roster(args.roster, lang) if args.roster else None
    options = BatchOptions(workers=args.workers or os.cpu_count() or 1, seed=args.seed, exercises=exercises,
                           lang=lang, late=late, roster=roster, roster_source=str(args.roster or ""),
                           scheduler=args.scheduler, kernel_python=_kernel_python(args, lang),
                           similarity=not args.no_similarity)
    summary = grade_class(args.submissions, args.out, options)
    for warning in summary.warnings:
        print(warning, file=sys.stderr)
    from grader.reports.messages import text

    print(text("cli_graded", args.lang or default_lang(), graded=summary.graded, skipped=summary.skipped,
               failed=summary.failed, problems=summary.problems, seconds=summary.seconds,
               report=args.out / "index.html"))
    return 0 if summary.failed == 0 else 3


def _export(args) -> int:
    from grader.errors import UsageError
    from grader.classroom.export import canvas_csv, class_csv, moodle_csv, results_json
    from grader.classroom.gradebook import open_readonly
    from grader.classroom.standing import of_book

    if not (args.csv or args.canvas or args.moodle or args.json):
        raise UsageError.keyed("err_export_nothing")
    with open_readonly(args.out) as book:
        standing = of_book(book)
    for target, render in ((args.csv, class_csv), (args.canvas, canvas_csv), (args.moodle, moodle_csv),
                           (args.json, results_json)):
        if target:
            target.write_text(render(standing), encoding="utf-8")
    return 0


def _override(args) -> int:
    from grader.errors import UsageError
    from grader.classroom.gradebook import Gradebook, open_readonly
    from grader.classroom.overrides import clear_override, set_override

    lang = args.lang or default_lang()
    open_readonly(args.out).close()  # no gradebook there: exit 2, nothing created
    if not args.clear and (args.points is None or not (args.reason or "").strip()):
        raise UsageError.keyed("override_needs")
    with Gradebook(args.out) as book:  # the run lock: not while a grading runs
        if args.clear:
            said = clear_override(book, args.trainee, args.exercise, args.check, lang)
        else:
            said = set_override(book, args.trainee, args.exercise, args.check, args.points, args.reason, lang)
    print(said)
    return 0


def _release(args) -> int:
    from grader.cli.release import release_all

    from grader.reports.messages import text

    stale = release_all(args.source_dir, args.trainee_dir, check=args.check)
    for path in stale:
        print(text("release_out_of_date" if args.check else "release_wrote", default_lang(), path=path))
    return 1 if args.check and stale else 0


def _ci(args) -> int:
    import os

    from grader.cli.ci import run_ci
    from grader.reports.ci_report import github_annotations, junit_xml, terminal_summary
    from grader.errors import UsageError
    from grader.reports.safe_text import visible

    if args.workers is not None and args.workers < 1:
        raise UsageError.keyed("err_workers")

    def progress(done, total, job, result):
        score = result if isinstance(result, str) else f"{result.score:g}/{result.max_score:g}"
        line = visible(f"[{done}/{total}] {job.suite} {job.path}: {score}", multiline=False)
        print(line, file=sys.stderr, flush=True)

    report = run_ci(args.path, workers=args.workers or os.cpu_count() or 1, seed=args.seed, lang=args.lang,
                    record_samples=args.record_samples, progress=progress)
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(junit_xml(report), encoding="utf-8")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stdout.write(github_annotations(report))
    sys.stdout.write(terminal_summary(report))
    return report.exit_code


def _feedback(args) -> int:
    from grader.reports.feedback import write_feedback
    from grader.reports.messages import text

    lang = args.lang or default_lang()
    written = write_feedback(args.out, args.to, lang, make_zip=args.zip)
    print(text("fb_written", lang, count=len(written), dir=args.to))
    if args.zip:
        print(text("fb_zip_written", lang, path=args.to / "feedback.zip"))
    return 0


def _exercises(args) -> int:
    import json

    from grader.course.registry import listing, render_listing

    lang = args.lang or default_lang()
    sys.stdout.write(json.dumps(listing(lang), ensure_ascii=False) + "\n" if args.json else render_listing(lang))
    return 0


def main(argv=None) -> int:
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = _parser().parse_args(words)
    except SystemExit as exc:  # a usage error: with `check --json`, still one JSON object on stdout
        if exc.code == 2 and words[:1] == ["check"] and "--json" in words:
            import json

            sys.stdout.write(json.dumps({"error": "usage: grader check NOTEBOOK [options] (see grader check --help)",
                                         "error_key": None, "exit_code": 2}) + "\n")
        raise
    handler = {"check": _check, "grade": _grade, "export": _export, "release": _release, "ci": _ci,
               "feedback": _feedback, "override": _override, "exercises": _exercises}[args.command]
    try:
        return handler(args)
    except GraderError as exc:
        from grader.reports.messages import text
        from grader.reports.safe_text import visible

        lang = getattr(args, "lang", None) or default_lang()
        said = visible(exc.in_lang(lang))  # names files: trainee text
        if args.command == "check" and args.json:  # still exactly one JSON object on stdout
            import json

            sys.stdout.write(json.dumps({"error": said, "error_key": exc.key, "exit_code": exc.exit_code,
                                         "notebook": str(args.notebook)}, ensure_ascii=False) + "\n")
        print(text("cli_error", lang, message=said), file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        from grader.reports.messages import text

        lang = getattr(args, "lang", None) or default_lang()
        print(text("cli_interrupted", lang), file=sys.stderr)
        if args.command == "grade":
            print(text("cli_resume", lang, out=args.out), file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
