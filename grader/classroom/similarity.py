"""Who handed in the same work: k-gram winnowing (as in MOSS) over each trainee's own code.

The code of an exercise's notebook is normalised before it is fingerprinted, so the disguises
a copier uses change nothing: comments, docstrings, whitespace, indentation and cell boundaries
are dropped; the trainee's identifiers become one token (library attributes after a dot and
builtins stay, since renaming cannot change them), numbers and strings become one token each;
import lines (their order), ``print``/``display``/``assert``/debugger lines and IPython magics
are dropped; lines the released trainee notebook already contained are dropped (everyone has
them). Each trainee's token stream is cut into k-grams, hashed, and winnowed (the smallest hash
of every window of ``w`` consecutive k-grams), which keeps a position-independent sample that
any shared run of ``w + k - 1`` tokens is guaranteed to hit.

Pairs are found through an inverted index (fingerprint -> trainees), never by comparing every
pair of notebooks; fingerprints that many trainees share (the exercise's boilerplate) are left
out. A pair's score is the shared fingerprints over the smaller of the two sets (containment),
in [0, 1]. Each trainee is also compared with the known sources (the reference and the
book-style code the course hands out), and each pair says which part of what it shares a known
source has too: "copied from a classmate" (a low share) is told from "both copied the
reference" (a high one). Similarity is
evidence for a human, never a score change.
"""
from __future__ import annotations

import builtins
import hashlib
import keyword
import re
from collections import defaultdict
from dataclasses import dataclass, field

__all__ = ["Code", "Pair", "SourceMatch", "Analysis", "normalise", "fingerprints", "prepare", "analyse",
           "K", "WINDOW", "THRESHOLD"]

K = 12          # tokens per k-gram: a statement and a half of normalised code
WINDOW = 6      # winnowing window: any shared run of K + WINDOW - 1 = 17 tokens is found
THRESHOLD = 0.5  # pairs at or above this are shown in the class summary (calibrated in the tests)
MIN_FINGERPRINTS = 12  # a pair score's denominator is at least this: tiny code cannot score 1
COMMON_FRACTION = 0.5  # a fingerprint more than half of the class (and at least 4) has is boilerplate
COMMON_MIN = 4

_TOKEN = re.compile(r"""
    (?P<string>[rRbBuUfF]{0,2}(?:'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"))
  | (?P<number>(?:0[xXoObB])?[0-9][0-9_]*(?:\.[0-9_]*)?(?:[eE][+-]?[0-9]+)?[jJ]?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<name>[^\W\d]\w*)
  | (?P<op>\*\*=?|//=?|>>=?|<<=?|->|:=|[-+*/%&|^@<>=!]=|[-+*/%&|^~@<>=.,:;()\[\]{}])
""", re.VERBOSE)
_TRIPLE = re.compile(r"[rRbBuUfF]{0,2}('''|\"\"\")(?:\\.|(?!\1).)*?\1", re.DOTALL)
_DROP_LINE = re.compile(r"""^\s*(?:
      [%!]                                    # IPython magics and shell lines
    | (?:import|from)\s+[\w.]+                # import lines: their order and set are not the work
    | (?:print|display|pprint|breakpoint)\s*\(  # inserted prints and debugging
    | (?:pdb|ipdb)\.set_trace\s*\(
    | assert\b
    | (?:[rRbBuUfF]{0,2}(?:'[^']*'|"[^"]*"))\s*$  # a lone string (a docstring line)
    | \#                                      # a comment line
)""", re.VERBOSE)
_BUILTINS = frozenset(dir(builtins)) | {"self"}


def _squash(line: str) -> str:
    return " ".join(line.split())


def _blank_triple_strings(source: str) -> str:
    """Triple-quoted strings replaced by a lone ``S`` string token, newlines kept (line numbers
    stay right)."""
    return _TRIPLE.sub(lambda m: "'S'" + "\n" * m.group(0).count("\n"), source)


def _statement_lines(lines: list[str]) -> list[bool]:
    """For each line, whether it is dropped: a dropped statement's continuation lines (open
    brackets) are dropped with it."""
    dropped = [False] * len(lines)
    depth, dropping = 0, False
    for i, line in enumerate(lines):
        code = line.split("#", 1)[0]
        if depth == 0:
            dropping = bool(_DROP_LINE.match(line)) or not code.strip()
        dropped[i] = dropping
        depth = max(0, depth + sum(code.count(c) for c in "([{") - sum(code.count(c) for c in ")]}"))
    return dropped


def normalise(line: str) -> list[str]:
    """The normalised tokens of one line of code (comments already cut)."""
    out = []
    previous = ""
    for match in _TOKEN.finditer(line.split("#", 1)[0]):
        kind, value = match.lastgroup, match.group()
        if kind == "string":
            out.append("S")
        elif kind == "number":
            out.append("N")
        elif kind == "name":
            keep = keyword.iskeyword(value) or previous == "." or value in _BUILTINS
            out.append(value if keep else "V")
        else:
            out.append(value)
        previous = value
    return out


@dataclass(frozen=True)
class Code:
    """One trainee's code for one exercise: ``lines`` as shown side by side (code cells in order,
    a ``None`` between cells), and the normalised ``tokens`` with the index of their line."""

    trainee: str
    lines: tuple
    tokens: tuple = ()
    token_lines: tuple = ()


def prepare(trainee: str, cells: list[str], template_cells: list[str] = ()) -> Code:
    """Normalise a trainee's code cells; lines of the released notebook (``template_cells``)
    are shown but not fingerprinted."""
    template = {_squash(line) for cell in template_cells for line in _blank_triple_strings(cell).splitlines()}
    lines: list = []
    tokens: list[str] = []
    token_lines: list[int] = []
    for cell in cells:
        if lines:
            lines.append(None)
        raw = cell.splitlines()
        blanked = _blank_triple_strings(cell).splitlines()
        blanked += [""] * (len(raw) - len(blanked))
        dropped = _statement_lines(blanked)
        for text, code, drop in zip(raw, blanked, dropped):
            index = len(lines)
            lines.append(text)
            if drop or _squash(code) in template:
                continue
            for token in normalise(code):
                tokens.append(token)
                token_lines.append(index)
    return Code(trainee, tuple(lines), tuple(tokens), tuple(token_lines))


def _hash(gram) -> int:
    return int.from_bytes(hashlib.blake2b("\x1f".join(gram).encode(), digest_size=8).digest(), "big")


def fingerprints(code: Code, k: int = K, window: int = WINDOW) -> dict[int, list[int]]:
    """Winnowed k-gram hashes -> the token positions where each starts."""
    tokens = code.tokens
    hashes = [_hash(tokens[i:i + k]) for i in range(len(tokens) - k + 1)]
    chosen: dict[int, list[int]] = defaultdict(list)
    if not hashes:
        return {}
    last = -1
    for start in range(max(1, len(hashes) - window + 1)):
        frame = hashes[start:start + window]
        low = min(frame)
        position = start + max(i for i, h in enumerate(frame) if h == low)  # the rightmost minimum
        if position != last:
            chosen[low].append(position)
            last = position
    return dict(chosen)


@dataclass(frozen=True)
class Pair:
    exercise: str
    a: str
    b: str
    score: float
    matched_lines_a: tuple = ()
    matched_lines_b: tuple = ()
    shared: int = 0
    source_share: float = 0.0     # the part of the shared fingerprints that a known source has too
    source: str | None = None     # the known source most of that part comes from

    def as_json(self) -> dict:
        return {"exercise": self.exercise, "a": self.a, "b": self.b, "score": round(self.score, 4),
                "matched_lines_a": list(self.matched_lines_a), "matched_lines_b": list(self.matched_lines_b),
                "shared_fingerprints": self.shared, "source_share": self.source_share, "source": self.source}


@dataclass(frozen=True)
class SourceMatch:
    exercise: str
    trainee: str
    source: str
    score: float
    matched_lines: tuple = ()

    def as_json(self) -> dict:
        return {"exercise": self.exercise, "trainee": self.trainee, "source": self.source,
                "score": round(self.score, 4), "matched_lines": list(self.matched_lines)}


@dataclass(frozen=True)
class Analysis:
    pairs: tuple = ()          # every pair with a shared fingerprint, best first
    sources: tuple = ()        # trainees whose code matches a known source, best first
    codes: dict = field(default_factory=dict)  # (exercise, trainee) -> Code, for the side-by-side view

    def above(self, threshold: float = THRESHOLD) -> list[Pair]:
        return [p for p in self.pairs if p.score >= threshold]

    def groups(self, threshold: float = THRESHOLD) -> list[tuple[str, tuple[str, ...]]]:
        """Connected sets of three or more trainees of one exercise, all linked by pairs at or
        above ``threshold``: one group, not a list of pairs."""
        parent: dict = {}

        def find(x):
            while parent.setdefault(x, x) != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x

        for p in self.above(threshold):
            parent[find((p.exercise, p.a))] = find((p.exercise, p.b))
        members: dict = defaultdict(set)
        for node in list(parent):
            members[find(node)].add(node)
        found = [(next(iter(m))[0], tuple(sorted(t for _, t in m))) for m in members.values() if len(m) >= 3]
        return sorted(found)


def _lines(code: Code, positions, k: int) -> tuple[int, ...]:
    """1-based display lines covered by the k-grams starting at ``positions``."""
    covered = set()
    for start in positions:
        for i in range(start, min(start + k, len(code.token_lines))):
            covered.add(code.token_lines[i] + 1)
    return tuple(sorted(covered))


def _score(shared: int, size_a: int, size_b: int) -> float:
    return min(1.0, shared / max(MIN_FINGERPRINTS, min(size_a, size_b))) if shared else 0.0


def analyse(exercise: str, codes: list[Code], sources: dict[str, Code] | None = None,
            k: int = K, window: int = WINDOW) -> Analysis:
    """Pairs of trainees of one exercise and their matches with known ``sources``
    (name -> Code). Linear in the class size, but for fingerprints shared by many."""
    prints = {c.trainee: fingerprints(c, k, window) for c in codes}
    source_prints = {name: fingerprints(code, k, window) for name, code in (sources or {}).items()}
    known: dict[int, str] = {}
    for name, fp in source_prints.items():
        for h in fp:
            known.setdefault(h, name)
    index: dict[int, list[str]] = defaultdict(list)
    for trainee, fp in prints.items():
        for h in fp:
            index[h].append(trainee)
    common = max(COMMON_MIN, int(COMMON_FRACTION * len(codes)))
    own = {t: [h for h in fp if len(index[h]) <= common] for t, fp in prints.items()}
    shared: dict[tuple[str, str], list[int]] = defaultdict(list)
    for h, trainees in index.items():
        if 2 <= len(trainees) <= common:
            trainees = sorted(trainees)
            for i, a in enumerate(trainees):
                for b in trainees[i + 1:]:
                    shared[(a, b)].append(h)
    by_name = {c.trainee: c for c in codes}
    pairs = []
    for (a, b), hs in shared.items():
        from_sources = [known[h] for h in hs if h in known]
        pairs.append(Pair(exercise, a, b, _score(len(hs), len(own[a]), len(own[b])),
                          _lines(by_name[a], [p for h in hs for p in prints[a][h]], k),
                          _lines(by_name[b], [p for h in hs for p in prints[b][h]], k), len(hs),
                          round(len(from_sources) / len(hs), 4),
                          max(set(from_sources), key=from_sources.count) if from_sources else None))
    pairs.sort(key=lambda p: (-p.score, p.a, p.b))
    matches = []
    for trainee, fp in prints.items():
        for name, sfp in source_prints.items():
            hs = [h for h in fp if h in sfp]
            if hs:
                matches.append(SourceMatch(exercise, trainee, name, _score(len(hs), len(fp), len(sfp)),
                                           _lines(by_name[trainee], [p for h in hs for p in fp[h]], k)))
    matches.sort(key=lambda m: (-m.score, m.trainee, m.source))
    return Analysis(tuple(pairs), tuple(matches), {(exercise, c.trainee): c for c in codes})
