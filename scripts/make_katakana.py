"""Render the Katakana-15 data set (ア イ ウ エ オ カ キ ク ケ コ サ シ ス セ ソ, 28x28 grayscale)
from Japanese fonts, deterministically, into ``reference/katakana_data/``.

    python scripts/make_katakana.py            # writes train.npz, test.npz, hidden.npz, MANIFEST.json
    python scripts/make_katakana.py --check    # renders again and compares with the shipped files

Every image: one font from its split's list, a random font size and ``stroke_width`` (Pillow
``ImageDraw.text``), then a random affine map (rotation, shear, anisotropic scale) and an
elastic displacement field (Simard et al. 2003) applied on a 64x64 canvas, then MNIST's
normalisation: the glyph's bounding box scaled so its longer side is 20 pixels, placed in 28x28
with its centre of mass at the centre (the hidden split also gets a small random offset).
Splits use disjoint font families. Randomness: one ``numpy.random.default_rng([SEED, split,
font, class])`` per (split, font, class), so the result does not depend on the order of work.
Needs the Debian fonts listed in ``FONTS`` (see docs/katakana.md); FreeType/Pillow versions
are recorded in the manifest because glyph rasterisation may differ slightly between them.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont, features
from scipy.ndimage import gaussian_filter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from reference.augment import _sample  # noqa: E402  (the same bilinear sampler as the exercises)

SCRIPT_VERSION = "1"
SEED = 20261130
CLASSES = "アイウエオカキクケコサシスセソ"
CANVAS = 64
OUT = Path(__file__).resolve().parents[1] / "reference" / "katakana_data"
ROOT = "/usr/share/fonts"

# (name, family, path under /usr/share/fonts, face index in a .ttc) per split. A family (one
# design lineage: the same designer, foundry series or source glyphs) never spans two splits:
# VL Gothic's kana come from M+, Aoyagi Kouzan T and the Kouzan brush fonts from one calligrapher.
FONTS = {
    "train": [
        ("Noto Sans CJK JP Regular", "Noto", "opentype/noto/NotoSansCJK-Regular.ttc", 0),
        ("Noto Sans CJK JP Bold", "Noto", "opentype/noto/NotoSansCJK-Bold.ttc", 0),
        ("Noto Serif CJK JP Regular", "Noto", "opentype/noto/NotoSerifCJK-Regular.ttc", 0),
        ("Noto Serif CJK JP Bold", "Noto", "opentype/noto/NotoSerifCJK-Bold.ttc", 0),
        ("IPAGothic", "IPA", "opentype/ipafont-gothic/ipag.ttf", 0),
        ("IPAMincho", "IPA", "opentype/ipafont-mincho/ipam.ttf", 0),
        ("IPAexGothic", "IPA", "opentype/ipaexfont-gothic/ipaexg.ttf", 0),
        ("IPAexMincho", "IPA", "opentype/ipaexfont-mincho/ipaexm.ttf", 0),
        ("MigMix 1M Regular", "M+", "truetype/migmix/migmix-1m-regular.ttf", 0),
        ("MigMix 1M Bold", "M+", "truetype/migmix/migmix-1m-bold.ttf", 0),
        ("Migu 1C Regular", "M+", "truetype/migmix/migu-1c-regular.ttf", 0),
        ("VL Gothic", "M+", "truetype/vlgothic/VL-Gothic-Regular.ttf", 0),
        ("Ume Gothic", "Ume", "truetype/horai-umefont/ume-tgo4.ttf", 0),
        ("Ume Gothic C5", "Ume", "truetype/horai-umefont/ume-tgc5.ttf", 0),
        ("Ume Mincho", "Ume", "truetype/horai-umefont/ume-tmo3.ttf", 0),
        ("Konatu", "Konatu", "truetype/konatu/Konatu.ttf", 0),
        ("kiloji", "kiloji", "truetype/kiloji/kiloji.ttf", 0),
        ("kiloji B", "kiloji", "truetype/kiloji/kiloji_b.ttf", 0),
        ("SetoFont", "Seto", "truetype/seto/setofont.ttf", 0),
        ("Aoyagi Soseki", "Soseki", "truetype/aoyagi-soseki/aoyagi-soseki.ttf", 0),
    ],
    "test": [
        ("BIZ UDGothic Regular", "BIZ UD", "truetype/bizud-gothic/BIZUDGothic-Regular.ttf", 0),
        ("BIZ UDGothic Bold", "BIZ UD", "truetype/bizud-gothic/BIZUDGothic-Bold.ttf", 0),
        ("BIZ UDMincho", "BIZ UD", "truetype/bizud-mincho/BIZUDMincho-Regular.ttf", 0),
        ("Hanazono Mincho A", "Hanazono", "truetype/hanazono/HanaMinA.ttf", 0),
        ("Motoya L Cedar", "Motoya", "truetype/motoya-l-cedar/MTLc3m.ttf", 0),
        ("Motoya L Maruberi", "Motoya", "truetype/motoya-l-maruberi/MTLmr3m.ttf", 0),
    ],
    "hidden": [
        ("Kouzan Brush", "Kouzan", "truetype/kouzan-mouhitsu/kouzan-mouhitsu.ttf", 0),
        ("Aoyagi Kouzan T", "Kouzan", "truetype/aoyagi-kouzan-t/AoyagiKouzanT.ttf", 0),
        ("Dejima Mincho", "Dejima", "truetype/dejima-mincho/dejima-mincho-r227.ttf", 0),
        ("Sawarabi Gothic", "Sawarabi", "truetype/sawarabi-gothic/sawarabi-gothic-medium.ttf", 0),
        ("Sawarabi Mincho", "Sawarabi", "truetype/sawarabi-mincho/sawarabi-mincho-medium.ttf", 0),
    ],
}
PER_FONT_CLASS = {"train": 48, "test": 35, "hidden": 40}
# rotation (degrees), shear, scale range, elastic amplitude (canvas pixels), stroke widths, offset
DISTORT = {
    "train": {"rotate": 6.0, "shear": 0.12, "scale": (0.92, 1.08), "elastic": 1.2, "stroke": (0, 2), "offset": 0},
    "test": {"rotate": 11.0, "shear": 0.18, "scale": (0.88, 1.12), "elastic": 1.8, "stroke": (0, 3), "offset": 1},
    "hidden": {"rotate": 16.0, "shear": 0.25, "scale": (0.85, 1.15), "elastic": 2.4, "stroke": (0, 3), "offset": 2},
}
SPLIT_INDEX = {"train": 0, "test": 1, "hidden": 2}


def render_glyphs(path: str, index: int, char: str, rng, n: int, stroke: tuple) -> np.ndarray:
    """n renderings of one character, centred on the canvas: (n, 1, CANVAS, CANVAS) in [0, 1]."""
    out = np.zeros((n, 1, CANVAS, CANVAS))
    sizes = rng.integers(40, 49, n)
    widths = rng.integers(stroke[0], stroke[1] + 1, n)
    for i, (size, width) in enumerate(zip(sizes, widths)):
        font = ImageFont.truetype(path, int(size), index=index)
        img = Image.new("L", (CANVAS, CANVAS), 0)
        ImageDraw.Draw(img).text((CANVAS / 2, CANVAS / 2), char, fill=255, font=font, anchor="mm",
                                 stroke_width=int(width), stroke_fill=255)
        out[i, 0] = np.asarray(img, dtype=np.float64) / 255.0
    return out


def distort(x: np.ndarray, rng, p: dict) -> np.ndarray:
    """Random affine map about the centre plus a smooth elastic field, bilinear."""
    n = x.shape[0]
    t = np.deg2rad(rng.uniform(-p["rotate"], p["rotate"], n))
    k = rng.uniform(-p["shear"], p["shear"], n)
    sr, sc = rng.uniform(*p["scale"], n), rng.uniform(*p["scale"], n)
    cos, sin = np.cos(t), np.sin(t)
    lin = np.stack([np.stack([cos / sr, (-sin + k) / sr], -1), np.stack([sin / sc, cos / sc], -1)], -2)
    c = (CANVAS - 1) / 2.0
    g = np.arange(CANVAS, dtype=np.float64) - c
    rows = c + lin[:, 0, 0, None, None] * g[:, None] + lin[:, 0, 1, None, None] * g[None, :]
    cols = c + lin[:, 1, 0, None, None] * g[:, None] + lin[:, 1, 1, None, None] * g[None, :]
    field = gaussian_filter(rng.uniform(-1, 1, (n, 2, CANVAS, CANVAS)), sigma=(0, 0, 6, 6))
    field *= p["elastic"] / (field.std(axis=(2, 3), keepdims=True) + 1e-12)
    return _sample(x, rows + field[:, 0], cols + field[:, 1], "pil", 0.0)[:, 0]


def normalise(img: np.ndarray, rng, offset: int) -> np.ndarray:
    """MNIST's normalisation: longer side of the bounding box -> 20 px, centre of mass -> centre."""
    ys, xs = np.nonzero(img > 0.05)
    if len(ys) == 0:
        raise RuntimeError("empty glyph")
    box = img[ys.min():ys.max() + 1, xs.min():xs.max() + 1].astype(np.float32)
    h, w = box.shape
    scale = 20.0 / max(h, w)
    nh, nw = max(1, round(h * scale)), max(1, round(w * scale))
    small = np.asarray(Image.fromarray(box, mode="F").resize((nw, nh), Image.LANCZOS), dtype=np.float64)
    small = np.clip(small, 0.0, 1.0)
    cy, cx = (np.indices(small.shape) * small).reshape(2, -1).sum(1) / small.sum()
    top = int(np.clip(round(13.5 - cy) + rng.integers(-offset, offset + 1), 0, 28 - nh))
    left = int(np.clip(round(13.5 - cx) + rng.integers(-offset, offset + 1), 0, 28 - nw))
    out = np.zeros((28, 28))
    out[top:top + nh, left:left + nw] = small
    return np.round(out * 255).astype(np.uint8)


def build_split(split: str) -> dict:
    images, labels, font_ids = [], [], []
    p = DISTORT[split]
    for f, (_, _, rel, index) in enumerate(FONTS[split]):
        path = f"{ROOT}/{rel}"
        for k, char in enumerate(CLASSES):
            rng = np.random.default_rng([SEED, SPLIT_INDEX[split], f, k])
            n = PER_FONT_CLASS[split]
            warped = distort(render_glyphs(path, index, char, rng, n, p["stroke"]), rng, p)
            images.extend(normalise(img, rng, p["offset"]) for img in warped)
            labels.extend([k] * n)
            font_ids.extend([f] * n)
    order = np.random.default_rng([SEED, SPLIT_INDEX[split], 999]).permutation(len(labels))
    return {"x": np.stack(images)[order][:, None], "t": np.array(labels, np.uint8)[order],
            "font": np.array(font_ids, np.uint8)[order]}


def npz_bytes(arrays: dict) -> bytes:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def sha256_file(path: str) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=OUT)
    ap.add_argument("--check", action="store_true", help="compare a fresh rendering with the files in --out")
    args = ap.parse_args(argv)
    for split, fonts in FONTS.items():
        for name, _, rel, _ in fonts:
            if not Path(f"{ROOT}/{rel}").is_file():
                print(f"missing font {name}: {ROOT}/{rel} (see docs/katakana.md for the apt-get line)", file=sys.stderr)
                return 2
    start, cpu = time.perf_counter(), time.process_time()
    blobs = {split: npz_bytes(build_split(split)) for split in FONTS}
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu
    if args.check:
        same = all(np.array_equal(np.load(io.BytesIO(b))["x"], np.load(args.out / f"{s}.npz")["x"])
                   for s, b in blobs.items())
        print("identical" if same else "DIFFERENT (Pillow/FreeType or fonts differ?)")
        return 0 if same else 1
    args.out.mkdir(parents=True, exist_ok=True)
    manifest = {"script": "scripts/make_katakana.py", "script_version": SCRIPT_VERSION, "seed": SEED,
                "classes": list(CLASSES), "image": "28x28 uint8, 0 background, 255 ink",
                "pillow": Image.__version__, "freetype": features.version("freetype2"),
                "build_seconds": round(seconds, 1), "build_cpu_seconds": round(cpu_seconds, 1),
                "distortions": DISTORT, "per_font_and_class": PER_FONT_CLASS, "splits": {}}
    for split, blob in blobs.items():
        (args.out / f"{split}.npz").write_bytes(blob)
        manifest["splits"][split] = {
            "file": f"{split}.npz", "count": len(FONTS[split]) * len(CLASSES) * PER_FONT_CLASS[split],
            "bytes": len(blob), "sha256": hashlib.sha256(blob).hexdigest(),
            "fonts": [{"name": n, "family": fam, "file": rel, "face": i, "sha256": sha256_file(f"{ROOT}/{rel}")}
                      for n, fam, rel, i in FONTS[split]]}
    (args.out / "MANIFEST.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {args.out} in {seconds:.1f} s ({cpu_seconds:.1f} s CPU): "
          + ", ".join(f"{s} {m['count']} images {m['bytes'] / 1e6:.2f} MB" for s, m in manifest["splits"].items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
