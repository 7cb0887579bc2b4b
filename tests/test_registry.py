"""The registry of exercises (grader/course/registry.py): what it lists, what derives from it, what a
broken registration says, and the example course package (examples/day5_relu) installed with
pip and graded end to end in a real kernel."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.course import checks

from grader.course import registry
from grader.course.checks.base import Context
from grader.errors import UsageError
from grader.grading.notebook import EXERCISES, exercise_from_filename, identify_exercise
from grader.grading.probe import expected_outputs

# under pytest-xdist the module runs on one worker: `day5` pip-installs the example package once
pytestmark = pytest.mark.xdist_group("registry")

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "day5_relu"
GRADER = [sys.executable, "-m", "grader.cli.commands"]
DAY4 = tuple(f"4_{i}" for i in range(1, 11) if registry.known(f"4_{i}"))  # 4_8.. as they are registered


@pytest.fixture
def registered(tmp_path, monkeypatch):
    """``register(text)``: a distribution whose ``entry_points.txt`` is ``text``, put on
    ``sys.path`` for this test only (the registry forgets it afterwards)."""
    def register(entry_points: str, name: str = "course_pkg") -> Path:
        info = tmp_path / f"{name}-0.1.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.1\n", encoding="utf-8")
        (info / "entry_points.txt").write_text(entry_points, encoding="utf-8")
        monkeypatch.syspath_prepend(str(tmp_path))
        registry.clear_cache()
        return tmp_path

    yield register
    monkeypatch.undo()
    registry.clear_cache()


def _max_points_from_the_checks(exercise: str, seed: int) -> float:
    """Points of a whole grading, computed apart from the registry: the specs of a plan drawn
    with ``seed`` and the extra checks judged on the reference's own outputs."""
    module = checks.load(exercise)
    plan, specs = module.build(np.random.default_rng(seed))
    total = sum(spec.points for spec in specs)
    if hasattr(module, "extra_checks"):
        outputs = expected_outputs(plan, checks.reference_namespace(exercise))
        total += sum(result.max_points for result in module.extra_checks(Context(plan, outputs, outputs, "en")))
    return total


def test_the_day4_exercises_are_registered_through_the_entry_point_group():
    listed = registry.exercises()
    assert tuple(e.id for e in listed)[:len(DAY4)] == DAY4 == registry.ids("day4-grader")
    for exercise in listed[:len(DAY4)]:
        assert exercise.source.startswith("day4-grader ") and f"{exercise.id} = grader.course.checks:EX" in exercise.source
        assert exercise.module.__name__ == f"grader.course.checks.ex{exercise.id}"
        assert exercise.catalogue.__name__ == f"grader.course.diagnosis.ex{exercise.id}"
        assert (ROOT / "exercises" / "source" / exercise.notebooks["source"]).is_file()
        assert exercise.title("ja") and exercise.title("en") and exercise.title("ja") != exercise.title("en")


# The course's points, written once (every other test reads them through tests/points.py): a
# change of points is a change of the course, made here and in the exercise's checks module.
COURSE_POINTS = {"4_1": 12, "4_2": 10, "4_3": 13, "4_4": 10, "4_5": 10, "4_6": 11, "4_7": 14, "4_8": 19, "4_9": 15,
                 "4_10": 12}


@pytest.mark.parametrize("exercise", DAY4)
def test_max_points_are_what_the_checks_give(exercise):
    points = registry.get(exercise).max_points
    assert points == COURSE_POINTS[exercise]
    assert points == _max_points_from_the_checks(exercise, 1) == _max_points_from_the_checks(exercise, 12345)


def test_everything_else_derives_from_the_registry():
    from grader.classroom.batch import BatchOptions
    from grader.course.diagnosis import CATALOGUES

    ids = registry.ids()
    assert tuple(EXERCISES) == ids
    assert tuple(checks.REGISTRY) == ids and checks.REGISTRY["4_4"] == "grader.course.checks.ex4_4"
    assert set(CATALOGUES) == {e.id for e in registry.exercises() if e.diagnosis}
    assert BatchOptions().exercises is None  # None: every registered exercise
    with pytest.raises(UsageError) as raised:
        checks.load("9_9")
    assert "4_1" in str(raised.value) and "9_9" in raised.value.in_lang("ja")


def test_exercise_ids_in_file_names_come_from_the_registry(registered):
    site = registered("[day4_grader.exercises]\n4_11 = h12_fake_course:EXERCISE\n")
    (site / "h12_fake_course.py").write_text(  # a dict of the fields does as well as an Exercise
        'EXERCISE = {"id": "4_11", "title_ja": "カタカナ", "title_en": "Katakana", '
        '"notebook": "4_11_katakana.ipynb", "checks": "grader.course.checks.ex4_1"}\n', encoding="utf-8")
    try:
        assert registry.ids()[-2:] == ("4_10", "4_11")  # numbers in order: 4_11 after 4_10
        assert registry.get("4_11").source == "course_pkg 0.1 (4_11 = h12_fake_course:EXERCISE)"
        assert exercise_from_filename("4_10_katakana_groupwork.ipynb") == "4_10"  # whole id: never 4_1
        assert exercise_from_filename("tanaka_４_１０.ipynb") == "4_10"
        assert exercise_from_filename("4_1_convolution.ipynb") == "4_1"
        assert exercise_from_filename("4_1_and_4_10.ipynb") is None
    finally:
        sys.modules.pop("h12_fake_course", None)


@pytest.mark.parametrize("name, trainee", [
    ("tanaka_4_4.ipynb", "tanaka"), ("t4_4_4.ipynb", "t4"), ("t01_sato_4_1_convolution.ipynb", "t01_sato"),
    ("山田_４_７.ipynb", "山田"), ("a b__4_2.ipynb", "a b"), ("tanaka_4_9.ipynb", "tanaka"), ("4_4.ipynb", None),
    ("tanaka.ipynb", None),
])
def test_the_trainee_of_a_flat_file_name_is_what_precedes_the_exercise(name, trainee):
    from grader.classroom.submissions import _flat_trainee

    assert _flat_trainee(name) == trainee


@pytest.mark.parametrize("value, key, said", [
    ("no_such_module_h12:EXERCISE", "err_registry_load", "ModuleNotFoundError"),
    ("os:sep", "err_registry_shape", "str"),
    ("grader.course.checks:EX4_1", "err_registry_id", "'4_1'"),  # the entry point's name is 9_9, the id 4_1
])
def test_a_broken_registration_names_the_entry_point_and_the_problem(registered, value, key, said):
    registered(f"[day4_grader.exercises]\n9_9 = {value}\n")
    with pytest.raises(registry.RegistryError) as raised:
        registry.exercises()
    error = raised.value
    assert error.key == key and error.exit_code == 3
    for lang in ("ja", "en"):
        message = error.in_lang(lang)
        assert f"9_9 = {value}" in message and "day4_grader.exercises" in message and said in message
    assert error.in_lang("ja") != error.in_lang("en")


def test_an_id_registered_by_two_packages_is_refused(registered):
    registered("[day4_grader.exercises]\n4_4 = grader.course.checks:EX4_4\n", name="other_course")
    with pytest.raises(registry.RegistryError) as raised:
        registry.ids()
    assert raised.value.key == "err_registry_duplicate"
    message = raised.value.in_lang("en")
    assert "exercise 4_4 is registered twice" in message and "other_course 0.1" in message
    assert "day4-grader" in message


def test_a_broken_registration_stops_the_command_with_its_message(tmp_path):
    info = tmp_path / "broken_course-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: broken_course\nVersion: 0.1\n", encoding="utf-8")
    (info / "entry_points.txt").write_text("[day4_grader.exercises]\n5_1 = no_such_module_h12:EXERCISE\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    done = subprocess.run([*GRADER, "exercises", "--lang", "en"], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 3
    assert "5_1 = no_such_module_h12:EXERCISE" in done.stderr and "cannot be loaded" in done.stderr
    assert done.stdout == ""


def test_grader_exercises_json_lists_the_registry():
    done = subprocess.run([*GRADER, "exercises", "--json", "--lang", "en"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    listing = json.loads(done.stdout)
    assert list(listing) == ["exercises"]
    by_id = {e["id"]: e for e in listing["exercises"]}
    assert set(DAY4) <= set(by_id)
    first = by_id["4_4"]
    assert {"id", "title", "notebooks", "graded", "max_score", "source"} <= set(first)
    assert first["title"] == "im2col and col2im" and first["graded"] == ["im2col", "col2im"]
    assert first["notebooks"] == {"source": "4_4_im2col_col2im_trainee.ipynb", "trainee": "4_4_im2col_col2im_trainee.ipynb"}
    assert first["max_score"] == registry.get("4_4").max_points
    assert "4_4 = grader.course.checks:EX4_4" in first["source"]
    assert first["course"] == "DAY4" and first["lms_item"] == "DAY4 4_4"
    table = subprocess.run([*GRADER, "exercises", "--lang", "ja"], capture_output=True, text=True, timeout=120)
    assert table.returncode == 0 and "im2col と col2im" in table.stdout


# ---------------------------------------------------------------- the example course package


@pytest.fixture(scope="session")
def day5(tmp_path_factory):
    """examples/day5_relu installed with pip (into its own folder, so this test session's other
    tests keep the registry they expect); the environment that puts it on the path."""
    work = tmp_path_factory.mktemp("day5")
    shutil.copytree(EXAMPLE, work / "src", ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(target), str(work / "src")],
                   check=True, timeout=600)
    return {"site": target, "env": dict(os.environ, PYTHONPATH=str(target)), "notebook": EXAMPLE / "notebooks" / "5_1_relu.ipynb"}


@pytest.mark.slow
def test_the_example_package_registers_5_1(day5, monkeypatch):
    done = subprocess.run([*GRADER, "exercises", "--json", "--lang", "en"], capture_output=True, text=True,
                          env=day5["env"], timeout=120)
    assert done.returncode == 0, done.stderr
    by_id = {e["id"]: e for e in json.loads(done.stdout)["exercises"]}
    assert list(by_id)[-1] == "5_1" and set(DAY4) < set(by_id)
    relu = by_id["5_1"]
    assert relu["source"] == "day5-relu-exercise 0.1.0 (5_1 = day5_relu:EXERCISE)"
    assert relu["graded"] == ["relu", "Relu"] and relu["max_score"] == 5 and relu["distribution"] == "day5-relu-exercise"
    assert relu["notebooks"]["source"] == "5_1_relu.ipynb" and relu["title"] == "The ReLU function and layer"
    # file names name 5_1 too, in this process once the package is on the path
    monkeypatch.syspath_prepend(str(day5["site"]))
    registry.clear_cache()
    try:
        assert exercise_from_filename("5_1_relu.ipynb") == "5_1"
        assert exercise_from_filename("tanaka_５_１ (1).ipynb") == "5_1"
        assert exercise_from_filename("4_1_convolution.ipynb") == "4_1"
        assert identify_exercise({"metadata": {"grader": {"exercise": "5_1"}}}, "x.ipynb") == "5_1"
        from grader.classroom.submissions import _flat_trainee

        assert _flat_trainee("tanaka_5_1.ipynb") == "tanaka"
        # the LMS column is the course's own (DAY5), not DAY4's
        from grader.classroom.export import item_title

        assert relu["lms_item"] == item_title("5_1") == "DAY5 5_1" and item_title("4_1") == "DAY4 4_1"
        assert item_title("9_9") == "9_9"  # an exercise no longer registered keeps its id
    finally:
        monkeypatch.undo()
        registry.clear_cache()


def _check(day5, notebook: Path) -> tuple[int, dict]:
    done = subprocess.run([*GRADER, "check", str(notebook), "--json", "--lang", "en"], capture_output=True, text=True,
                          env=day5["env"], timeout=600)
    return done.returncode, json.loads(done.stdout)


@pytest.mark.slow
def test_the_example_solution_gets_full_marks_in_a_real_kernel(day5):
    code, result = _check(day5, day5["notebook"])
    assert code == 0, result
    assert result["exercise"] == "5_1" and result["score"] == result["max_score"] == 5


@pytest.mark.slow
def test_a_wrong_example_fails_and_its_mistake_is_named(day5, tmp_path):
    nb = json.loads(day5["notebook"].read_text(encoding="utf-8"))
    nb["cells"][2]["source"] = "def relu(x):\n    return np.abs(x)\n"  # a catalogued mistake
    nb["cells"][3]["source"] = "".join(nb["cells"][3]["source"]).replace("self.mask = x <= 0", "self.mask = x < 0")
    del nb["metadata"]["grader"]  # identified by its file name
    wrong = tmp_path / "tanaka_5_1_relu.ipynb"
    wrong.write_text(json.dumps(nb), encoding="utf-8")
    code, result = _check(day5, wrong)
    assert code == 1
    failed = {c["id"]: c for c in result["checks"] if not c["passed"]}
    assert set(failed) == {"relu.values", "relu.boundary", "Relu.backward"}
    assert failed["relu.values"]["details"]["diagnosis"] == "5_1.relu_abs"
    assert result["score"] == 2 and result["max_score"] == 5


# ---------------------------------------------------------------- the probe's key grammar, one home


def test_typed_accessors_read_the_probe_keys():
    """``key/sub``, ``key@argN`` and ``{"$array": name}`` are read through grader.grading.probe's
    accessors; here they agree with the raw keys the kernel side writes."""
    from grader.grading.probe import ARRAY_REF, ProbeOutputs, array_ref

    plan, _ = checks.load("4_4").build(np.random.default_rng(3))
    outputs = expected_outputs(plan)
    tracked = [s for s in plan.steps if s.get("track")]
    assert tracked
    for step in tracked:
        after = outputs.args_after(step["key"])
        assert sorted(after) == sorted(step["track"])
        for position, array in after.items():
            assert outputs.arg_after(step["key"], position) is outputs.arrays[f"{step['key']}@arg{position}"]
            name = array_ref(step["args"][position])
            assert step["args"][position] == {ARRAY_REF: name}
            assert np.array_equal(plan.arg_array(step["key"], position), array)
    assert array_ref({"$array": "x", "other": 1}) is None and array_ref([1]) is None
    assert ProbeOutputs.split_sub("params_small/W1") == ("params_small", "W1")
    assert ProbeOutputs.split_sub("fwd_a") == ("fwd_a", None)
    plan7, _ = checks.load("4_7").build(np.random.default_rng(3))
    key = next(s["key"] for s in plan7.steps if s["key"] == "params_small")
    out7 = expected_outputs(plan7)
    keys = out7.step_status(key)["keys"]
    assert keys and all(out7.sub(key, k) is out7.arrays[f"{key}/{k}"] for k in keys)
    assert out7.sub(key, "no_such_item") is None
