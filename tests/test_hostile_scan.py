"""The static integrity scan (``grader.grading.integrity``): what it flags, what it leaves alone, and
how the flags read. Pure: the source is parsed, never run."""
from __future__ import annotations

import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from grader.grading.integrity import KIND, MAX_FLAGS, drop_confirmed, scan_notebook, scan_sources
from grader.grading.results import Flag

GRADED = ("im2col", "col2im")

FLAGGED = {
    "import_graded_name": ("from reference import im2col", ("reference", "reference.im2col")),
    "import_from_submodule": ("from reference.layers import col2im as c", ("reference", "reference.layers.col2im")),
    "wildcard_import": ("from reference import *", ("reference", "reference.*")),
    "attribute_of_module": ("import reference as r\ny = r.im2col(x, 3, 3)", ("reference", "reference.im2col")),
    "subclassing": ("import reference\nclass X(reference.im2col):\n    pass", ("reference", "reference.im2col")),
    "grader_internals": ("from grader.grading.kernel_probe import _day4_origin", ("reference", "grader.grading.kernel_probe._day4_origin")),
    "grader_module": ("import grader.grading.probe", ("reference", "grader.grading.probe")),
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
    "patch_sys_setprofile": ("import sys\nsys.setprofile = lambda *a: None", ("patch", "sys.setprofile")),
    "patch_json_dump": ("import json\njson.dump = lambda *a, **k: None", ("patch", "json.dump")),
    "patch_json_submodule": ("import json.encoder as e\ne.c_make_encoder = None", ("patch", "json.encoder.c_make_encoder")),
    "patch_module_dict": ("import sys\nsys.__dict__['settrace'] = f", ("patch", "sys.__dict__[...]")),
    "getattr_graded_name": ("import reference\nf = getattr(reference, 'im2col')", ("reference", "reference.im2col")),
    "getattr_computed_name": ("import reference as r\nf = getattr(r, 'im' + '2col')", ("reference", "getattr(reference, ...)")),
    "module_dict": ("import reference\nf = reference.__dict__['im2col']", ("reference", "reference.__dict__")),
    "vars_of_reference": ("from reference import layers\nf = vars(layers)['col2im']", ("reference", "vars(reference.layers)")),
    "sys_modules_lookup": ("import sys\nf = sys.modules['reference'].im2col", ("reference", "reference.im2col")),
    "under_capture_magic": ("%%capture\nfrom reference import im2col", ("reference", "reference.im2col")),
    "under_time_magic": ("%%time\nimport reference\ny = reference.col2im(c, s, 3, 3)", ("reference", "reference.col2im")),
    "time_line_magic": ("%time y = reference.im2col(x, 3, 3)", ("reference", "reference.im2col")),
    "timeit_with_options": ("%timeit -n 3 -q reference.im2col(x, 3, 3)", ("reference", "reference.im2col")),
    "indented_run_magic": ("if True:\n    %run helper.py\n    x = 1", ("dynamic", "%run")),
    "autocall_escape": ("/exec 'x = 1'", ("dynamic", "exec")),
    "after_shell_line_with_quotes": ('!echo """\nfrom reference import im2col', ("reference", "reference.im2col")),
    "after_modulo_continuation": ("y = (a\n% b)\nfrom reference import im2col", ("reference", "reference.im2col")),
    "after_help_line": ("np.dot?\nfrom reference import im2col", ("reference", "reference.im2col")),
    "after_prompt": (">>> from reference import im2col", ("reference", "reference.im2col")),
    "after_shell_assignment": ("files = !ls\nfrom reference import im2col", ("reference", "reference.im2col")),
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
    "getattr_of_helper": "import reference\nRelu = getattr(reference, 'Relu')",
    "magic_text_in_a_string": 's = """\n%run x.py\n!rm -rf /\n"""',
    "shell_magics": "%%bash\nexec echo hi",
    "sys_calls": "import sys\nsys.path.append('.')\nsys.setrecursionlimit(3000)",
    "json_use": "import json\njson.dump({'a': 1}, f)",
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
    found = scan_sources([(0, "\x00"), (1, "a" * 3_000_000)], GRADED)
    assert [(f.rule, f.what, f.cell) for f in found] == [("budget", "scan-truncated", 1)]
    chain = "x = " + ".".join(["a"] * 900) + "\nfrom reference import im2col"  # linear, no recursion
    assert [f.what for f in scan_sources([(0, chain)], GRADED)] == ["reference.im2col"]


def test_a_finding_the_probe_confirmed_is_reported_once():
    static = (Flag(KIND, "reference.im2col", "m"), Flag(KIND, "numpy.allclose", "m"))
    assert drop_confirmed(static, frozenset({"im2col"})) == static[1:]
    assert drop_confirmed(static, frozenset()) == static


def _shell_cell(size: int) -> str:
    lines, total, i = [], 0, 0
    while total < size:
        lines.append(f"!echo line {i} && ls -la /tmp | head -n 3")
        total, i = total + len(lines[-1]) + 1, i + 1
    return "\n".join(lines)


def test_a_38_kb_cell_of_shell_lines_is_scanned_whole():
    """IPython's transformer re-tokenised such a cell once per line (86 s); the scan reads it
    once, to its end, where the reference import is still found."""
    found = scan_sources([(0, _shell_cell(38 * 1024) + "\nfrom reference import im2col\n")], GRADED)
    assert [(f.rule, f.what) for f in found] == [("reference", "reference.im2col")]


def test_a_2_mb_cell_stops_at_the_budget_and_says_so():
    nb = new_notebook(cells=[new_code_cell(_shell_cell(2 * 1024 * 1024)), new_code_cell("from reference import im2col")])
    flags = scan_notebook(nb, GRADED, "en")
    assert flags[0].name == "scan-truncated" and "budget" in flags[0].message
    assert "reference.im2col" not in {f.name for f in flags}  # never reached: that is what the flag says


def test_the_time_budget_stops_the_scan_too():
    found = scan_sources([(0, "x = 1"), (1, "y = 2")], GRADED, seconds=-1.0)
    assert [(f.rule, f.what) for f in found] == [("budget", "scan-truncated")]


def test_code_nested_deeper_than_the_parser_goes_is_flagged_not_skipped():
    wide = "x = " + "+".join(["a"] * 800) + "\nfrom reference import im2col"  # deep, still walked
    assert [f.what for f in scan_sources([(0, wide)], GRADED)] == ["reference.im2col"]
    deeper = "x = " + "+".join(["a"] * 5000) + "\nfrom reference import im2col"
    assert [(f.rule, f.what) for f in scan_sources([(3, deeper)], GRADED)] == [("unscannable", "cell 3")]
