"""The ``grader`` command: parse (:mod:`grader.cli.parser`), call, map typed errors to exit codes.
Nothing else: one short function per command, each calling the module that does the work."""
from __future__ import annotations

import sys
from pathlib import Path

from grader.cli.parser import build_parser as _parser
from grader.errors import GraderError
from grader.reports.messages import default_lang

__all__ = ["main"]


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
    except KeyboardInterrupt:  # Ctrl-C while the parser loads (argparse imports): the same quiet exit
        from grader.reports.messages import text

        print(text("cli_interrupted", default_lang()), file=sys.stderr)
        return 130
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
