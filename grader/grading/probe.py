"""The probe, grader side: build a plan of calls with inputs from ``default_rng(seed)``,
write it for the kernel, read the kernel's outputs back with every cap checked before
anything is loaded, and compute the expected outputs by running the same plan against
``reference`` in this process."""
from __future__ import annotations

import json
import os
import stat
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from grader.grading import kernel_probe

__all__ = ["Plan", "PlanBuilder", "ProbeOutputs", "ARRAY_REF", "array_ref", "RNG_REF", "rng_ref", "ProbeReadError", "write_exchange", "read_outputs",
           "expected_outputs", "probe_cell_source", "describe_step", "MAX_OUTPUT_BYTES", "killed_step"]

MAX_OUTPUT_BYTES = 256 * 1024 * 1024  # uncompressed, all arrays together
MAX_STATUS_BYTES = 4 * 1024 * 1024
REFERENCE_DIR = str(Path(__import__("reference").__file__).resolve().parent) + os.sep


class ProbeReadError(Exception):
    """The kernel's result files are missing, forged or too large."""


# The plan's and outputs' key grammar has one home here (the kernel side, kernel_probe.py,
# writes the same): an array argument is ``{"$array": name}``; a dict result's item is
# ``key/name``; a tracked input as it was after the call is ``key@argN``.
ARRAY_REF = "$array"
RNG_REF = "$rng"  # {"$rng": seed}: numpy.random.default_rng(seed), built fresh in the kernel for each use
_SUB, _ARG = "/", "@arg"


def rng_ref(value) -> int | None:
    """The seed when ``value`` is a generator argument (``{"$rng": seed}``), else ``None``."""
    return value[RNG_REF] if isinstance(value, dict) and set(value) == {RNG_REF} else None


def array_ref(value) -> str | None:
    """The plan array's name when ``value`` is an array argument (``{"$array": name}``), else ``None``."""
    return value[ARRAY_REF] if isinstance(value, dict) and set(value) == {ARRAY_REF} else None


@dataclass(frozen=True)
class Plan:
    steps: tuple[dict, ...]
    arrays: dict = field(default_factory=dict)

    def step(self, key: str) -> dict:
        for step in self.steps:
            if step["key"] == key:
                return step
        raise KeyError(key)

    def as_json(self) -> dict:
        return {"steps": list(self.steps), "reference_dir": REFERENCE_DIR}

    def resolve(self, value):
        """``value`` with an array argument replaced by its array."""
        name = array_ref(value)
        return value if name is None else self.arrays[name]

    def arg_array(self, key: str, position: int) -> np.ndarray:
        """The input array passed at ``position`` of step ``key`` (a tracked argument)."""
        return self.arrays[array_ref(self.step(key)["args"][position])]


class PlanBuilder:
    """Collects the steps of a plan; array arguments are registered by name."""

    def __init__(self):
        self._steps: list[dict] = []
        self._arrays: dict[str, np.ndarray] = {}

    def array(self, name: str, value) -> dict:
        value = np.ascontiguousarray(value)
        if name in self._arrays and not np.array_equal(self._arrays[name], value):
            raise ValueError(f"array {name!r} registered twice with different values")
        self._arrays[name] = value
        return {ARRAY_REF: name}

    def _add(self, op: str, key: str, **fields) -> str:
        if any(s["key"] == key for s in self._steps):
            raise ValueError(f"duplicate step key {key!r}")
        step = {"key": key, "op": op}
        step.update({k: v for k, v in fields.items() if v not in (None, (), [], {})})
        for name in ("args", "track", "watch", "after"):
            if name in step:
                step[name] = list(step[name])
        self._steps.append(step)
        return key

    def call(self, key, name, *args, track=(), watch=(), after=(), **kwargs) -> str:
        return self._add("call", key, name=name, args=args, kwargs=kwargs, track=track, watch=watch, after=after)

    @staticmethod
    def rng(seed: int) -> dict:
        """An argument the kernel turns into ``numpy.random.default_rng(seed)`` (fresh per use)."""
        return {RNG_REF: int(seed)}

    def iterate(self, key, name, *args, limit: int, track=(), watch=(), after=(), **kwargs) -> str:
        """A call whose result is iterated (a generator): its items come back as a dict,
        ``count`` and ``"i"`` (or ``"i.j"`` for the parts of a tuple item); more than ``limit``
        items is an error of the step."""
        return self._add("call", key, name=name, args=args, kwargs=kwargs, track=track, watch=watch, after=after,
                         collect=int(limit))

    def new(self, key, name, *args, watch=(), after=(), **kwargs) -> str:
        return self._add("new", key, name=name, args=args, kwargs=kwargs, watch=watch, after=after)

    def method(self, key, obj, name, *args, track=(), watch=(), after=(), **kwargs) -> str:
        return self._add("method", key, obj=obj, name=name, args=args, kwargs=kwargs, track=track,
                         watch=watch, after=tuple(after) or (obj,))

    def attr(self, key, obj, name, after=()) -> str:
        return self._add("attr", key, obj=obj, name=name, after=tuple(after) or (obj,))

    def setitems(self, key, obj, attr, values: dict, after=()) -> str:
        return self._add("setitems", key, obj=obj, attr=attr, kwargs={"values": values},
                         after=tuple(after) or (obj,))

    def global_(self, key, name) -> str:
        return self._add("global", key, name=name)

    def global_array(self, key, name) -> str:
        """The notebook's global ``name`` (a list of numbers) as a float64 array."""
        return self._add("global_array", key, name=name)

    def build(self) -> Plan:
        return Plan(tuple(self._steps), dict(self._arrays))


@dataclass(frozen=True)
class ProbeOutputs:
    """What came back: arrays by key (``key``, ``key/sub`` for dicts, ``key@argN`` for inputs
    after the call) and a status dict per step."""

    arrays: dict
    status: dict

    def step_status(self, key: str) -> dict:
        return self.status.get(key, {"status": "not-run"})

    @staticmethod
    def sub_key(key: str, name: str) -> str:
        """The array key of item ``name`` of a dict returned by step ``key``."""
        return f"{key}{_SUB}{name}"

    @staticmethod
    def split_sub(array_key: str) -> tuple[str, str | None]:
        """``(step key, item name)`` of an array key; the name is ``None`` for a step's own result."""
        key, _, name = array_key.partition(_SUB)
        return key, name or None

    def sub(self, key: str, name: str):
        """Item ``name`` of the dict step ``key`` returned, ``None`` when it did not come back."""
        return self.arrays.get(self.sub_key(key, name))

    def arg_after(self, key: str, position: int):
        """The input at ``position`` of step ``key`` as it was after the call, ``None`` if absent."""
        return self.arrays.get(f"{key}{_ARG}{position}")

    def args_after(self, key: str) -> dict[int, np.ndarray]:
        """``{position: array}`` of every tracked input of step ``key`` that came back."""
        prefix = f"{key}{_ARG}"
        return {int(n[len(prefix):]): a for n, a in self.arrays.items() if n.startswith(prefix) and n[len(prefix):].isdigit()}


def write_exchange(plan: Plan, folder: Path) -> None:
    folder = Path(folder)
    np.savez(folder / "inputs.npz", **plan.arrays)
    (folder / "plan.json").write_text(json.dumps(plan.as_json()), encoding="utf-8")


def _open_folder(folder: Path) -> int:
    try:
        return os.open(folder, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except OSError as exc:
        raise ProbeReadError(f"the exchange folder cannot be opened ({exc.strerror})") from None


def _open_regular(folder_fd: int, name: str, limit: int):
    """``name`` in the folder, opened without following a link: a regular file with a single
    link and at most ``limit`` bytes, checked on the open file (no race with the kernel)."""
    try:
        fd = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, dir_fd=folder_fd)
    except FileNotFoundError:
        raise ProbeReadError(f"{name} was not written") from None
    except OSError as exc:  # ELOOP: a symbolic link
        raise ProbeReadError(f"{name} is not a regular file ({exc.strerror})") from None
    info = os.fstat(fd)
    problem = None
    if not stat.S_ISREG(info.st_mode):
        problem = "is not a regular file"
    elif info.st_nlink != 1:
        problem = "is not a regular file (it has other hard links)"
    elif info.st_size > limit:
        problem = f"is {info.st_size:,} bytes (limit {limit:,})"
    if problem:
        os.close(fd)
        raise ProbeReadError(f"{name} {problem}")
    return os.fdopen(fd, "rb")


def _npy_header(member):
    version = np.lib.format.read_magic(member)
    if version == (1, 0):
        return np.lib.format.read_array_header_1_0(member)
    if version == (2, 0):
        return np.lib.format.read_array_header_2_0(member)
    raise ValueError(f"unsupported .npy version {version}")


def _checked_npz_members(archive: zipfile.ZipFile) -> None:
    """Refuse an npz that holds anything but plain numeric ``.npy`` members, or whose members
    would expand beyond the cap: the sizes in the zip directory and every member's header
    (shape and dtype) are read before any data."""
    total = 0
    for member in archive.infolist():
        if not member.filename.endswith(".npy") or member.is_dir():
            raise ProbeReadError(f"unexpected member {member.filename!r} in outputs.npz")
        total += member.file_size
        if total > MAX_OUTPUT_BYTES:
            raise ProbeReadError(f"outputs.npz expands to more than {MAX_OUTPUT_BYTES:,} bytes")
        with archive.open(member) as f:
            shape, _, dtype = _npy_header(f)
        if dtype.hasobject or dtype.kind not in "biuf":
            raise ProbeReadError(f"outputs.npz member {member.filename!r} has dtype {dtype}")
        if int(np.prod(shape, dtype=object)) * dtype.itemsize > member.file_size:
            raise ProbeReadError(f"outputs.npz member {member.filename!r} claims more data than it holds")


def _read_status(folder_fd: int) -> dict:
    with _open_regular(folder_fd, "status.json", MAX_STATUS_BYTES) as f:
        raw = f.read(MAX_STATUS_BYTES + 1)
    try:
        status = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProbeReadError(f"status.json is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(status, dict) or not all(isinstance(v, dict) for v in status.values()):
        raise ProbeReadError("status.json has the wrong structure")
    return status


def read_outputs(folder: Path) -> ProbeOutputs:
    """Load ``status.json`` and ``outputs.npz`` written by the kernel: regular files only (no
    link followed), every size capped before loading, no pickle."""
    folder_fd = _open_folder(Path(folder))
    try:
        status = _read_status(folder_fd)
        with _open_regular(folder_fd, "outputs.npz", MAX_OUTPUT_BYTES) as f:
            arrays = {}
            try:
                with zipfile.ZipFile(f) as archive:
                    _checked_npz_members(archive)
                f.seek(0)
                with np.load(f, allow_pickle=False) as data:
                    for name in data.files:
                        value = data[name]
                        if value.dtype.kind not in "biuf":
                            raise ProbeReadError(f"outputs.npz member {name!r} has dtype {value.dtype}")
                        arrays[name] = value
            except ProbeReadError:
                raise
            except Exception as exc:  # noqa: BLE001 - a forged archive breaks zipfile/numpy in many ways
                raise ProbeReadError(f"outputs.npz cannot be read: {type(exc).__name__}: {str(exc)[:200]}") from None
    finally:
        os.close(folder_fd)
    return ProbeOutputs(arrays, status)


def killed_step(folder: Path) -> str | None:
    """The key of the step the probe was running (its ``progress`` file), for a probe that
    killed or hung the kernel; ``None`` when unknown."""
    try:
        folder_fd = _open_folder(Path(folder))
    except ProbeReadError:
        return None
    try:
        with _open_regular(folder_fd, "progress", 1000) as f:
            key = f.read(1000).decode("utf-8", "replace").strip()
    except (ProbeReadError, OSError):
        return None
    finally:
        os.close(folder_fd)
    return key or None


def expected_outputs(plan: Plan, namespace: dict | None = None) -> ProbeOutputs:
    """Run ``plan`` against the reference implementation in this process."""
    if namespace is None:
        import reference

        namespace = {name: getattr(reference, name) for name in reference.__all__}
    plan_json = dict(plan.as_json(), reference_dir=None)
    arrays, status = kernel_probe._day4_run_plan(plan_json, plan.arrays, namespace)
    return ProbeOutputs(arrays, status)


def probe_cell_source(exchange: Path, killed=()) -> str:
    """The source of the cell appended to the notebook; ``killed``: keys of steps not to
    perform (they killed or hung the kernel in an earlier run)."""
    source = Path(kernel_probe.__file__).read_text(encoding="utf-8")
    return f"{source}\n_day4_grader_probe({str(exchange)!r}, globals(), {list(killed)!r})\n"


def _describe_value(value, arrays) -> str:
    if rng_ref(value) is not None:
        return f"default_rng({rng_ref(value)})"
    name = array_ref(value)
    if name is not None:
        array = arrays[name]
        return f"{name}{tuple(array.shape)} {array.dtype}"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k!r}: {_describe_value(v, arrays)}" for k, v in value.items()) + "}"
    return repr(value)


def describe_step(plan: Plan, key: str) -> str:
    """``im2col(x(2, 3, 7, 7) float64, 3, 3, stride=2, pad=1)``; for a method, the object's
    construction first: ``Convolution(W(...), b(...), stride=1).forward(x(...))``."""
    step = plan.step(key)
    parts = [_describe_value(a, plan.arrays) for a in step.get("args", [])]
    parts += [f"{k}={_describe_value(v, plan.arrays)}" for k, v in step.get("kwargs", {}).items()]
    call = f"{step.get('name')}({', '.join(parts)})"
    if step["op"] in ("method", "attr", "setitems"):
        owner = describe_step(plan, step["obj"])
        if step["op"] == "attr":
            return f"{owner}.{step['name']}"
        if step["op"] == "setitems":
            return f"{owner}.{step['attr']}[...] = ..."
        return f"{owner}.{call}"
    if step["op"] in ("global", "global_array"):
        return step["name"]
    return call
