"""Properties of grader/reports/safe_text.py for *any* string (lone surrogates included, as
``os.fsdecode`` makes them of undecodable folder names): terminal text keeps no control, bidi or
invisible character and loses nothing (the escapes decode back to the text), an HTML report
shows a message only escaped, a CSV cell a spreadsheet would run gets its quote and any other
text is left alone, every name maps to one stable ASCII file name of its own, and a name that
hides a character or borrows a classmate's name with look-alike letters is reported.

Replaces the hand-picked lists of tests/test_text_as_data.py (``test_a_cell_a_spreadsheet_would_
run_gets_a_quote``, ``test_ordinary_text_is_left_alone``, ``test_report_file_name_is_a_slug_plus_
a_hash``, ``test_names_that_differ_only_in_case_or_a_hidden_character_get_different_files``):
each of their cases is an ``@example``.
"""
from __future__ import annotations

import re
import string
import unicodedata

import markupsafe
from hypothesis import example, given
from hypothesis import strategies as st

from grader.reports.report import render_html
from grader.reports.safe_text import _IGNORABLE, _LOOKALIKES, csv_cell, name_findings, report_file_name, visible
from strategies import MANY, RENDERS, SOME
from test_text_as_data import RLO, TRIGGERS, _result

# Every code point (surrogates included), with the characters safe_text escapes drawn often:
# among 1.1 million code points they are too rare to be met by chance, and hypothesis' choice
# within a category or a list stays near its start (200 examples never met U+061C or U+E0041).
# So they are listed (0.3 s, once) in groups by the length of their escape, one group drawn
# as often as another.
ESCAPED_CATEGORIES = ("Cc", "Cf", "Cs", "Zl", "Zp")
_LISTED = sorted({chr(c) for c in range(0x110000) if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")}
                 | _IGNORABLE | {chr(c) for c in range(0xE0100, 0xE01F0)})  # + variation selectors supplement
HIDDEN = st.one_of(*(st.sampled_from([ch for ch in _LISTED if low <= ord(ch) < high])
                     for low, high in ((0, 0x100), (0x100, 0x1000), (0x1000, 0x10000), (0x10000, 0x110000))),
                   st.characters(codec=None, categories=("Cs",)))
# (text(characters() | HIDDEN) would merge both into one range of code points: pieces joined.)
ANY_TEXT = st.lists(st.text(st.characters(codec=None), max_size=4) | HIDDEN, max_size=8).map("".join)
SPACES = " \u3000\n\x0b\x0c\x00\u200b\u2060\x01\u202e"  # some of what csv_cell skips: spaces, controls, format characters
STARTS = TRIGGERS + ("\uff1d", "\uff0b", "\uff0d", "\uff20")  # and the full-width = + - @


def _unescape(shown: str) -> str:
    """Read ``\\xNN``, ``\\uNNNN`` and ``\\UNNNNNNNN`` escapes back (the text has no backslash)."""
    return shown.encode("latin-1", "backslashreplace").decode("unicode_escape")


# --- terminals (and HTML through the template environment's finalize) ------------------------

@MANY
@given(text=ANY_TEXT, multiline=st.booleans())
@example(text="\x1b[2J\x1b[H\x1b[32mScore: 10 / 10\x1b[0m", multiline=True)
@example(text=f"evil{RLO}gnp.exe\r\n\u2028\ud800\U000e0041\ufe0f", multiline=False)
def test_visible_text_keeps_no_hidden_character_and_loses_nothing(text, multiline):
    shown = visible(text, multiline=multiline)
    kept = "\n\t" if multiline else ""
    assert not [ch for ch in shown if unicodedata.category(ch) in ESCAPED_CATEGORIES and ch not in kept]
    assert visible(shown, multiline=multiline) == shown
    if "\\" not in text:
        assert _unescape(shown) == text
    if text.isascii() and text.isprintable():
        assert shown == text


@RENDERS
@given(text=ANY_TEXT)
@example(text='<script>alert(1)</script>&"\'\x1b[2J')
def test_an_html_report_shows_a_message_only_escaped(text):
    """Every place the message appears (between two private-use markers) holds it visible and
    HTML-escaped, never raw."""
    html = render_html(_result(f"\ue000{text}\ue001"), "en")
    shown = re.findall("\ue000(.*?)\ue001", html, flags=re.S)
    assert shown and set(shown) == {str(markupsafe.escape(visible(text)))}
    assert not [ch for ch in html if unicodedata.category(ch) in ESCAPED_CATEGORIES and ch not in "\n\t"]


# --- CSV -------------------------------------------------------------------------------------

def _after_lead(text: str) -> str:
    """``text`` after what a spreadsheet skips before it reads a formula: white space, control
    and format characters (a tab or CR is itself a trigger)."""
    start = 0
    while start < len(text) and text[start] not in STARTS and (
            text[start].isspace() or unicodedata.category(text[start]) in ("Cc", "Cf")):
        start += 1
    return text[start:]


@MANY
@given(before=st.text(st.sampled_from(SPACES), max_size=3), start=st.sampled_from(STARTS), rest=ANY_TEXT)
@example(before="", start="=", rest="1+1")
@example(before="", start="+", rest="1+1")
@example(before="", start="-", rest="1+1")
@example(before="", start="@", rest="1+1")
@example(before="", start="\t", rest="1+1")
@example(before="", start="\r", rest="1+1")
@example(before="", start="\uff1d", rest="1+1")
@example(before=" ", start="=", rest="1+1")
def test_a_cell_a_spreadsheet_would_run_gets_a_quote(before, start, rest):
    value = before + start + rest
    assert csv_cell(value) == "'" + value
    assert csv_cell(csv_cell(value)) == csv_cell(value)  # quoted once, not again


@MANY
@given(text=ANY_TEXT.filter(lambda t: not _after_lead(t).startswith(STARTS) and not t.startswith(STARTS)))
@example(text="alice")
@example(text="山田 太郎")
@example(text="1.5")
@example(text="")
@example(text="o'brien")
def test_ordinary_text_is_left_alone(text):
    assert csv_cell(text) == text


# --- report file names -----------------------------------------------------------------------

FILE = re.compile(r"(?P<slug>[0-9a-z]+(?:-[0-9a-z]+)*)-[0-9a-f]{8}\.html")


@MANY
@given(name=ANY_TEXT, slug=st.none())
@example(name="山田", slug="trainee")
@example(name="yamada", slug="yamada")
@example(name="Zoë O'Brien", slug="zoe-o-brien")
@example(name="../../etc/passwd", slug="etc-passwd")
@example(name=f"a{RLO}b", slug="ab")
@example(name="CON", slug="con")
def test_report_file_name_is_an_ascii_slug_plus_a_hash(name, slug):
    file = report_file_name(name)
    match = FILE.fullmatch(file)
    assert match and len(match["slug"]) <= 40 and file.isascii() and "/" not in file
    assert file == report_file_name(name)  # stable
    assert file == report_file_name(unicodedata.normalize("NFD", name))  # the same name in NFD: the same file
    if slug is not None:
        assert file.startswith(slug + "-") and file.endswith(".html")


@SOME
@given(names=st.lists(ANY_TEXT, max_size=8, unique_by=lambda n: unicodedata.normalize("NFC", n)))
@example(names=["alice", "Alice", f"alice{RLO}", "alice\u200b", "ａｌｉｃｅ"])
def test_different_names_get_different_files_even_on_a_case_insensitive_disk(names):
    assert len({report_file_name(n).lower() for n in names}) == len(names)


# --- names that hide or impersonate (added; the class-summary test of test_text_as_data stays) --

LUNATE_SIGMA = "\u03f2"  # in the table; NFKC alone makes it a final sigma (see the test below)
_LATIN_OF = {}
for _other, _latin in ((chr(k), v) for k, v in _LOOKALIKES.items()):
    _LATIN_OF.setdefault(_latin, []).append(_other)
LATIN_NAMES = st.text(string.ascii_letters, min_size=1, max_size=8).filter(lambda n: any(ch in _LATIN_OF for ch in n))


@SOME
@given(name=LATIN_NAMES, data=st.data())
@example(name="alice", data=None)
def test_a_name_with_look_alike_letters_is_reported_as_looking_like_the_classmate(name, data):
    """Any Latin letters of a classmate's name replaced by Cyrillic, Greek or Latin look-alikes
    (``а`` for ``a``): each of the two is reported as looking like the other, and the spoof as
    mixing scripts when Latin letters are left in it."""
    swappable = [i for i, ch in enumerate(name) if ch in _LATIN_OF]
    if data is None:  # the former test's spoof: Cyrillic a in alice
        chosen, spoof = [0], "\u0430" + name[1:]
    else:
        chosen = data.draw(st.lists(st.sampled_from(swappable), min_size=1, unique=True))
        letters = list(name)
        for i in chosen:
            letters[i] = data.draw(st.sampled_from(_LATIN_OF[name[i]]))
        spoof = "".join(letters)
    findings = name_findings([name, spoof])
    looks = {(f["trainee"], f["other"]) for f in findings if f["kind"] == "looks-like"}
    assert looks == {(name, spoof), (spoof, name)}
    mixed = any(f["trainee"] == spoof and f["kind"] == "mixed-script" for f in findings)
    scripts = {unicodedata.name(ch).split()[0] for ch in spoof}
    assert mixed == ("LATIN" in scripts and len(scripts) > 1)


@SOME
@given(name=ANY_TEXT, hidden=HIDDEN, data=st.data())
@example(name="bob", hidden=RLO, data=None)
def test_a_name_with_a_hidden_character_is_reported_naming_it(name, hidden, data):
    """Any control, bidi or invisible character put anywhere into any name: the name is reported
    once as hiding characters, in ASCII; when it was the only one, by its code point and name."""
    at = len(name) if data is None else data.draw(st.integers(0, len(name)))
    spoof = name[:at] + hidden + name[at:]
    found = [f for f in name_findings([spoof]) if f["kind"] == "hidden"]
    assert len(found) == 1 and found[0]["trainee"] == spoof and found[0]["detail"].isascii()
    if not any(ch in _LISTED or unicodedata.category(ch) == "Cs" for ch in name):
        assert found[0]["detail"] == f"U+{ord(hidden):04X} {unicodedata.name(hidden, '?')}"


def test_a_name_with_a_lunate_sigma_for_c_is_reported_as_looking_like_the_classmate():
    """Found by the property above: ``ϲ`` (U+03F2 GREEK LUNATE SIGMA SYMBOL) is in the table as
    ``c``, but the skeleton applied NFKC first, which makes it ``ς`` (U+03C2, not in the table):
    ``ϲоре`` (Greek and Cyrillic only, so not mixed-script either) and ``cope`` were not reported.
    The skeleton now applies the table before NFKC as well."""
    findings = name_findings(["cope", LUNATE_SIGMA + "\u043e\u0440\u0435"])
    assert {f["kind"] for f in findings} == {"looks-like"}
