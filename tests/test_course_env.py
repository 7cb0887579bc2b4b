"""The course environment in the grading kernel: trainees' habits cost nothing.

In-process: environment lines (Colab, package installs) are neutralised line by line and the
rest of the cell stays valid IPython; the book-layout shim re-exports the course helpers and
refuses the graded names of the exercise being graded (in a fresh interpreter, never in this
one: nothing is installed); the book's extra helpers compute what the book's do.
Real kernels (slow): a notebook written with every habit at once grades to full marks; a
graded name imported from ``common`` is missing, not flagged, and ``--kernel-python`` runs
the kernel on the given interpreter, or refuses a bad one with exit status 2.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import os
import subprocess
import sys
import venv

import numpy as np
import pytest
from IPython.core.inputtransformer2 import TransformerManager

from grader.cli.commands import main
from grader.kernel.course_helpers import BatchNormalization, Trainer, cross_entropy_error, numerical_gradient
from grader.kernel.course_shim import SHIM_MODULES, withheld_names, write_shim
from grader.kernel.env_cells import neutralise, neutralise_notebook
from grader.grading.grade import grade_notebook
from grader.grading.results import Status
from nbfactory import make_notebook

# ---------------------------------------------------------------- environment lines


def _valid_ipython(source: str) -> None:
    ast.parse(TransformerManager().transform_cell(source))  # what the kernel would compile


@pytest.mark.parametrize("source, expected, skipped", [
    ("!pip install japanize-matplotlib\nimport numpy as np", "pass\nimport numpy as np",
     ["!pip install japanize-matplotlib"]),
    ("%pip install -q tqdm\n!pip3 install x\n!python -m pip install y\n!sudo apt-get -y install fonts-ipafont\n"
     "%conda install numpy\nx = 1", "pass\npass\npass\npass\npass\nx = 1",
     ["%pip install -q tqdm", "!pip3 install x", "!python -m pip install y", "!sudo apt-get -y install fonts-ipafont",
      "%conda install numpy"]),
    ("from google.colab import drive\ndrive.mount('/content/drive',\n            force_remount=True)\nimport os",
     "pass\npass\n\nimport os", ["from google.colab import drive", "drive.mount('/content/drive',"]),
    ("try:\n    from google.colab import files\n    uploaded = files.upload()\nexcept ImportError:\n    pass",
     "try:\n    raise ModuleNotFoundError(\"No module named 'google.colab' (grading runs outside Colab)\")\n"
     "    pass\nexcept ImportError:\n    pass",
     ["from google.colab import files", "uploaded = files.upload()"]),
    ("if IN_COLAB:\n    !pip install tqdm\n    %cd /content/drive/MyDrive/DAY4\nprint(1)",
     "if IN_COLAB:\n    pass\n    pass\nprint(1)", ["!pip install tqdm", "%cd /content/drive/MyDrive/DAY4"]),
    ("import google.colab\nos.chdir('/content/drive/MyDrive')\n%matplotlib widget\nplt.plot([1])",
     "pass\npass\npass\nplt.plot([1])",
     ["import google.colab", "os.chdir('/content/drive/MyDrive')", "%matplotlib widget"]),
    ("!pip install a \\\n    b\nx = 2", "pass\n\nx = 2", ["!pip install a \\"]),
    ("from google.colab import output, userdata\noutput.enable_custom_widget_manager()\nkey = userdata.get('K')\n",
     "pass\npass\npass\n", ["from google.colab import output, userdata", "output.enable_custom_widget_manager()",
                           "key = userdata.get('K')"]),
])
def test_environment_lines_become_pass_and_the_cell_stays_valid(source, expected, skipped):
    new, found = neutralise(source)
    assert (new, found) == (expected, skipped)
    _valid_ipython(new)


@pytest.mark.parametrize("source", [
    "%matplotlib inline\nimport numpy as np",
    "!ls -la\n!nvidia-smi",
    "# !pip install tqdm\nx = '!pip install tqdm'",
    "print('from google.colab import drive')",
    "import sys, os\nsys.path.append(os.pardir)\nfrom common.util import im2col",
    "%matplotlib notebook",
    "def mount(drive):\n    return drive.mounted",
])
def test_other_lines_are_left_alone(source):
    assert neutralise(source) == (source, [])


def test_a_colab_import_in_a_try_block_fails_as_outside_colab():
    """``try: from google.colab import drive; IN_COLAB = True / except ImportError:`` takes
    the except branch, as on the trainee's own machine; a bare import elsewhere is ``pass``."""
    source = ("try:\n    from google.colab import drive\n    IN_COLAB = True\nexcept ImportError:\n"
              "    IN_COLAB = False\nif IN_COLAB:\n    drive.mount('/content/drive')\nfrom google.colab import files")
    new, found = neutralise(source)
    assert found == ["from google.colab import drive", "drive.mount('/content/drive')", "from google.colab import files"]
    namespace: dict = {}
    exec(compile(new, "<cell>", "exec"), namespace)
    assert namespace["IN_COLAB"] is False and new.splitlines()[-1] == "pass"


def test_notebook_records_cell_index_and_first_line():
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

    nb = new_notebook(cells=[new_markdown_cell("!pip install x"), new_code_cell("import numpy as np"),
                             new_code_cell("from google.colab import drive\ndrive.mount('/content/drive')\ny = 1")])
    skipped = neutralise_notebook(nb)
    assert [(s.cell, s.line, s.count) for s in skipped] == [(2, "from google.colab import drive", 2)]
    assert nb.cells[0].source == "!pip install x"  # markdown untouched
    assert nb.cells[2].source == "pass\npass\ny = 1"
    nbformat.validate(nb)


# ---------------------------------------------------------------- the book-layout shim

_PROBE_SHIM = r'''
import json, os, sys
sys.path.append(os.pardir)
out = {}
for module, name in [("common.util", "im2col"), ("common.util", "col2im"), ("common.layers", "Convolution"),
                     ("common.layers", "MaxPooling"), ("common.layers", "Pooling"), ("common.layers", "ReLU"),
                     ("common.optimizer", "RMSProp"), ("common.gradient", "numerical_gradient"),
                     ("common.functions", "cross_entropy_error"), ("common.trainer", "Trainer"),
                     ("dataset.mnist", "load_mnist")]:
    try:
        value = getattr(__import__(module, fromlist=[name]), name)
        out[f"{module}.{name}"] = getattr(value, "__module__", "?")
    except ImportError as exc:
        out[f"{module}.{name}"] = "ImportError: " + str(exc)
ns = {}
exec("from common.layers import *", ns)
out["star"] = sorted(k for k in ns if not k.startswith("__"))
import common.layers
out["same"] = common.layers.ReLU is common.layers.Relu
import japanize_matplotlib, matplotlib
out["font"] = matplotlib.rcParams["font.family"]
print(json.dumps(out))
'''


def _in_fresh_interpreter(folder) -> dict:
    env = {"PYTHONPATH": str(folder), "MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "HOME": str(folder)}
    done = subprocess.run([sys.executable, "-W", "error", "-c", _PROBE_SHIM], capture_output=True, text=True,
                          env=env, cwd=folder, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_shim_reexports_the_course_and_withholds_the_graded_names(tmp_path):
    write_shim(tmp_path / "course", "4_6", ("MaxPooling",))
    got = _in_fresh_interpreter(tmp_path / "course")
    assert got["common.util.im2col"] == "reference.im2col"
    assert got["common.layers.Convolution"] == "reference.conv_layers"
    assert got["common.layers.ReLU"] == "reference.layers" and got["same"]
    for name in ("MaxPooling", "Pooling"):  # the graded name and its alias
        message = got[f"common.layers.{name}"]
        assert message.startswith("ImportError: ") and name in message and "4_6" in message
        assert "採点" in message and "define it yourself" in message
    assert "MaxPooling" not in got["star"] and "Pooling" not in got["star"] and "Convolution" in got["star"]
    assert got["common.optimizer.RMSProp"] == "common._helpers"
    assert got["dataset.mnist.load_mnist"] == "dataset.mnist"
    assert "IPAexGothic" in got["font"]  # japanize_matplotlib works without distutils (matplotlib_fontja)


def test_shim_is_never_installed_and_withholds_by_exercise(tmp_path):
    assert importlib.util.find_spec("common") is None and importlib.util.find_spec("dataset") is None
    assert withheld_names(("im2col", "col2im"))["common.util"] == {"im2col", "col2im"}
    assert withheld_names(("im2col", "col2im"))["common.layers"] == {"im2col", "col2im"}
    assert all(not names for names in withheld_names(("SimpleConvNet",)).values())
    write_shim(tmp_path, "4_4", ("im2col", "col2im"), unavailable={"Convolution", "im2col"})
    text = (tmp_path / "common" / "util.py").read_text(encoding="utf-8")
    compile(text, "util.py", "exec")
    layers = (tmp_path / "common" / "layers.py").read_text(encoding="utf-8")
    assert "`Convolution` is not one of the course helpers of this exercise (4_4)" in layers
    assert "`im2col` is graded in this exercise (4_4)" in layers  # graded wins over unavailable
    assert set(SHIM_MODULES) <= {p.relative_to(tmp_path).with_suffix("").as_posix().replace("/", ".")
                                 for p in tmp_path.rglob("*.py")}


def test_book_helpers_compute_what_the_book_does():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 4))
    assert np.allclose(numerical_gradient(lambda v: np.sum(v ** 3), x.copy()), 3 * x ** 2, rtol=1e-6)
    y = np.exp(x) / np.exp(x).sum(axis=1, keepdims=True)
    t = np.array([0, 3, 1])
    assert cross_entropy_error(y, t) == pytest.approx(cross_entropy_error(y, np.eye(4)[t]))
    assert cross_entropy_error(y, t) == pytest.approx(-np.mean(np.log(y[np.arange(3), t] + 1e-7)))
    bn = BatchNormalization(np.ones(4), np.zeros(4))
    out = bn.forward(x)
    assert np.allclose(out.mean(axis=0), 0) and np.allclose(out.std(axis=0), 1, atol=1e-5)
    dout = rng.normal(size=x.shape)
    dx = bn.backward(dout)
    numeric = numerical_gradient(lambda v: np.sum(BatchNormalization(np.ones(4), np.zeros(4)).forward(v) * dout),
                                 x.copy())
    assert np.allclose(dx, numeric, atol=1e-5)


def test_book_trainer_trains_with_the_book_signature(capsys):
    from reference import SimpleConvNet

    rng = np.random.default_rng(1)
    x, t = rng.random((20, 1, 8, 8)), rng.integers(0, 10, 20)
    net = SimpleConvNet(input_dim=(1, 8, 8), conv_param={"filter_num": 2, "filter_size": 3, "pad": 0, "stride": 1},
                        hidden_size=5)
    trainer = Trainer(net, x, t, x, t, epochs=2, mini_batch_size=10, optimizer="Adam",
                      optimizer_param={"lr": 0.01}, rng=0)
    trainer.train()
    assert len(trainer.train_loss_list) == 4 and len(trainer.test_acc_list) == 2
    assert "Final Test Accuracy" in capsys.readouterr().out


# ---------------------------------------------------------------- real kernels

HABITS = [
    "%matplotlib inline\nimport numpy as np",
    "from google.colab import drive\ndrive.mount('/content/drive')\n!pip install japanize-matplotlib",
    "import sys, os\nsys.path.append(os.pardir)\n"
    "from common.util import im2col, col2im\n"
    "from common.layers import ReLU, Pooling, Affine, SoftmaxWithLoss\n"
    "from common.optimizer import Adam, RMSProp\nfrom common.gradient import numerical_gradient\n"
    "from dataset.mnist import load_mnist",
    "import matplotlib.pyplot as plt\nimport japanize_matplotlib\nimport pandas as pd\nimport scipy.signal\n"
    "from PIL import Image\nfrom tqdm.notebook import tqdm\n"
    "losses = [v for v in tqdm(range(3))]\n"
    "fig, ax = plt.subplots()\nax.plot(losses)\nax.set_title('損失の推移')\nplt.show()\n"
    "display(pd.DataFrame({'loss': losses}))",
    '''
class Convolution:
    def __init__(self, W, b, stride=1, pad=0):
        self.W, self.b, self.stride, self.pad = W, b, stride, pad

    def forward(self, x):
        FN, C, FH, FW = self.W.shape
        N, C, H, W = x.shape
        out_h = 1 + (H + 2*self.pad - FH) // self.stride
        out_w = 1 + (W + 2*self.pad - FW) // self.stride
        self.x, self.col = x, im2col(x, FH, FW, self.stride, self.pad)
        self.col_W = self.W.reshape(FN, -1).T
        out = np.dot(self.col, self.col_W) + self.b
        return out.reshape(N, out_h, out_w, -1).transpose(0, 3, 1, 2)

    def backward(self, dout):
        FN, C, FH, FW = self.W.shape
        dout = dout.transpose(0, 2, 3, 1).reshape(-1, FN)
        self.db = np.sum(dout, axis=0)
        self.dW = np.dot(self.col.T, dout).transpose(1, 0).reshape(FN, C, FH, FW)
        return col2im(np.dot(dout, self.col_W.T), self.x.shape, FH, FW, self.stride, self.pad)
''',
]


@pytest.mark.slow
def test_a_notebook_with_every_habit_scores_full_marks(tmp_path):
    path = make_notebook(tmp_path / "4_5_convolution_layer_trainee.ipynb", HABITS)
    result = grade_notebook(path, lang="en")
    assert result.errors == (), result.errors
    assert result.all_passed and result.score == result.max_score, [c.message for c in result.checks if not c.passed]
    assert result.flags == ()
    assert [(n.kind, n.cell) for n in result.notes] == [("env-cell-skipped", 1)]
    assert "from google.colab import drive" in result.notes[0].message
    assert json.loads(result.to_json())["notes"][0]["cell"] == 1


def _course_python(tmp_path):
    """An interpreter of its own (another prefix, as a course environment would be) that
    borrows this venv's packages (ipykernel, numpy) through a ``.pth`` file; not ``reference``."""
    env_dir = tmp_path / "course-env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    site = next((env_dir / "lib").glob("python3*/site-packages"))
    (site / "borrowed.pth").write_text("\n".join(p for p in sys.path if p.endswith("site-packages")) + "\n")
    return env_dir


def test_kernel_argv_uses_the_given_interpreter():
    from grader.kernel.execute import Limits
    from grader.kernel.client import GraderKernelManager
    from grader.kernel.interpreter import kernel_paths

    km = GraderKernelManager(kernel_name="python3", connection_file="/tmp/none/kernel.json")
    km.configure(lambda argv: argv, Limits(kernel_python="/opt/course/bin/python"))
    assert km.format_kernel_cmd()[:3] == ["/opt/course/bin/python", "-m", "ipykernel_launcher"]
    km.close_context()
    assert any(p == sys.prefix or p == os.path.realpath(sys.prefix) for p in kernel_paths(sys.executable))


@pytest.mark.slow
def test_graded_name_imported_from_common_is_missing_and_kernel_python_works(tmp_path, capsys):
    course = _course_python(tmp_path)
    path = make_notebook(tmp_path / "4_5_convolution_layer_trainee.ipynb", [
        f"import sys, os\nsys.path.append(os.pardir)\nimport numpy as np\nassert sys.prefix == {str(course)!r}",
        "from common.layers import Convolution",  # the graded name itself: withheld
        "from common.util import im2col\nprint(im2col(np.zeros((1, 1, 3, 3)), 2, 2).shape)",
    ])
    code = main(["check", str(path), "--json", "--kernel-python", str(course / "bin" / "python")])
    result = json.loads(capsys.readouterr().out)
    assert [(e["cell"], e["kind"]) for e in result["errors"]] == [(1, "error")], result["errors"]
    assert "ImportError" in result["errors"][0]["message"] and "4_5" in result["errors"][0]["message"]
    assert code == 1 and result["score"] == 0
    assert {c["status"] for c in result["checks"]} == {Status.MISSING}
    assert result["flags"] == []  # missing, not uses-reference


def test_bad_kernel_python_exits_2_naming_the_path(tmp_path, capsys):
    path = make_notebook(tmp_path / "4_4_im2col_col2im_trainee.ipynb", ["import numpy as np"])
    missing = tmp_path / "no" / "python3"
    assert main(["check", str(path), "--kernel-python", str(missing), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "does not exist" in err
    assert main(["grade", str(tmp_path), "--out", str(tmp_path / "out"), "--kernel-python", str(missing),
                 "--lang", "ja"]) == 2
    err = capsys.readouterr().err
    assert str(missing) in err and "ありません" in err
    bare = tmp_path / "bare"  # a real interpreter without ipykernel
    venv.EnvBuilder(with_pip=False).create(bare)
    assert main(["check", str(path), "--kernel-python", str(bare / "bin" / "python"), "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert str(bare / "bin" / "python") in err and "ipykernel" in err and "No module named" in err


ALLOCATIONS = r'''
import json, os, resource
import numpy as np
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(50):  # a training step: ten 1 MiB temporaries alive at once, then all freed
    step = [np.ones(1 << 17) for _ in range(10)]
    del step
faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
print(json.dumps({"faults": faults, "env": {k: v for k, v in os.environ.items() if k.startswith("MALLOC_")}}))
'''


@pytest.mark.slow
def test_a_kernel_reuses_freed_memory_as_a_long_running_python_does(tmp_path):
    """glibc's malloc in a grading kernel is set as a long-running process converges to: the
    memory a step frees is reused by the next, not returned to the system and faulted in again
    (which cost a fresh kernel ~40 % of a SimpleConvNet training step). Counted in page faults,
    not in time."""
    from grader.grading.grade import grade_parsed
    from grader.grading.notebook import read_notebook
    from grader.kernel.kernel_start import MALLOC_ENVIRONMENT
    from test_grader_4_4 import COL2IM, IM2COL

    path = make_notebook(tmp_path / "4_4_im2col_col2im_trainee.ipynb", [IM2COL, COL2IM, ALLOCATIONS], exercise="4_4")
    nb = read_notebook(path)
    result = grade_parsed(nb, str(path), "4_4", seed=3, lang="en")
    assert result.errors == () and result.score == result.max_score, result.errors
    seen = json.loads(next(o["text"] for o in nb.cells[2].outputs if o.get("name") == "stdout"))
    assert seen["env"] == MALLOC_ENVIRONMENT
    assert seen["faults"] < 5 * 2560, seen  # first touch of one step: ~2,560 pages; returned each time: ~128,000
