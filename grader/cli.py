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
    release = sub.add_parser("release", help="write the trainee notebooks from the sources")
    release.add_argument("source_dir", type=Path, nargs="?", default=Path("exercises/source"))
    release.add_argument("trainee_dir", type=Path, nargs="?", default=Path("exercises/trainee"))
    release.add_argument("--check", action="store_true", help="only report trainee notebooks that are out of date")
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


def _release(args) -> int:
    from .release import release_all

    stale = release_all(args.source_dir, args.trainee_dir, check=args.check)
    for path in stale:
        print(f"{'out of date' if args.check else 'wrote'}: {path}")
    return 1 if args.check and stale else 0


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    handler = {"check": _check, "release": _release}[args.command]
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
