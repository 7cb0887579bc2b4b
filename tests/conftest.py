import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

EXERCISES = Path(__file__).resolve().parents[1] / "exercises"


class CommittedGradings:
    """Each committed notebook (``exercises/source`` or ``exercises/trainee``) graded once per
    session with a given seed, in English: the GradingResult and the notebook as the grader's
    kernel ran it (its own cells' outputs; the appended probe cell removed). Tests that assert
    on the same notebook share one real-kernel run (the 4_7 source trains for about a minute)."""

    def __init__(self):
        self._done: dict = {}

    def __call__(self, kind: str, name: str, seed: int | None = None):
        from grader.grading.grade import grade_parsed
        from grader.grading.notebook import identify_exercise, read_notebook
        from grader.grading.grade import PUBLIC_SEED

        seed = PUBLIC_SEED if seed is None else seed
        key = (kind, name, seed)
        if key not in self._done:
            path = EXERCISES / kind / (name if name.endswith(".ipynb") else f"{name}.ipynb")
            nb = read_notebook(path)
            cells = len(nb.cells)
            result = grade_parsed(nb, str(path), identify_exercise(nb, path, None), seed=seed, lang="en")
            del nb.cells[cells:]
            self._done[key] = (result, nb)
        return self._done[key]


@pytest.fixture(scope="session")
def committed_grading():
    """``committed_grading(kind, name, seed=None) -> (GradingResult, executed notebook)``."""
    return CommittedGradings()
