"""The class roster: a CSV with the columns ``id,name`` (required) and ``email``, ``lms_id``,
``section`` (optional), UTF-8 with or without a BOM. A trainee's ``id`` is what their
submission is named by (folder, zip or ``<id>_4_x`` file); ``name`` is shown in the reports;
``lms_id`` is the LMS's SIS id (Canvas), ``email`` the identifier Moodle matches.

A bad roster is a usage error (exit 2) whose message names the file and the line."""
from __future__ import annotations

import csv
import io
import unicodedata
from dataclasses import asdict, dataclass
from pathlib import Path

from grader.errors import UsageError

__all__ = ["Member", "RosterError", "read_roster", "parse_roster", "normal_id", "REQUIRED", "OPTIONAL"]

REQUIRED = ("id", "name")
OPTIONAL = ("email", "lms_id", "section")
MAX_ROSTER_BYTES = 8 * 1024 * 1024


class RosterError(UsageError):
    """A roster that cannot be used: the message names the file and the line."""


@dataclass(frozen=True)
class Member:
    """One trainee of the roster (``line``: where it was read, 0 when not from a file)."""

    id: str
    name: str
    email: str = ""
    lms_id: str = ""
    section: str = ""
    line: int = 0

    def to_dict(self) -> dict:
        return asdict(self)


def normal_id(value: str) -> str:
    """A trainee id as matched: NFC, surrounding white space removed."""
    return unicodedata.normalize("NFC", str(value)).strip()


def read_roster(path: Path, lang: str = "ja") -> tuple[Member, ...]:
    """The members of the roster file ``path``, in file order."""
    path = Path(path)
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise RosterError.keyed("roster_too_large", path=path, limit=f"{MAX_ROSTER_BYTES:,}")
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError.keyed("roster_unreadable", path=path, problem=exc.strerror or exc) from None
    try:
        content = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise RosterError.keyed("roster_not_utf8", path=path, line=line) from None
    return parse_roster(content, path, lang)


def parse_roster(content: str, path, lang: str = "ja") -> tuple[Member, ...]:
    """The members of a roster given as text (``path`` only names it in messages)."""
    reader = csv.reader(io.StringIO(content.removeprefix("\ufeff"), newline=""))
    header = next(reader, None)
    columns = [normal_id(h).lower() for h in (header or [])]
    missing = [c for c in REQUIRED if c not in columns]
    if missing:
        raise RosterError.keyed("roster_missing_column", path=path, line=1, columns=", ".join(missing),
                               found=", ".join(columns) or "-")
    index = {c: columns.index(c) for c in (*REQUIRED, *OPTIONAL) if c in columns}
    members: list[Member] = []
    seen: dict[str, int] = {}
    for row in reader:
        line = reader.line_num  # the file's line where this record ends
        if not any(cell.strip() for cell in row):
            continue  # blank lines are not trainees
        cell = {c: normal_id(row[i]) if i < len(row) else "" for c, i in index.items()}
        if not cell["id"]:
            raise RosterError.keyed("roster_empty_id", path=path, line=line)
        if cell["id"] in seen:
            raise RosterError.keyed("roster_duplicate_id", path=path, line=line, id=cell["id"],
                                   first=seen[cell["id"]])
        seen[cell["id"]] = line
        members.append(Member(cell["id"], cell["name"] or cell["id"], cell.get("email", ""), cell.get("lms_id", ""),
                              cell.get("section", ""), line))
    if not members:
        raise RosterError.keyed("roster_empty", path=path)
    return tuple(members)


def record_run_options(book, roster, source: str, late, found, lang: str = "ja", submitted: dict | None = None) -> list[str]:
    """Store what a ``grader grade`` run says about the class in its gradebook: the roster
    (``None``: keep the stored one), the late policy and submission times (``late``: a
    :class:`~grader.classroom.late.PolicyUpdate` over the stored policy, a whole
    :class:`~grader.classroom.late.LatePolicy`, or ``None``: keep). ``found``: the trainees who
    submitted; ``submitted``: ``{trainee: timestamp}`` (older callers). Returns the warnings."""
    from datetime import datetime, timezone

    from grader.classroom.late import LatePolicy, PolicyUpdate, resolve_policy, times_warnings

    if roster is not None:
        book.set_roster(roster, source)
    stored, warnings, times = book.late_policy(), [], None
    if isinstance(late, PolicyUpdate):
        policy, warnings = resolve_policy(late, stored, lang)
        times = late.times
    else:
        policy = late if late is not None else (stored or LatePolicy())
    if submitted:
        times = {normal_id(t): (datetime.fromtimestamp(ts, timezone.utc).isoformat(), 0) for t, ts in submitted.items()}
    book.set_late_policy(policy, times)
    if times is not None:
        members = book.roster()
        class_ids = {m.id for m in members} if members is not None else {normal_id(t) for t in found}
        warnings += times_warnings(times, class_ids, lang)
    return warnings
