"""IPython syntax as Python, in one linear pass, for the static scan (:mod:`grader.grading.integrity`).

IPython's own ``TransformerManager`` re-tokenises the whole cell after each line it rewrites
(quadratic: a 38 KB cell of ``!`` lines took 86 s, and it gives up after 500 lines). Here a
small scanner walks the source once, skipping strings and comments and counting brackets, and
rewrites every line whose logical line starts with IPython syntax (``!cmd``, ``%magic``,
``x = !cmd``, ``obj?``, the ``/ , ;`` autocall escapes) as IPython would, keeping the line
numbers. A cell magic's body and the statement of ``%time``-like line magics are returned as
embedded code, to be scanned as code.
"""
from __future__ import annotations

import re

__all__ = ["python_source", "NOT_PYTHON", "CODE_MAGICS"]

NOT_PYTHON = {"bash", "sh", "script", "html", "HTML", "javascript", "js", "latex", "markdown", "svg", "perl",
              "ruby", "sx", "system", "!"}  # cell magics whose body is not Python
CODE_MAGICS = {"time", "timeit", "prun", "debug", "capture"}  # line magics whose argument is a statement

_TOKEN = re.compile(r"\"\"\"|'''|\"|'|#[^\n]*|[(\[{]|[)\]}]|\\\r?\n|\n")
_STRING_END = {q: re.compile(r"\\.|" + re.escape(q) + ("" if len(q) == 3 else r"|\n"), re.S)
               for q in ('"""', "'''", '"', "'")}
_IPYTHON_LINE = re.compile(r"[ \t]*(?:[!%?,;/]|[\w.\[\]()]+\?{1,2}[ \t]*$|[A-Za-z_][\w.,\[\]() \t*]*?=[ \t]*(?:!|%[A-Za-z_]))",
                           re.M)
_ASSIGN = re.compile(r"([A-Za-z_][\w.,\[\]() \t*]*?)[ \t]*=[ \t]*((?:!|%[A-Za-z_]).*)", re.S)


def _string_end(source: str, pos: int, quote: str) -> int:
    for m in _STRING_END[quote].finditer(source, pos):
        if m.group() == "\n":
            return m.start()  # an unterminated one-line string ends with its line
        if m.group()[0] != "\\":
            return m.end()
    return len(source)


def _line_end(source: str, pos: int) -> int:
    """The end of the physical line at ``pos``, with its backslash continuations."""
    end = source.find("\n", pos)
    while end > 0 and source[end - 1] == "\\":
        end = source.find("\n", end + 1)
    return len(source) if end < 0 else end


def _ipython_spans(source: str) -> list[tuple[int, int]]:
    """``(start, end)`` of every line whose logical line starts with IPython syntax."""
    spans, pos, depth, at_start, n = [], 0, 0, True, len(source)
    while pos < n:
        if at_start and depth == 0 and _IPYTHON_LINE.match(source, pos):
            end = _line_end(source, pos)
            spans.append((pos, end))
            pos = end + 1
            continue
        at_start = False
        m = _TOKEN.search(source, pos)
        if m is None:
            break
        token, pos = m.group(), m.end()
        if token in _STRING_END:
            pos = _string_end(source, pos, token)
        elif token in "([{":
            depth += 1
        elif token in ")]}":
            depth = max(0, depth - 1)
        elif token == "\n":
            at_start = True
    return spans


def _statement(args: str) -> str:
    """The statement of ``%timeit -n 10 f(x)``: leading options (and their values) dropped."""
    while args.startswith("-"):
        option, _, args = args.partition(" ")
        args = args.lstrip()
        if len(option) == 2 and option[1] in "nrpslTD":  # an option whose value is the next word
            args = args.partition(" ")[2].lstrip()
    return args


def _convert(line: str) -> tuple[str, str | None]:
    """One line of IPython syntax as a Python line (indentation kept), and the statement of a
    line magic that runs one (``%time stmt``), else ``None``."""
    indent, body = line[: len(line) - len(line.lstrip())], line.strip()
    target, code = "", None
    assign = _ASSIGN.fullmatch(body)
    if assign:
        target, body = assign.group(1) + " = ", assign.group(2)
    if body.endswith("?") and not body.startswith(("!", "%")):
        return f"{indent}{target}get_ipython().run_line_magic('pinfo', {body.strip('?')!r})", None
    esc = body[:2] if body[:2] in ("!!", "??", "%%") else body[:1]
    content = body[len(esc):]
    name, _, args = content.partition(" ")
    if esc in ("!", "!!"):
        call = f"get_ipython().{'system' if esc == '!' else 'getoutput'}({content!r})"
    elif esc in ("%", "%%"):
        name = name.lstrip("%")
        call = f"get_ipython().run_line_magic({name!r}, {args!r})"
        code = _statement(args.strip()) if name in CODE_MAGICS else None
    elif esc == ",":  # IPython's autocall escapes, rewritten as IPython does
        call = '{}("{}")'.format(name, '", "'.join(args.split()))
    elif esc == ";":
        call = f'{name}("{args}")'
    elif esc == "/":
        call = "{}({})".format(name, ", ".join(args.split()))
    else:
        call = f"get_ipython().run_line_magic('pinfo', {content!r})"
    return indent + target + call, code


def _cleanup(source: str) -> str:
    """IPython's own prompt stripping and dedent (linear), line numbers kept."""
    try:
        from IPython.core.inputtransformer2 import classic_prompt, ipython_prompt, leading_indent

        lines = source.splitlines(keepends=True)
        for transform in (leading_indent, classic_prompt, ipython_prompt):
            lines = transform(lines)
        return "".join(lines)
    except Exception:  # noqa: BLE001 - IPython missing or changed: the source as it is
        return source


def python_source(source: str) -> tuple[str, list[tuple[int, str]], str | None]:
    """``(python, embedded, cell_magic)``: ``source`` with its IPython syntax as Python calls
    (same line numbers); the code embedded in magics as ``(line offset, code)``; the name of
    the cell magic the cell starts with, if any (its body is then embedded code)."""
    source = _cleanup(source)
    first = len(source) - len(source.lstrip())
    if source.startswith("%%", first):
        header, _, body = source[first:].partition("\n")
        name = header[2:].split(" ", 1)[0]
        offset = source.count("\n", 0, first) + 1
        return "", ([] if name in NOT_PYTHON else [(offset, body)]), name
    pieces, embedded, done, row = [], [], 0, 0
    for start, end in _ipython_spans(source):
        line, code = _convert(re.sub(r"\\\r?\n", " ", source[start:end]))
        row += source.count("\n", done, start)  # the line index of ``start``, counted as we go
        if code:
            embedded.append((row, code))
        newlines = source.count("\n", start, end)
        pieces += [source[done:start], line, "\n" * newlines]
        row, done = row + newlines, end
    pieces.append(source[done:])
    return "".join(pieces), embedded, None
