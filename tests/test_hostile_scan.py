"""The static integrity scan (``grader.integrity``): what it flags, what it leaves alone, and
how the flags read. Pure: the source is parsed, never run."""
from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.integrity import KIND, MAX_FLAGS, drop_confirmed, scan_notebook, scan_sources
from grader.results import Flag

GRADED = ("im2col", "col2im")

FLAGGED = {
    "import_graded_name": ("from reference import im2col", ("reference", "reference.im2col")),
    "import_from_submodule": ("from reference.layers import col2im as c", ("reference", "reference.layers.col2im")),
    "wildcard_import": ("from reference import *", ("reference", "reference.*")),
    "attribute_of_module": ("import reference as r\ny = r.im2col(x, 3, 3)", ("reference", "reference.im2col")),
    "subclassing": ("import reference\nclass X(reference.im2col):\n    pass", ("reference", "reference.im2col")),
    "grader_internals": ("from grader.kernel_probe import _day4_origin", ("reference", "grader.kernel_probe._day4_origin")),
    "grader_module": ("import grader.probe", ("reference", "grader.probe")),
    "exec": ("exec('x = 1')", ("dynamic", "exec")),
    "eval": ("y = eval('1 + 1')", ("dynamic", "eval")),
    "compile": ("code = compile('1', 'f', 'eval')", ("dynamic", "compile")),
    "dunder_import": ("m = __import__('os')", ("dynamic", "__import__")),
    "importlib": ("import importlib\nm = importlib.import_module('reference')", ("dynamic", "importlib")),
    "runpy": ("from runpy import run_path", ("dynamic", "runpy.run_path")),
    "run_magic": ("%run helper.py", ("dynamic", "%run")),
    "writefile_magic": ("%%writefile helper.py\nfrom reference import im2col\n", ("dynamic", "%writefile")),
    "setprofile": ("import sys\nsys.setprofile(None)", ("tracing", "sys.setprofile")),
    "settrace_alias": ("from sys import settrace as st\nst(None)", ("tracing", "sys.settrace")),
    "threading_settrace": ("import threading\nthreading.settrace(print)", ("tracing", "threading.settrace")),
    "input_transformer": ("get_ipython().input_transformers_post.append(f)", ("ipython", "input_transformers_post")),
    "cleanup_transformer": ("ip = get_ipython()\nip.input_transformers_cleanup.insert(0, f)",
                            ("ipython", "input_transformers_cleanup")),
    "ast_transformer": ("get_ipython().ast_transformers.append(t)", ("ipython", "ast_transformers")),
    "event_hook": ("get_ipython().events.register('pre_run_cell', f)", ("ipython", "events.register")),
    "magic_registration": ("get_ipython().register_magic_function(f)", ("ipython", "register_magic_function")),
    "patch_numpy": ("import numpy as np\nnp.allclose = lambda *a, **k: True", ("patch", "numpy.allclose")),
    "patch_numpy_testing": ("import numpy.testing as npt\nnpt.assert_allclose = print",
                            ("patch", "numpy.testing.assert_allclose")),
    "patch_numpy_submodule_attr": ("import numpy\nnumpy.testing.assert_array_equal = print",
                                   ("patch", "numpy.testing.assert_array_equal")),
    "setattr_numpy": ("import numpy as np\nsetattr(np, 'allclose', f)", ("patch", "numpy")),
    "delete_numpy_attr": ("import numpy as np\ndel np.allclose", ("patch", "numpy.allclose")),
    "patch_builtins": ("import builtins\nbuiltins.print = f", ("patch", "builtins.print")),
    "patch_dunder_builtins": ("__builtins__['len'] = f", ("patch", "__builtins__[...]")),
    "patch_sys_modules": ("import sys\nsys.modules['numpy'] = fake", ("patch", "sys.modules[...]")),
    "patch_reference": ("import reference\nreference.im2col = my_im2col", ("patch", "reference.im2col")),
}

CLEAN = {
    "own_implementation": "import numpy as np\ndef im2col(x, fh, fw, stride=1, pad=0, constant_values=0):\n    return np.pad(x, 1)",
    "course_helpers": "from reference.data import load_mnist\nfrom reference import Relu, Affine, SoftmaxWithLoss, Adam",
    "selfcheck": "from grader import selfcheck\nselfcheck()",
    "numpy_use": "import numpy as np\nx = np.zeros(3)\nx[0] = 1\nnp.random.seed(0)\nassert np.allclose(x, x)",
    "plot_magic": "%matplotlib inline\nimport matplotlib.pyplot as plt",
    "shell_command": "!ls",
    "method_named_eval": "model.eval()\nnet.compile()",
    "syntax_error": "def broken(:\n    pass",
    "rebound_name": "from reference import im2col\ndef im2col(x):\n    return x",
}


@pytest.mark.parametrize("case", sorted(FLAGGED))
def test_suspicious_construct_is_found(case):
    source, (rule, what) = FLAGGED[case]
    found = {(f.rule, f.what) for f in scan_sources([(0, source)], GRADED)}
    assert (rule, what) in found, found


@pytest.mark.parametrize("case", sorted(CLEAN))
def test_ordinary_code_is_not_flagged(case):
    found = scan_sources([(0, CLEAN[case])], GRADED)
    if case == "rebound_name":  # the import is still worth a look; using the own definition is not
        assert [(f.rule, f.what) for f in found] == [("reference", "reference.im2col")]
    else:
        assert found == [], found


def test_graded_names_depend_on_the_exercise():
    source = [(0, "from reference import Convolution, im2col")]
    assert {f.what for f in scan_sources(source, ("Convolution",))} == {"reference.Convolution"}
    assert {f.what for f in scan_sources(source, ("im2col", "col2im"))} == {"reference.im2col"}


def test_aliases_carry_over_between_cells_and_locations_are_exact():
    found = scan_sources([(0, "x = 1"), (3, "import numpy as np"), (5, "y = 2\nnp.allclose = f")], GRADED)
    assert [(f.rule, f.what, f.cell, f.line) for f in found] == [("patch", "numpy.allclose", 5, 2)]


@pytest.mark.parametrize("lang", ["ja", "en"])
def test_flags_read_well_in_both_languages(lang):
    nb = new_notebook(cells=[new_markdown_cell("exec('not code')"), new_code_cell("import numpy as np"),
                             new_code_cell("np.allclose = f\neval('1')")])
    flags = scan_notebook(nb, GRADED, lang)
    assert [(f.kind, f.name) for f in flags] == [(KIND, "numpy.allclose"), (KIND, "eval")]
    assert all("2" in f.message for f in flags)
    assert ("セル" in flags[0].message) == (lang == "ja")


def test_many_findings_are_summarised():
    nb = new_notebook(cells=[new_code_cell("\n".join(f"exec('{i}')\nnp{i}.x = 1" for i in range(20)))])
    source = "import numpy\n" + "\n".join(f"numpy.f{i} = g" for i in range(MAX_FLAGS + 5))
    nb = new_notebook(cells=[new_code_cell(source)])
    flags = scan_notebook(nb, GRADED, "en")
    assert len(flags) == MAX_FLAGS + 1 and "5 more" in flags[-1].message


def test_huge_or_deep_sources_do_not_break_the_scan():
    deep = "x = " + "(" * 5000 + "1" + ")" * 5000
    assert scan_sources([(0, deep), (1, "exec('1')")], GRADED)[0].what == "exec"
    assert scan_sources([(0, "\x00"), (1, "a" * 3_000_000)], GRADED) == []


def test_a_finding_the_probe_confirmed_is_reported_once():
    static = (Flag(KIND, "reference.im2col", "m"), Flag(KIND, "numpy.allclose", "m"))
    assert drop_confirmed(static, frozenset({"im2col"})) == static[1:]
    assert drop_confirmed(static, frozenset()) == static
