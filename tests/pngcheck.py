"""Just enough PNG decoding (8-bit RGB/RGBA, non-interlaced) to tell a blank screenshot from a real one."""
from __future__ import annotations

import struct
import zlib


def _unfilter(raw: bytes, width: int, height: int, bpp: int) -> list[bytes]:
    stride = width * bpp
    rows, prev, pos = [], bytearray(stride), 0
    for _ in range(height):
        kind, line = raw[pos], bytearray(raw[pos + 1: pos + 1 + stride])
        pos += 1 + stride
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b, c = prev[i], prev[i - bpp] if i >= bpp else 0
            if kind == 1:
                line[i] = (line[i] + a) & 255
            elif kind == 2:
                line[i] = (line[i] + b) & 255
            elif kind == 3:
                line[i] = (line[i] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return rows


def png_stats(data: bytes) -> dict:
    """``{"width", "height", "colours", "dark_fraction"}`` of an 8-bit RGB(A) PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    assert depth == 8 and colour_type in (2, 6) and interlace == 0, header
    bpp = 3 if colour_type == 2 else 4
    rows = _unfilter(zlib.decompress(idat), width, height, bpp)
    colours, dark = set(), 0
    for row in rows[::4]:
        for x in range(0, len(row), bpp * 4):
            pixel = row[x:x + 3]
            colours.add(pixel)
            dark += sum(pixel) < 384
    sampled = len(rows[::4]) * len(range(0, width * bpp, bpp * 4))
    return {"width": width, "height": height, "colours": len(colours), "dark_fraction": dark / sampled}
