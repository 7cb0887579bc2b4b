"""What a screenshot shows, read with Pillow: enough to tell a blank page from a rendered one."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image


def png_stats(data: bytes) -> dict:
    """``{"width", "height", "colours", "dark_fraction"}`` of a PNG, sampled on every fourth
    row and column (RGB; an alpha channel is dropped)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    with Image.open(io.BytesIO(data)) as image:
        pixels = np.asarray(image.convert("RGB"))
    sampled = pixels[::4, ::4].reshape(-1, 3)
    colours = len(np.unique(sampled, axis=0))
    dark = int((sampled.astype(np.int64).sum(axis=1) < 384).sum())
    return {"width": pixels.shape[1], "height": pixels.shape[0], "colours": colours,
            "dark_fraction": dark / len(sampled)}
