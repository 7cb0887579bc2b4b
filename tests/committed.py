"""The committed notebooks (``exercises/source``, ``exercises/trainee``) graded once per test
session: :class:`CommittedGradings` is tests/conftest.py's ``committed_grading`` fixture.

A grading is kept on disk in a folder the session's processes share (every pytest-xdist worker
and the processes they start), under an exclusive ``fcntl`` lock per (kind, notebook, seed):
a process that wants a grading another one is making waits for it instead of making its own.
Kept apart from conftest.py so that a pool's worker process can import it (importing conftest
there would run its per-worker set-up again)."""
from __future__ import annotations

import fcntl
import json
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"


def notebook_path(kind: str, name: str) -> Path:
    return EXERCISES / kind / (name if name.endswith(".ipynb") else f"{name}.ipynb")


def _grade(kind: str, stem: str, seed: int):
    """The grader's real-kernel run of one committed notebook, in English: the result and the
    notebook as its kernel ran it (the probe cell the grader appends removed)."""
    from grader.grading.grade import grade_parsed
    from grader.grading.notebook import identify_exercise, read_notebook

    path = notebook_path(kind, stem)
    nb = read_notebook(path)
    cells = len(nb.cells)
    result = grade_parsed(nb, str(path), identify_exercise(nb, path, None), seed=seed, lang="en")
    del nb.cells[cells:]
    return result, nb


def _files(folder: Path, kind: str, stem: str, seed: int) -> tuple[Path, Path, Path]:
    base = f"{kind}-{stem}-{seed}"
    return folder / f"{base}.lock", folder / f"{base}.result.json", folder / f"{base}.ipynb"


def ensure_graded(folder: str, kind: str, stem: str, seed: int) -> None:
    """Grade (kind, stem, seed) into ``folder`` unless a process of the session already has;
    returns when its files are there. Runs in pool workers too."""
    lock_file, result_file, notebook_file = _files(Path(folder), kind, stem, seed)
    with open(lock_file, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes (also when this process dies)
        if result_file.exists():  # written last: its presence means both files are complete
            return
        result, nb = _grade(kind, stem, seed)
        notebook_file.write_text(json.dumps(nb, ensure_ascii=False), encoding="utf-8")
        partial = result_file.with_name(result_file.name + ".partial")
        partial.write_text(result.to_json(), encoding="utf-8")
        partial.rename(result_file)


class CommittedGradings:
    """``committed_grading(kind, name, seed=None) -> (GradingResult, executed notebook)``: each
    committed notebook graded once per session with a given seed (default PUBLIC_SEED), in
    English. Tests that assert on the same notebook share one real-kernel run (the 4_7 source
    trains for about a minute), across xdist workers too."""

    path = staticmethod(notebook_path)

    def __init__(self, folder: Path):
        self._done: dict = {}
        self._folder = folder
        folder.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def _key(kind: str, name: str, seed: int | None) -> tuple[str, str, int]:
        from grader.grading.judging import PUBLIC_SEED

        return kind, Path(name).stem, PUBLIC_SEED if seed is None else seed

    def __call__(self, kind: str, name: str, seed: int | None = None):
        import nbformat

        from grader.grading.results import GradingResult

        key = self._key(kind, name, seed)
        if key not in self._done:
            ensure_graded(str(self._folder), *key)
            _, result_file, notebook_file = _files(self._folder, *key)
            self._done[key] = (GradingResult.from_json(result_file.read_text(encoding="utf-8")),
                               nbformat.from_dict(json.loads(notebook_file.read_text(encoding="utf-8"))))
        return self._done[key]

    def prefetch(self, wanted, workers: int = 2) -> None:
        """Make sure every ``(kind, name, seed)`` of ``wanted`` is graded, ``workers`` at a time
        (the longest exercises first: 4_7 and 4_10 train); the ones graded already, or being
        graded by another process, cost nothing or a wait."""
        keys = sorted({self._key(*w) for w in wanted}, key=lambda k: (not k[1].startswith(("4_7", "4_10")), k))
        missing = [k for k in keys if k not in self._done and not _files(self._folder, *k)[1].exists()]
        if len(missing) > 1 and workers > 1:
            context = multiprocessing.get_context("forkserver")
            with ProcessPoolExecutor(max_workers=min(workers, len(missing)), mp_context=context) as pool:
                for future in [pool.submit(ensure_graded, str(self._folder), *k) for k in missing]:
                    future.result()
