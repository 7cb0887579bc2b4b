import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

import pytest  # noqa: E402

XDIST_WORKER = os.environ.get("PYTEST_XDIST_WORKER")  # "gw0", "gw1"... in a pytest-xdist worker, else None


def _private_tmpdir(worker: str) -> Path:
    """Each xdist worker (a pytest process of its own, running beside another) gets a private
    ``TMPDIR``: the grader's ``day4-*`` folders and the kernels' sockets of one worker are not in
    the folder another worker's tests list (tests/test_prewarm.py looks for what a grading left
    behind there), and a worker's sweep sees only its own. Short (the kernels' socket paths live
    below it: grader.kernel.tempdirs.MAX_ROOT_LENGTH); removed when the worker ends."""
    path = Path(tempfile.mkdtemp(prefix=f"d4w-{worker}-", dir="/tmp" if os.path.isdir("/tmp") else None))
    os.environ["TMPDIR"] = str(path)
    tempfile.tempdir = None  # gettempdir() reads $TMPDIR again
    assert tempfile.gettempdir() == str(path)
    return path


WORKER_TMPDIR = _private_tmpdir(XDIST_WORKER) if XDIST_WORKER else None


def pytest_addoption(parser, pluginmanager):
    """With ``-p no:xdist`` the ``-n 2 --dist loadgroup`` of pyproject's addopts would be unknown
    options: accept them then (they mean nothing without xdist), so ``-p no:xdist`` runs every
    test in this one process as ``-n 0`` does."""
    if not pluginmanager.has_plugin("xdist"):
        group = parser.getgroup("xdist", "distributed testing (pytest-xdist is off: -n and --dist do nothing)")
        group._addoption("-n", "--numprocesses", dest="numprocesses", default=0, metavar="N",
                         help="ignored: pytest-xdist is off (-p no:xdist)")
        group.addoption("--dist", dest="dist", default="no", help="ignored: pytest-xdist is off (-p no:xdist)")


@pytest.hookimpl(trylast=True)  # after pytest-xdist's own hook, which should have done this
def pytest_collection_modifyitems(config, items):
    """``--dist loadgroup`` sends a test marked ``xdist_group(name)`` to the worker of its group
    when its node id ends with ``@name``. pytest-xdist 3.8 appends that by setting
    ``item._nodeid``, which pytest 9 no longer reads (a node id is ``item._id``): every group
    was split between the workers (test_corpus's and test_hostile's module fixtures graded
    everything twice). Done here the pytest 9 way, only where xdist's own did not take."""
    if not XDIST_WORKER or not config.getvalue("loadgroup"):
        return
    for item in items:
        names = sorted({str(m.args[0] if m.args else m.kwargs.get("name", "default"))
                        for m in item.iter_markers("xdist_group")})
        suffix = "@" + "_".join(names)
        if names and not item.nodeid.endswith(suffix):
            from _pytest.nodeid import NodeId  # pytest >= 9 only (with pytest 8, xdist's own hook took)

            item._id = NodeId.parse(item.nodeid + suffix)


def _remove_worker_tmpdir() -> None:
    # a grading's own clean-up may still be removing its folder in there: try again at exit
    shutil.rmtree(WORKER_TMPDIR, ignore_errors=True)


if WORKER_TMPDIR is not None:
    # removed at the worker's exit, after multiprocessing's own clean-up of its pymp-* folder in
    # there: atexit runs handlers last-registered first, and multiprocessing registers its own
    # when first imported, later than this (removing the folder at pytest_unconfigure made that
    # clean-up print a FileNotFoundError traceback per worker)
    assert "multiprocessing.util" not in sys.modules, "conftest must register its clean-up first"
    atexit.register(_remove_worker_tmpdir)


def session_shared_dir(tmp_path_factory) -> Path:
    """A folder shared by every process of this pytest session (every xdist worker), fresh per
    session: the session's base temp folder (under xdist, the controller's, parent of each
    worker's own)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if XDIST_WORKER else base


@pytest.fixture(scope="session")
def committed_grading(tmp_path_factory):
    """``committed_grading(kind, name, seed=None) -> (GradingResult, executed notebook)``."""
    from committed import CommittedGradings

    return CommittedGradings(session_shared_dir(tmp_path_factory) / "committed-gradings")
