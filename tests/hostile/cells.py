"""Notebooks whose code misbehaves. Each fixture is one hostile cell placed between a correct
``im2col`` and a correct ``col2im`` (exercise 4_4, 10 points): the hostile cell must cost
only what it breaks, the cells after it must still run and count.

``errors``: the kinds the hostile cell (index 1) may be recorded with (one of them at least,
no other cell may have an error); ``score``: the expected score; ``flags``: ``(kind, name)``
pairs that must be among the flags; ``bound``: seconds the grading may take at most with
:data:`LIMITS` (a restarted kernel runs the notebook again); ``markers``: command lines of
processes the cell starts, none of which may be alive after the grading.
"""
from __future__ import annotations

from dataclasses import dataclass

from grader.kernel.limits import Limits

# every cell here but the hostile one runs in under 0.2 s alone (the probe with the zip bomb's
# forged outputs included): 2 s leave a margin of ten on a loaded machine, and a hostile loop spins
# until its timeout and the grace
LIMITS = Limits(cell_timeout=2, deadline=40, interrupt_grace=2, startup_timeout=30, disk_bytes=128 * 2**20)
SECRET_NAME, SECRET_VALUE = "DAY4_FAKE_SECRET", "hunter2-must-not-leak"


# outputs.npz replaced by an honest zip bomb: 1 MB holding a 1 GiB .npy (deflate blocks of
# zeros reused rather than compressing 1 GiB, so that the probe cell stays within its timeout)
ZIP_BOMB = """import zipfile, zlib, numpy as np
from numpy.lib import format as npf

class _Zeros:
    ZERO = bytes(2**20)
    block = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = block.compress(ZERO) + block.flush(zlib.Z_FULL_FLUSH)

    def __init__(self, *args, **kwargs):
        self.real = zlib.compressobj(9, zlib.DEFLATED, -15)

    def compress(self, data):
        if data == self.ZERO:
            return self.block
        return self.real.compress(data) + self.real.flush(zlib.Z_FULL_FLUSH)

    def flush(self):
        return self.real.flush()

zipfile._get_compressor = _Zeros

def _forge(path, **arrays):
    with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:
        with z.open('im2col_slide.npy', 'w', force_zip64=True) as f:
            npf.write_array_header_1_0(f, {'descr': '<f8', 'fortran_order': False, 'shape': (2**27,)})
            for _ in range(1024):
                f.write(_Zeros.ZERO)

np.savez = _forge
"""


# a graded function that kills (or hangs) the kernel on one of the probe's calls (stride 3:
# the im2col.stride_pad check): that call is skipped in a fresh kernel, the rest still counts
PROBED = """_good_im2col = im2col

def im2col(input_data, filter_h, filter_w, stride=1, pad=0, constant_values=0):
    if stride == 3:
        {crash}
    return _good_im2col(input_data, filter_h, filter_w, stride, pad, constant_values)
"""


@dataclass(frozen=True)
class Hostile:
    name: str
    source: str
    errors: tuple[str, ...] = ()
    score: float = 10.0
    flags: tuple[tuple[str, str], ...] = ()
    bound: float = 30.0
    markers: tuple[str, ...] = ()
    exercise: str = "4_4"
    position: int = 1  # where the hostile cell goes: 1 between im2col and col2im, 2 after both


FIXTURES = [
    Hostile("infinite_loop", "while True:\n    pass", errors=("timeout",)),
    Hostile("loop_ignoring_sigint", "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n    pass",
            errors=("timeout",)),
    Hostile("c_level_loop", "import re\nre.match(r'(a*)*b', 'a' * 40)  # exponential backtracking, in C",
            errors=("timeout",)),
    Hostile("os_exit", "import os\nos._exit(0)", errors=("kernel-died",)),
    Hostile("segfault", "import ctypes\nctypes.string_at(0)", errors=("kernel-died",)),
    Hostile("raise_system_exit", "raise SystemExit(3)", errors=("error",)),
    Hostile("allocate_64_gib", "import numpy as np\nbig = np.ones(8 * 2**30)", errors=("error",)),
    Hostile("allocate_12_gib", "big = bytearray(12 * 2**30)", errors=("error",)),
    Hostile("two_hundred_children",
            "import subprocess\nchildren = [subprocess.Popen(['sleep', '987.125']) for _ in range(200)]",
            errors=("error", None), markers=("sleep\x00987.125",)),
    Hostile("setsid_daemon",
            "import subprocess\nsubprocess.Popen(['sh', '-c', 'sleep 876.125 & sleep 876.25 &'], start_new_session=True).wait()",
            errors=(None,), markers=("sleep\x00876.125", "sleep\x00876.25")),
    Hostile("write_100_mib_file", "with open('big.bin', 'wb') as f:\n    f.write(b'\\0' * (100 * 2**20))",
            errors=("error",)),
    Hostile("fill_the_shared_folders",  # 60 MiB files next to its sockets, each under RLIMIT_FSIZE
            "import os, sys\nfolder = os.path.dirname(sys.argv[sys.argv.index('-f') + 1])\nfor i in range(6):\n"
            "    with open(os.path.join(folder, f'fill{i}'), 'wb') as f:\n        f.write(bytes(60 * 2**20))",
            errors=("disk-limit",)),
    Hostile("network_connection",
            "import socket\nsocket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'stolen')",
            errors=("error", None)),  # without a network namespace it connects: see test_hostile
    Hostile("read_environment_and_cwd",
            "import json, os\nprint(json.dumps({'env': dict(os.environ), 'cwd': sorted(os.listdir('.')),\n"
            "    'proc': sorted(p for p in os.listdir('/proc') if p.isdigit()),\n"
            "    'home': sorted(os.listdir('/root')) if os.access('/root', os.R_OK) else None}))",
            errors=(None,)),
    Hostile("print_300_mb", "print('x' * 300_000_000)", errors=("output-limit", "timeout")),
    Hostile("print_flood_in_a_loop", "for _ in range(300):\n    print('y' * 2**20)", errors=("output-limit", "timeout")),
    Hostile("input_transformer_rewrites_later_cells",
            "def _drop_col2im(lines):\n    return ['pass\\n'] if any('def col2im' in line for line in lines) else lines\n"
            "get_ipython().input_transformers_post.append(_drop_col2im)",
            errors=(None,), score=5, flags=(("suspicious-code", "input_transformers_post"),)),
    Hostile("monkeypatch_numpy",
            "import numpy as np\nimport numpy.testing\nnp.allclose = lambda *a, **k: True\n"
            "np.testing.assert_allclose = lambda *a, **k: None\nnp.array_equal = lambda *a, **k: True",
            errors=(None,), flags=(("suspicious-code", "numpy.allclose"),
                                   ("suspicious-code", "numpy.testing.assert_allclose"))),
    # the grading kernel's reference has no im2col (issue 12): the import fails, the own im2col stays
    Hostile("import_reference", "from reference import im2col", errors=("error",), score=10,
            flags=(("suspicious-code", "reference.im2col"),)),
    Hostile("im2col_segfaults_when_probed", PROBED.format(crash="import ctypes; ctypes.string_at(0)"),
            errors=(None,), score=9, position=2),
    Hostile("im2col_hangs_when_probed",
            PROBED.format(crash="import signal; signal.signal(signal.SIGINT, signal.SIG_IGN)\n        while True: pass"),
            errors=(None,), score=9, position=2),
    Hostile("forged_result_symlink",
            "import os, numpy as np\ndef _forge(path, **arrays):\n    os.symlink('/etc/passwd', path)\nnp.savez = _forge",
            errors=(None,), score=0, position=2, flags=(("suspicious-code", "numpy.savez"),)),
    Hostile("forged_result_object_array",
            "import numpy as np\n_save = np.savez\n"
            "def _forge(path, **arrays):\n    _save(path, **{k: np.array([object()], dtype=object) for k in arrays})\n"
            "np.savez = _forge",
            errors=(None,), score=0, position=2),
    Hostile("forged_result_pickle",
            "import pickle, numpy as np\ndef _forge(path, **arrays):\n    with open(path, 'wb') as f:\n"
            "        pickle.dump(arrays, f)\nnp.savez = _forge",
            errors=(None,), score=0, position=2),
    Hostile("forged_result_expanding_to_1_gib", ZIP_BOMB, errors=(None,), score=0, position=2),
]

SUBCLASS_REFERENCE = Hostile(
    "subclass_reference", "import reference\nclass Convolution(reference.Convolution):\n    pass",
    errors=("error",), score=0, exercise="4_5", flags=(("suspicious-code", "reference.Convolution"),))
