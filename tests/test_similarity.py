"""The similarity report: planted copies (each kind of disguise) rank above every pair of
independently written solutions; known sources are told from classmates; cliques are one group;
the pair pages are autoescaped. In-process: fingerprinting needs no kernel."""
from __future__ import annotations

import itertools
import json
import random

import pytest

import similarity_material as material
from grader.classroom.known import known_sources
from grader.reports.report import template_environment
from grader.classroom.similarity import THRESHOLD, analyse, normalise, prepare
from grader.reports.similarity_report import pair_file, write_similarity

GRADED = {"4_4": ("im2col", "col2im"), "4_1": ("conv_output_size", "convolution")}
KEEP = {"im2col", "col2im", "convolution", "conv_output_size", "_indices"}
DISGUISES = {
    "renamed": ("rename",),
    "reordered": ("reorder",),
    "recommented": ("recomment",),
    "prints": ("prints",),
    "all": ("rename", "reorder", "recomment", "prints"),
}


def _class(exercise: str):
    """Independent solutions plus, for each, one planted copy per disguise (split into cells)."""
    codes, planted = [], []
    for i, (name, source) in enumerate(material.MATERIAL[exercise].items()):
        codes.append(prepare(name, [source]))
        for j, (kind, kinds) in enumerate(DISGUISES.items()):
            copy = f"{name}~{kind}"
            codes.append(prepare(copy, material.disguise(source, KEEP, seed=100 * i + j, kinds=kinds)))
            planted.append((name, copy))
    return codes, planted


def _scores(analysis):
    found = {(p.a, p.b): p.score for p in analysis.pairs}
    return lambda a, b: found.get((min(a, b), max(a, b)), 0.0)


def test_normalise_ignores_names_literals_and_comments():
    assert normalise("out_h = (H + 2*pad - fh) // stride + 1  # size") == \
        normalise("oh=(height+2*p-k)//s+1") == ["V", "=", "(", "V", "+", "N", "*", "V", "-", "V", ")", "//", "V", "+", "N"]
    assert normalise("x.reshape(N, -1)")[:3] == ["V", ".", "reshape"]  # library attributes stay
    assert normalise("for i in range(len(s)): print('x')")[:6] == ["for", "V", "in", "range", "(", "len"]


def test_prepare_drops_prints_imports_magics_docstrings_and_the_template():
    cells = ['%matplotlib inline\nimport numpy as np\nfrom numpy import pad', 'def f(x):\n    """Doc\n    string."""\n'
             '    y = x + 1  # add\n    print("y is",\n          y)\n    assert y.shape\n    return y']
    code = prepare("t", cells, template_cells=["def f(x):"])
    assert code.tokens == ("V", "=", "V", "+", "N", "return", "V")
    assert code.lines[0] == "%matplotlib inline" and None in code.lines  # shown as written, cells separated


@pytest.mark.parametrize("exercise", sorted(material.MATERIAL))
def test_every_planted_pair_ranks_above_every_independent_pair(exercise):
    codes, planted = _class(exercise)
    sources = {n: prepare(n, [s]) for n, s in known_sources(GRADED[exercise]).items()}
    score = _scores(analyse(exercise, codes, sources))
    independent = [score(a, b) for a, b in itertools.combinations(material.MATERIAL[exercise], 2)]
    copies = [score(a, b) for a, b in planted]
    assert min(copies) > max(independent), (min(copies), max(independent))
    assert min(copies) >= THRESHOLD > max(independent)


@pytest.mark.parametrize("exercise", sorted(material.MATERIAL))
def test_every_pair_of_planted_copies_of_one_solution_is_linked(exercise):
    codes, planted = _class(exercise)
    analysis = analyse(exercise, codes)
    groups = analysis.groups()
    originals = material.MATERIAL[exercise]
    assert len(groups) == len(originals)  # one clique per copied solution, no more
    for name in originals:
        members = {name} | {c for a, c in planted if a == name}
        assert (exercise, tuple(sorted(members))) in groups


def test_copying_the_book_is_told_from_copying_a_classmate():
    book = known_sources(GRADED["4_4"])["book"]
    classmate = material.IM2COL["as_strided"]
    codes = [prepare("copied_book", material.disguise(book, KEEP, seed=1)),
             prepare("also_book", material.disguise(book, KEEP, seed=2)),
             prepare("author", [classmate]),
             prepare("copier", material.disguise(classmate, KEEP, seed=3)),
             *[prepare(n, [s]) for n, s in material.IM2COL.items() if n not in ("as_strided",)]]
    sources = {n: prepare(n, [s]) for n, s in known_sources(GRADED["4_4"]).items()}
    analysis = analyse("4_4", codes, sources)
    pairs = {(p.a, p.b): p for p in analysis.pairs}
    assert pairs["author", "copier"].score >= THRESHOLD and pairs["author", "copier"].source_share < 0.2
    both = pairs["also_book", "copied_book"]
    assert both.score >= THRESHOLD and both.source_share > 0.8 and both.source == "book"
    matched = {(m.trainee, m.source) for m in analysis.sources if m.score >= THRESHOLD}
    assert {("copied_book", "book"), ("also_book", "book")} <= matched
    assert not any(t in ("author", "copier") for t, _ in matched)


def test_matched_lines_are_the_copied_lines():
    source = material.CONVOLUTION["window_sum"]
    extra = "\n\ndef helper_of_my_own(values):\n    total = 0\n    for v in values:\n        total = total * 3 - v\n" \
            "    while total > 100:\n        total //= 7\n    return total\n"
    codes = [prepare("a", [source]), prepare("b", [source + extra])]
    [pair] = analyse("4_1", codes).pairs
    lines_b = codes[1].lines
    own = {i + 1 for i, line in enumerate(lines_b) if line is not None and i >= len(source.splitlines())}
    assert pair.matched_lines_b and not set(pair.matched_lines_b) & own
    assert any("np.sum" in lines_b[n - 1] for n in pair.matched_lines_b)


def test_a_large_synthetic_class_finds_its_planted_pairs():
    """300 trainees: variants of the six styles with their own renaming (independent-looking),
    and ten planted copies; every planted pair is found at or above the threshold."""
    rng = random.Random(5)
    styles = list(material.IM2COL.values())
    codes = []
    for i in range(290):
        src = material.rename(styles[i % len(styles)], KEEP, rng)
        codes.append(prepare(f"t{i:03d}", [src]))
    planted = []
    for j in range(10):
        victim = codes[rng.randrange(290)]
        source = "\n".join(line for line in victim.lines if line is not None)
        copy = f"copy{j}"
        codes.append(prepare(copy, material.disguise(source, KEEP, seed=j)))
        planted.append((victim.trainee, copy))
    score = _scores(analyse("4_4", codes))
    assert all(score(a, b) >= THRESHOLD for a, b in planted)


def test_pair_pages_are_autoescaped_and_the_json_is_a_list(tmp_path):
    evil = "<script>alert(1)</script>"
    source = material.CONVOLUTION["scalar_loops"]
    codes = [prepare(evil, [source + f"\n# {evil}\n"]), prepare("b", material.disguise(source, KEEP, seed=4))]
    analysis = analyse("4_1", codes)
    shown = write_similarity(tmp_path, {"4_1": analysis}, template_environment(), "ja")
    data = json.loads((tmp_path / "similarity.json").read_text(encoding="utf-8"))
    assert isinstance(data, list) and data[0]["exercise"] == "4_1" and 0 <= data[0]["score"] <= 1
    assert {"a", "b", "matched_lines_a", "matched_lines_b"} <= set(data[0])
    [entry] = shown["pairs"]
    html = (tmp_path / entry["file"]).read_text(encoding="utf-8")
    assert evil not in html and "&lt;script&gt;" in html and "<mark>" in html
    assert entry["file"] == f"similarity/{pair_file('4_1', *sorted([evil, 'b']))}"


@pytest.mark.slow
def test_grade_writes_the_similarity_report_and_no_similarity_skips_it(tmp_path):
    """``grader grade`` on a class of three (two hand in the same 4_4, disguised): the pair is
    in ``similarity.json``, in the summary's section and on its own page; scores are untouched;
    ``similarity=False`` writes none of it."""
    from grader.classroom.batch import BatchOptions, grade_class
    from nbfactory import make_notebook

    subs = tmp_path / "subs"
    for trainee, cells in (("author", [material.IM2COL["windows_loop"]]),
                           ("copier", material.disguise(material.IM2COL["windows_loop"], KEEP, seed=9)),
                           ("other", [material.IM2COL["sliding_window_view"]])):
        (subs / trainee).mkdir(parents=True)
        make_notebook(subs / trainee / "4_4_im2col_col2im_trainee.ipynb", cells, exercise="4_4")
    options = BatchOptions(workers=2, seed=3, exercises=("4_4",), lang="ja", progress=False)
    out = tmp_path / "out"
    grade_class(subs, out, options)
    pairs = json.loads((out / "similarity.json").read_text(encoding="utf-8"))
    top = pairs[0]
    assert (top["a"], top["b"]) == ("author", "copier") and top["score"] >= THRESHOLD
    assert all(p["score"] < THRESHOLD for p in pairs[1:])
    summary = (out / "index.html").read_text(encoding="utf-8")
    assert 'id="similarity"' in summary and pair_file("4_4", "author", "copier") in summary
    assert (out / "similarity" / pair_file("4_4", "author", "copier")).is_file()
    results = json.loads((out / "results.json").read_text(encoding="utf-8"))
    assert {r["trainee"]: r["score"] for r in results} == {"author": 10, "copier": 10, "other": 10}
    quiet = tmp_path / "quiet"
    grade_class(subs, quiet, BatchOptions(workers=2, seed=3, exercises=("4_4",), lang="ja", progress=False,
                                          similarity=False))
    assert not (quiet / "similarity.json").exists() and 'id="similarity"' not in (quiet / "index.html").read_text(
        encoding="utf-8")
