"""The ``grader`` command: parse, call, map typed errors to exit codes. Nothing else."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from . import __version__
from .errors import GraderError
from .messages import LANGS, default_lang

__all__ = ["main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grader", description="Grade DAY4 (CNN) notebooks.")
    parser.add_argument("--version", action="version", version=f"grader {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="grade one notebook in a fresh kernel")
    check.add_argument("notebook", type=Path)
    check.add_argument("--exercise", help="4_1 ... 4_7 when neither metadata nor file name tells")
    check.add_argument("--json", action="store_true", help="print one JSON object on stdout")
    check.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML report")
    check.add_argument("--lang", choices=LANGS, help="language of the messages (default: from the locale)")
    check.add_argument("--seed", type=int, help="seed of the hidden inputs (default: the public seed)")
    grade = sub.add_parser("grade", help="batch-grade a class into a gradebook and HTML reports")
    grade.add_argument("submissions", type=Path, help="folder: one folder or zip per trainee, or <trainee>_4_x files")
    grade.add_argument("--out", type=Path, required=True, metavar="DIR", help="gradebook and reports go here")
    grade.add_argument("--workers", type=int, default=None, help="parallel kernels (default: number of cores)")
    grade.add_argument("--seed", type=int, help="seed of the hidden inputs (default: $GRADER_SECRET_SEED)")
    grade.add_argument("--exercises", help="comma-separated, e.g. 4_1,4_4 (default: all)")
    grade.add_argument("--lang", choices=LANGS, help="language of the reports")
    grade.add_argument("--deadline", help="ISO 8601 date/time, e.g. 2026-12-01T23:59+09:00")
    grade.add_argument("--late-policy", default="none", help="none | zero | percent:N (per day late)")
    grade.add_argument("--submission-times", type=Path, metavar="CSV", help="CSV trainee,submitted_at")
    grade.add_argument("--scheduler", metavar="tcp://HOST:PORT",
                       help="run the notebooks on this Dask scheduler's workers (pip install \".[dask]\")")
    export = sub.add_parser("export", help="export a gradebook as CSV / Canvas CSV / JSON")
    export.add_argument("out", type=Path, metavar="DIR")
    export.add_argument("--csv", type=Path, metavar="FILE", help="one row per trainee, a column per exercise")
    export.add_argument("--canvas", type=Path, metavar="FILE", help="Canvas gradebook import CSV")
    export.add_argument("--json", type=Path, metavar="FILE", help="every result as JSON")
    release = sub.add_parser("release", help="write the trainee notebooks from the sources")
    release.add_argument("source_dir", type=Path, nargs="?", default=Path("exercises/source"))
    release.add_argument("trainee_dir", type=Path, nargs="?", default=Path("exercises/trainee"))
    release.add_argument("--check", action="store_true", help="only report trainee notebooks that are out of date")
    ci = sub.add_parser("ci", help="check the course materials (release, sources, trainee notebooks, samples, reference)")
    ci.add_argument("path", type=Path, nargs="?", default=Path("exercises"), help="folder with source/ trainee/ samples/")
    ci.add_argument("--junit", type=Path, metavar="FILE", help="also write JUnit XML (one test case per check)")
    ci.add_argument("--workers", type=int, default=None, help="parallel kernels (default: number of cores)")
    ci.add_argument("--seed", type=int, help="seed of the inputs for source/ and trainee/ (default: the public seed)")
    ci.add_argument("--lang", choices=LANGS, default="en", help="language of the check messages (default: en)")
    ci.add_argument("--record-samples", action="store_true",
                    help="grade the samples and write samples/expected_scores.json instead of comparing")
    return parser


def _check(args) -> int:
    from .grade import grade_notebook
    from .report import render_html, render_json, render_terminal

    lang = args.lang or default_lang()
    result = grade_notebook(args.notebook, exercise=args.exercise, seed=args.seed, lang=lang)
    if args.html:
        args.html.write_text(render_html(result, lang), encoding="utf-8")
    if args.json:
        sys.stdout.write(render_json(result) + "\n")
    else:
        sys.stdout.write(render_terminal(result, lang, colour=sys.stdout.isatty()))
    if result.grader_failed:
        return 3
    return 0 if result.all_passed else 1


def _grade(args) -> int:
    import os

    from .batch import BatchOptions, grade_class
    from .errors import UsageError
    from .late import parse_deadline, parse_policy, read_submission_times
    from .notebook import EXERCISES

    exercises = tuple(EXERCISES)
    if args.exercises:
        exercises = tuple(e.strip() for e in args.exercises.split(",") if e.strip())
        unknown = [e for e in exercises if e not in EXERCISES]
        if unknown:
            raise UsageError(f"--exercises: unknown {', '.join(unknown)}; expected some of {', '.join(EXERCISES)}")
    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be >= 1")
    deadline = parse_deadline(args.deadline) if args.deadline else None
    options = BatchOptions(workers=args.workers or os.cpu_count() or 1, seed=args.seed, exercises=exercises,
                           lang=args.lang or default_lang(), late=parse_policy(args.late_policy, deadline),
                           scheduler=args.scheduler)
    submitted = read_submission_times(args.submission_times) if args.submission_times else {}
    summary = grade_class(args.submissions, args.out, options, submitted)
    print(f"graded {summary.graded}, unchanged {summary.skipped}, grader failures {summary.failed}, "
          f"problems {summary.problems} in {summary.seconds:.1f} s; report: {args.out / 'index.html'}")
    return 0 if summary.failed == 0 else 3


def _export(args) -> int:
    from .export import canvas_csv, class_csv, results_json
    from .gradebook import open_readonly

    if not (args.csv or args.canvas or args.json):
        raise GraderError("export: give at least one of --csv, --canvas, --json")
    with open_readonly(args.out) as book:
        rows = book.rows()
    for target, render in ((args.csv, class_csv), (args.canvas, canvas_csv), (args.json, results_json)):
        if target:
            target.write_text(render(rows), encoding="utf-8")
    return 0


def _release(args) -> int:
    from .release import release_all

    stale = release_all(args.source_dir, args.trainee_dir, check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    return 1 if args.check and stale else 0


def _ci(args) -> int:
    import os

    from .ci import run_ci
    from .ci_report import github_annotations, junit_xml, terminal_summary
    from .errors import UsageError

    if args.workers is not None and args.workers < 1:
        raise UsageError("--workers must be >= 1")

    def progress(done, total, job, result):
        score = result if isinstance(result, str) else f"{result.score:g}/{result.max_score:g}"
        print(f"[{done}/{total}] {job.suite} {job.path}: {score}", file=sys.stderr, flush=True)

    report = run_ci(args.path, workers=args.workers or os.cpu_count() or 1, seed=args.seed, lang=args.lang,
                    record_samples=args.record_samples, progress=progress)
    if args.junit:
        args.junit.parent.mkdir(parents=True, exist_ok=True)
        args.junit.write_text(junit_xml(report), encoding="utf-8")
    if os.environ.get("GITHUB_ACTIONS") == "true":
        sys.stdout.write(github_annotations(report))
    sys.stdout.write(terminal_summary(report))
    return report.exit_code


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    handler = {"check": _check, "grade": _grade, "export": _export, "release": _release, "ci": _ci}[args.command]
    try:
        return handler(args)
    except GraderError as exc:
        print(f"grader: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("grader: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
