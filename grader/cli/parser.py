"""The ``grader`` command's arguments: every subcommand, its options and their help (the
examples and exit codes of each ``--help`` come from :mod:`grader.reports.messages`, in the
locale's language). What each command does is :mod:`grader.cli.commands`."""
from __future__ import annotations

import argparse
from pathlib import Path

from grader import __version__
from grader.reports.messages import LANGS, default_lang

__all__ = ["build_parser"]


def _epilog(command: str) -> str:
    """Examples and exit codes of ``command`` for its ``--help``, in the locale's language."""
    from grader.reports.messages import text

    return text(f"help_{command}", default_lang())


def build_parser() -> argparse.ArgumentParser:
    """The ``grader`` command's parser: one subcommand per command of :mod:`grader.cli.commands`."""
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
