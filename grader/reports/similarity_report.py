"""The class's similarity report: every exercise's submissions fingerprinted
(:mod:`grader.classroom.similarity`), ``similarity.json`` in the out dir (every pair that shares a
fingerprint: ``[{exercise, a, b, score, matched_lines_a, matched_lines_b, shared_fingerprints,
source_share, source}]``, best first), ``similarity_sources.json`` (each trainee against the
known sources), one side-by-side page per pair
above the threshold (``similarity/<exercise>-<hash>.html``), and the rows the class summary
shows. Evidence for a human: nothing here changes a score."""
from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

from grader.course import checks
from grader.classroom.known import known_sources
from grader.grading.notebook import exercise_from_filename, read_notebook
from grader.course.registry import order_key
from grader.classroom.similarity import THRESHOLD, Analysis, Code, analyse, prepare

__all__ = ["code_cells", "released_cells", "analyse_submissions", "write_similarity", "pair_file"]

_RELEASED_DIRS = (Path.cwd() / "exercises" / "trainee",
                  Path(__file__).resolve().parents[2] / "exercises" / "trainee")


def code_cells(nb) -> list[str]:
    return [cell.source for cell in nb.cells if cell.cell_type == "code" and cell.source.strip()]


def released_cells(exercise: str, folders=_RELEASED_DIRS) -> list[str]:
    """The code cells of the released trainee notebook of ``exercise`` (what every trainee
    started from), when the course folder is at hand; else none (lines every trainee shares are
    still left out, as boilerplate)."""
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.ipynb")):
            if exercise_from_filename(path.name) == exercise:
                try:
                    return code_cells(read_notebook(path))
                except Exception:  # an unreadable course file only loses the template
                    return []
    return []


def analyse_submissions(submissions, released=released_cells) -> dict[str, Analysis]:
    """``{exercise: Analysis}`` over ``submissions`` (objects with ``trainee``, ``exercise``,
    ``path``); unreadable notebooks are left out (they are reported by the grading)."""
    by_exercise: dict[str, list[Code]] = defaultdict(list)
    for sub in submissions:
        try:
            nb = read_notebook(sub.path)
        except Exception:
            continue
        by_exercise[sub.exercise].append((sub.trainee, code_cells(nb)))
    out = {}
    for exercise, entries in sorted(by_exercise.items(), key=lambda item: order_key(item[0])):
        template = released(exercise)
        codes = [prepare(trainee, cells, template) for trainee, cells in entries]
        try:
            graded = checks.load(exercise).GRADED
        except Exception:
            graded = ()
        sources = {name: prepare(name, [text], template) for name, text in known_sources(graded).items()}
        out[exercise] = analyse(exercise, codes, sources)
    return out


def pair_file(exercise: str, a: str, b: str) -> str:
    digest = hashlib.sha256(f"{exercise}\0{a}\0{b}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
    return f"{exercise}-{digest}.html"


def _side(code: Code, matched) -> list[dict]:
    marked = set(matched)
    rows, cell = [], 0
    for number, line in enumerate(code.lines, start=1):
        if line is None:
            cell += 1
            rows.append({"separator": True, "cell": cell})
        else:
            rows.append({"separator": False, "number": number, "text": line, "match": number in marked})
    return rows


def write_similarity(out_dir: Path, analyses: dict[str, Analysis], env, lang: str,
                     threshold: float = THRESHOLD) -> dict:
    """Write ``similarity.json`` and the pair pages; return what the class summary shows:
    ``{"pairs": [...], "groups": [...], "sources": [...], "threshold": t}``."""
    out_dir = Path(out_dir)
    folder = out_dir / "similarity"
    folder.mkdir(exist_ok=True)
    for old in folder.glob("*.html"):
        old.unlink()
    everything, shown, sources = [], [], []
    for exercise, analysis in analyses.items():
        everything.extend(p.as_json() for p in analysis.pairs)
        for pair in analysis.above(threshold):
            name = pair_file(exercise, pair.a, pair.b)
            html = env.get_template("similarity_pair.html").render(
                lang=lang, pair=pair, left=_side(analysis.codes[exercise, pair.a], pair.matched_lines_a),
                right=_side(analysis.codes[exercise, pair.b], pair.matched_lines_b))
            (folder / name).write_text(html, encoding="utf-8")
            shown.append({"pair": pair, "file": f"similarity/{name}"})
        sources.extend(m for m in analysis.sources if m.score >= threshold)
    (out_dir / "similarity.json").write_text(json.dumps(everything, ensure_ascii=False, indent=1), encoding="utf-8")
    (out_dir / "similarity_sources.json").write_text(
        json.dumps([m.as_json() for a in analyses.values() for m in a.sources], ensure_ascii=False, indent=1),
        encoding="utf-8")
    groups = [{"exercise": ex, "trainees": members} for analysis in analyses.values()
              for ex, members in analysis.groups(threshold)]
    return {"threshold": threshold, "pairs": shown, "groups": groups, "sources": sources}
