"""Trainee text is data: names, file names and exception texts made safe for each medium they
reach. Terminals (and HTML, through the template environment's ``finalize``): control, bidi
and invisible characters shown as visible escapes (ESC -> ``\\x1b``, U+202E -> ``\\u202e``).
CSV: cells that a spreadsheet would run as a formula prefixed with ``'`` (OWASP). File names:
a readable ASCII slug plus a short hash of the exact name, so every name maps to its own,
stable file. Names: the ones that hide characters, mix Latin with Cyrillic or Greek within a
word, or look the same as a classmate's (same skeleton) are found for the class summary.

The skeleton is a deliberately small version of Unicode's UTS #39 confusables: NFKC (full-width
and compatibility forms), invisible and bidi characters dropped, and a map of the Cyrillic and
Greek letters that look like Latin ones. It does not know every confusable of Unicode
(e.g. Cherokee, mathematical alphanumerics beyond what NFKC folds, digit/letter look-alikes)."""
from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from typing import Iterable

__all__ = ["visible", "csv_cell", "report_file_name", "skeleton", "name_findings"]

# Escaped: categories Cc (C0/C1 controls), Cf (bidi controls U+202A-U+202E, U+2066-U+2069,
# U+200E/F, U+061C; zero-width characters; tags), Cs (lone surrogates), Zl and Zp; and these
# default-ignorable characters that are not of category Cf.
_IGNORABLE = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180b\u180c\u180d\u180e\u180f\u3164\uffa0"
                       + "".join(map(chr, range(0xFE00, 0xFE10))))
_KEPT = frozenset("\n\t")


def _needs_escape(ch: str, keep: frozenset) -> bool:
    if ch in keep:
        return False
    category = unicodedata.category(ch)
    return category in ("Cc", "Cf", "Cs", "Zl", "Zp") or ch in _IGNORABLE or "\U000e0100" <= ch <= "\U000e01ef"


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def visible(value, *, multiline: bool = True) -> str:
    """``value`` as text a terminal (or a browser) shows as it is: every control character
    (C0 and C1, ESC, CR, DEL), bidi control, invisible format character, lone surrogate and
    line/paragraph separator written as a visible escape (``\\x1b``, ``\\u202e``). Newlines and
    tabs are kept when ``multiline`` (tracebacks keep their lines); one-line fields (names in
    progress lines) escape them too. Everything else, Japanese included, is unchanged."""
    value = str(value)
    keep = _KEPT if multiline else frozenset()
    if value.isascii() and value.isprintable():
        return value
    return "".join(_escape(ch) if _needs_escape(ch, keep) else ch for ch in value)


# --- CSV ------------------------------------------------------------------------------------

_FORMULA_START = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")  # and the full-width forms


def csv_cell(value) -> str:
    """A text cell a spreadsheet will not run: a value starting with ``= + - @``, a tab or a CR
    (after any leading spaces or controls, and in their full-width forms) gets a leading ``'``
    (OWASP CSV injection). Only for text fields: numbers are written as numbers."""
    value = "" if value is None else str(value)
    start = 0
    while start < len(value) and value[start] not in _FORMULA_START and (
            value[start].isspace() or unicodedata.category(value[start]) in ("Cc", "Cf")):
        start += 1
    if value[:1] in _FORMULA_START or value[start:start + 1] in _FORMULA_START:
        return "'" + value
    return value


# --- file names -----------------------------------------------------------------------------

def _exact(name: str) -> bytes:
    return unicodedata.normalize("NFC", name).encode("utf-8", "surrogatepass")


def report_file_name(name: str, *, suffix: str = ".html", digits: int = 8) -> str:
    """``yamada-3f2a9c1b.html``: an ASCII slug of ``name`` (accents dropped, lower case, at most
    40 characters; ``trainee`` when nothing ASCII is left, as for ``山田``) and the first
    ``digits`` hex digits of the sha256 of the exact name (NFC). Different names get different
    files (the hash), the same name always the same one; safe on case-insensitive disks."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFC", name))
    ascii_only = folded.encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^0-9a-z]+", "-", ascii_only).strip("-")[:40].strip("-") or "trainee"
    return f"{slug}-{hashlib.sha256(_exact(name)).hexdigest()[:digits]}{suffix}"


# --- names that hide or impersonate ----------------------------------------------------------

_LOOKALIKES = str.maketrans({
    # Cyrillic
    "а": "a", "в": "b", "е": "e", "ё": "e", "к": "k", "м": "m", "н": "h", "о": "o", "р": "p", "с": "c",
    "т": "t", "у": "y", "х": "x", "ѕ": "s", "і": "i", "ї": "i", "ј": "j", "ԁ": "d", "һ": "h", "ԛ": "q",
    "ԝ": "w", "ӏ": "l",
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C",
    "Т": "T", "Х": "X", "У": "Y", "Ѕ": "S", "І": "I", "Ј": "J", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W", "Ӏ": "I",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X", "α": "a", "ο": "o", "ν": "v", "ι": "i", "κ": "k", "ρ": "p",
    "υ": "u", "τ": "t", "ϲ": "c", "ϳ": "j",
    # Latin letters that pass for others
    "ı": "i", "ȷ": "j",
})
_SCRIPTS = ("LATIN", "CYRILLIC", "GREEK")


def _hidden(ch: str) -> bool:
    return _needs_escape(ch, frozenset())


def skeleton(name: str) -> str:
    """What ``name`` looks like: NFKC, hidden characters dropped, Cyrillic and Greek letters
    that look Latin replaced by the Latin ones. Two names with one skeleton look the same."""
    # the table first too: NFKC itself folds some look-alikes into letters that look otherwise (ϲ -> ς)
    folded = unicodedata.normalize("NFKC", name.translate(_LOOKALIKES))
    return "".join(ch for ch in folded if not _hidden(ch)).translate(_LOOKALIKES)


def _script(ch: str) -> str | None:
    word = unicodedata.name(ch, "").split(" ", 1)[0]
    return word if word in _SCRIPTS else None


def _mixed_words(name: str) -> list[tuple[str, list[str]]]:
    """Words that mix Latin with Cyrillic or Greek, with the letters of the minority scripts."""
    found = []
    for word in re.findall(r"\w+", unicodedata.normalize("NFKC", name)):
        scripts = defaultdict(list)
        for ch in word:
            if ch.isalpha() and _script(ch):
                scripts[_script(ch)].append(ch)
        if "LATIN" in scripts and len(scripts) > 1:
            odd = [ch for s, chars in scripts.items() if s != "LATIN" for ch in chars]
            found.append((word, odd))
    return found


def _describe(chars: Iterable[str], most: int = 4) -> str:
    unique = list(dict.fromkeys(chars))
    shown = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '?')}" for ch in unique[:most])
    return shown + (f", +{len(unique) - most}" if len(unique) > most else "")


def name_findings(names: Iterable[str]) -> list[dict]:
    """Names an instructor should look at: ``{"trainee", "kind", "detail"}`` with ``kind``
    ``hidden`` (control, bidi or invisible characters), ``mixed-script`` (Latin with Cyrillic
    or Greek in one word) or ``looks-like`` (same skeleton as the trainee named in
    ``other``). ``detail`` names the characters (code points), in plain ASCII."""
    names = sorted(set(names))
    findings = []
    by_skeleton: dict[str, list[str]] = defaultdict(list)
    for name in names:
        hidden = [ch for ch in name if _hidden(ch)]
        if hidden:
            findings.append({"trainee": name, "kind": "hidden", "detail": _describe(hidden)})
        mixed = _mixed_words(name)
        if mixed:
            findings.append({"trainee": name, "kind": "mixed-script",
                             "detail": _describe(ch for _, odd in mixed for ch in odd)})
        by_skeleton[skeleton(name)].append(name)
    for group in by_skeleton.values():
        for name in group:
            for other in group:
                if other != name:
                    odd = [ch for ch in name if not ch.isascii()] or [ch for ch in other if not ch.isascii()]
                    findings.append({"trainee": name, "kind": "looks-like", "other": other,
                                     "detail": _describe(odd)})
    return findings
