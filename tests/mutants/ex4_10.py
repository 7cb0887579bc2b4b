"""Mutants of exercise 4_10 (``augment(x, rng)``): a trainee's own NumPy augmentation (integer
shift, rotation by nearest-neighbour sampling, random erasing), changed. ``network`` is not
defined here (its check is judged in tests/test_grader_4_10.py)."""

AUGMENT = '''
def rotate_nn(img, deg):
    """Rotate one (28, 28) image by deg degrees about its centre (nearest neighbour)."""
    th = np.deg2rad(deg)
    c = (np.array(img.shape) - 1) / 2
    yy, xx = np.mgrid[0:img.shape[0], 0:img.shape[1]]
    sy = np.cos(th) * (yy - c[0]) - np.sin(th) * (xx - c[1]) + c[0]
    sx = np.sin(th) * (yy - c[0]) + np.cos(th) * (xx - c[1]) + c[1]
    sy, sx = np.rint(sy).astype(int), np.rint(sx).astype(int)
    ok = (sy >= 0) & (sy < img.shape[0]) & (sx >= 0) & (sx < img.shape[1])
    out = np.zeros_like(img)
    out[ok] = img[sy[ok], sx[ok]]
    return out


def augment(x, rng):
    out = np.array(x, dtype=np.float32, copy=True)
    for i in range(len(out)):
        img = rotate_nn(out[i, 0], rng.uniform(-15, 15))
        dy, dx = rng.integers(-2, 3, 2)
        img = np.roll(img, (dy, dx), axis=(0, 1))
        if rng.random() < 0.3:
            top, left = rng.integers(0, 22, 2)
            img[top:top + 6, left:left + 6] = 0.0
        out[i, 0] = img
    return out
'''

BASE = {"augment": AUGMENT}

def _edit(*pairs) -> str:
    source = AUGMENT
    for old, new in pairs:
        assert old in source, old
        source = source.replace(old, new)
    return source


# right answers in other styles, which must pass every augment check whatever the seed: the
# erased square filled with uniform noise (the 4_8 random_erasing(value="noise") way, Zhong et al.'s
# random fill), which adds ink to the blank "dot" images of the grader's batch
STYLES = {
    "augment_erasing_filled_with_noise": {"augment": _edit(
        ("""        if rng.random() < 0.3:
            top, left = rng.integers(0, 22, 2)
            img[top:top + 6, left:left + 6] = 0.0
""", """        if rng.random() < 0.5:  # Zhong et al.: area 2-20 %, aspect 0.3-3.3, random values
            s = rng.uniform(0.02, 0.2) * 28 * 28
            r = np.exp(rng.uniform(np.log(0.3), np.log(1 / 0.3)))
            h, w = (int(min(28, max(1, round(np.sqrt(v))))) for v in (s * r, s / r))
            top, left = rng.integers(0, 28 - h + 1), rng.integers(0, 28 - w + 1)
            img[top:top + h, left:left + w] = rng.random((h, w))
"""))},
}


MUTANTS = {
    "augment_shuffles_batch": ("4_10.labels_shuffled", {"augment": _edit(
        ("        out[i, 0] = img\n    return out\n", "        out[i, 0] = img\n    return out[rng.permutation(len(out))]\n"))}),
    "augment_global_random": ("4_10.global_random", {"augment": _edit(
        ("rotate_nn(out[i, 0], rng.uniform(-15, 15))", "rotate_nn(out[i, 0], np.random.uniform(-15, 15))"))}),
    "augment_radians": ("4_10.no_change", {"augment": _edit(
        ("rng.uniform(-15, 15))", "np.deg2rad(rng.uniform(-15, 15)))"),
        ("rng.integers(-2, 3, 2)", "rng.integers(0, 1, 2)"),
        ("rng.random() < 0.3", "rng.random() < 0.0"))}),
    "augment_in_place": (None, {"augment": _edit(
        ("out = np.array(x, dtype=np.float32, copy=True)", "out = x"))}),
    "augment_doubles_batch": (None, {"augment": _edit(
        ("        out[i, 0] = img\n    return out\n", "        out[i, 0] = img\n    return np.concatenate([x, out])\n"))}),
    "augment_noise_unclipped": (None, {"augment": _edit(
        ("        out[i, 0] = img\n", "        out[i, 0] = img + rng.normal(0, 0.1, img.shape)\n"))}),
}
