"""The kernel launcher: every grading's kernel is started through it.

``python -m grader.kernel.launcher CONFIG_JSON -- KERNEL_ARGV...`` (built by :mod:`grader.kernel.execute`).
Three processes, so that nothing the notebook starts outlives the grading:

- the *outer* launcher is what jupyter_client sees as the kernel (its process group leader).
  It dies with the grader (``PR_SET_PDEATHSIG``), adopts orphans (child subreaper), creates
  new PID, network and IPC namespaces when it can (as root, else in a user namespace), and
  writes the protections that were in force to the ``state`` file;
- the *init* (pid 1 of the new PID namespace): builds the mount namespace (the allowlisted
  root of :mod:`grader.kernel.sandbox_root`, else the denylist view of :mod:`grader.kernel.sandbox`),
  gives the shared folders to the kernel's uid, starts the kernel, reaps, and when the kernel
  ends kills everything left (with a PID namespace, its own exit does that);
- the *kernel*: drops to the dedicated uid, re-arms the parent-death signal (a uid change
  clears it), sets the rlimits hard = soft, enters its working directory, execs ipykernel.

Nothing here imports more than the standard library and :mod:`grader.kernel.limits`, ``sandbox``,
``sandbox_root`` (and ``seccomp``).
"""
from __future__ import annotations

import json
import os
import resource
import signal
import sys

from grader.kernel.limits import kill_tree
from grader.kernel.sandbox import libc_call, needed_paths, private_mounts, unshare
from grader.kernel.sandbox_root import build_root
from grader.kernel import seccomp as syscall_filter  # imported before any namespace: it may run ldconfig

__all__ = ["main", "launcher_argv", "PROTECTIONS"]

PR_SET_PDEATHSIG, PR_SET_NO_NEW_PRIVS, PR_SET_CHILD_SUBREAPER = 1, 38, 36
# what the state file reports, each True or False
PROTECTIONS = ("rlimits", "pdeathsig", "uid", "nproc", "pidns", "netns", "ipcns", "mountns", "proc", "readonly_fs",
               "private_tmp", "hidden_home", "allowlist_fs", "eval_data_hidden", "seccomp")


def launcher_argv(config: dict, kernel_argv: list[str]) -> list[str]:
    return [sys.executable, "-m", "grader.kernel.launcher", json.dumps(config), "--", *kernel_argv]


def _prctl(option: int, value: int) -> None:
    libc_call("prctl", option, value, 0, 0, 0)


def _write_map(path: str, text: str) -> None:
    with open(path, "w", encoding="ascii") as f:
        f.write(text)


def _new_namespaces(isolate: bool) -> tuple[dict, list[str], bool]:
    """Unshare PID, network and IPC namespaces (in a user namespace when not root).
    Returns ``(protections, problems, mount_namespace_possible)``."""
    done = {"pidns": False, "netns": False, "ipcns": False}
    if not isolate:
        return done, ["isolation disabled by the limits"], False
    uid, gid = os.getuid(), os.getgid()
    try:
        if os.geteuid() == 0:
            unshare("pid", "net", "ipc")
        else:
            unshare("user", "pid", "net", "ipc")
            _write_map("/proc/self/setgroups", "deny")
            _write_map("/proc/self/uid_map", f"{uid} {uid} 1")
            _write_map("/proc/self/gid_map", f"{gid} {gid} 1")
    except OSError as exc:
        return done, [f"namespaces refused: {exc}"], False
    return {"pidns": True, "netns": True, "ipcns": True}, [], True


def _uid_usable(uid: int, gid: int, paths_ro, paths_rw) -> str | None:
    """Whether ``uid`` can read the interpreter and write the shared folders: tried in a
    throwaway child. ``None`` when it can, else the first path it cannot use."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(r)
        bad = ""
        try:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
            checks = [(p, os.R_OK | os.X_OK) for p in paths_ro] + [(p, os.R_OK | os.W_OK | os.X_OK) for p in paths_rw]
            checks.append((sys.executable, os.X_OK))
            bad = next((p for p, mode in checks if not os.access(p, mode)), "")
        except OSError as exc:
            bad = f"setuid: {exc}"
        os.write(w, bad.encode()[:1000])
        os._exit(0)
    os.close(w)
    answer = os.read(r, 1000).decode(errors="replace")
    os.close(r)
    os.waitpid(pid, 0)
    return answer or None


def _exec_kernel(argv, workdir: str, uid, gid, rlimits: dict) -> None:
    """In the forked kernel process: drop privileges, limits, exec. Never returns."""
    try:
        parent = os.getppid()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        if uid is not None:
            os.setgroups([])
            os.setresgid(gid, gid, gid)
            os.setresuid(uid, uid, uid)
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it
        if os.getppid() != parent:
            os._exit(1)
        _prctl(PR_SET_NO_NEW_PRIVS, 1)
        for name, value in rlimits.items():
            resource.setrlimit(getattr(resource, name), (value, value))
        os.umask(0o077)
        os.chdir(workdir)
        env = dict(os.environ, JPY_PARENT_PID=str(parent), HOME=workdir)
        syscall_filter.load(own_uid=uid is not None)  # grader/kernel/seccomp.py: after the mounts, uid, rlimits; keyrings
        os.execve(argv[0], argv, env)
    except BaseException as exc:  # noqa: BLE001 - report anything, then leave
        os.write(2, f"day4 launcher: cannot start the kernel: {exc!r}\n".encode())
    os._exit(127)


def _clamped(rlimits: dict) -> dict:
    """The limits as the kernel may set them: never above the current hard limit."""
    out = {}
    for name, value in rlimits.items():
        _, hard = resource.getrlimit(getattr(resource, name))
        out[name] = value if hard == resource.RLIM_INFINITY else min(value, hard)
    return out


def _mount_view(config: dict, keep_ro, rw, owner) -> tuple[dict, list[str], list[str]]:
    """The kernel's file system in its new mount namespace: the allowlisted root of
    ``config["view"]`` (:mod:`grader.kernel.sandbox_root`), else the denylist view of
    :func:`~grader.kernel.sandbox.private_mounts`. Returns ``(protections, problems, paths it reads)``."""
    problems = []
    new_proc = os.getpid() == 1
    if config.get("view"):
        view = dict(config["view"])
        view["ro"] = list(view["ro"]) + [[p, p] for p in config.get("ro", ()) if os.path.isdir(p)]
        try:
            done, notes = build_root(view, rw=rw, workdir=config["workdir"], owner=owner,
                                     tmpfs_bytes=config["tmpfs_bytes"], new_proc=new_proc)
            return done, notes, [t for _, t in view["ro"] if os.path.isdir(t)]
        except OSError as exc:
            problems.append(f"allowlisted root: {exc}; falling back to hiding folders")
    done, notes = private_mounts(new_proc=new_proc, keep_ro=keep_ro, keep_rw=rw, workdir=config["workdir"],
                                 owner=owner, tmpfs_bytes=config["tmpfs_bytes"])
    return dict(done, allowlist_fs=False, eval_data_hidden=False), problems + notes, keep_ro


def _prepare(config: dict, mount_ns: bool) -> tuple[dict, list[str], int | None]:
    """In the init process: mount namespace, ownership of the shared folders, the uid check."""
    done = {"mountns": False, "proc": False, "readonly_fs": False, "private_tmp": False, "hidden_home": False,
            "allowlist_fs": False, "eval_data_hidden": False}
    problems: list[str] = []
    uid, gid = config.get("uid"), config.get("gid")
    rw = list(config["rw"])
    if uid is not None:
        for path in rw:
            os.chown(path, uid, gid)
            os.chmod(path, 0o700)
        connection = config.get("connection_file")
        if connection and os.path.exists(connection):
            os.chown(connection, uid, gid)
    keep_ro = needed_paths(config.get("ro", ()))  # "ro": the course shim, a --kernel-python's prefixes
    if mount_ns:
        os.umask(0o022)
        try:
            unshare("mount")
            done["mountns"] = True
            owner = (uid, gid) if uid is not None else None
            more, notes, keep_ro = _mount_view(config, keep_ro, rw, owner)
            done.update(more)
            problems += notes
        except OSError as exc:
            problems.append(f"mount namespace: {exc}")
    elif uid is not None:
        os.chown(config["workdir"], uid, gid)
        os.chmod(config["workdir"], 0o700)
    if uid is not None:
        bad = _uid_usable(uid, gid, keep_ro, rw + [config["workdir"]])
        if bad:
            problems.append(f"uid {uid} cannot use {bad}: the kernel runs as uid {os.getuid()}")
            uid = None
    return done, problems, uid


def _init(config: dict, argv, report_fd: int, mount_ns: bool) -> None:
    """pid 1 of the new PID namespace (or a plain child without one). Never returns."""
    code = 1
    try:
        _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
        _prctl(PR_SET_CHILD_SUBREAPER, 1)
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # interrupts are for the kernel
        done, problems, uid = _prepare(config, mount_ns)
        rlimits = _clamped({k: v for k, v in config["rlimits"].items() if k != "RLIMIT_NPROC" or uid is not None})
        done.update(uid=uid is not None, nproc="RLIMIT_NPROC" in rlimits, rlimits=True, pdeathsig=True)
        done["seccomp"] = bool(config.get("isolate", True)) and syscall_filter.prepare(problems)  # loaded by the kernel
        os.write(report_fd, json.dumps({"protections": done, "problems": problems, "uid": uid}).encode())
        os.close(report_fd)
        kernel = os.fork()
        if kernel == 0:
            _exec_kernel(argv, config["workdir"], uid, config.get("gid"), rlimits)

        def stop(signum, frame):
            os.kill(kernel, signal.SIGKILL)

        signal.signal(signal.SIGTERM, stop)
        while True:
            pid, status = os.waitpid(-1, 0)
            if pid == kernel:
                code = os.waitstatus_to_exitcode(status)
                code = 128 - code if code < 0 else code
                break
    except BaseException as exc:  # noqa: BLE001
        os.write(2, f"day4 launcher (init): {exc!r}\n".encode())
    finally:
        if os.getpid() == 1:
            try:
                os.kill(-1, signal.SIGKILL)  # everything else in this PID namespace
            except ProcessLookupError:
                pass
        else:
            kill_tree(os.getpid())
        os._exit(code)


def main(args=None) -> int:
    args = sys.argv[1:] if args is None else args
    if len(args) < 3 or args[1] != "--":
        print("usage: python -m grader.kernel.launcher CONFIG_JSON -- KERNEL_ARGV...", file=sys.stderr)
        return 2
    config, argv = json.loads(args[0]), args[2:]
    _prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if config.get("grader_pid") and os.getppid() != config["grader_pid"]:
        return 1  # the grader is already gone
    _prctl(PR_SET_CHILD_SUBREAPER, 1)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    done, problems, mount_ns = _new_namespaces(config.get("isolate", True))
    r, w = os.pipe()
    child = os.fork()
    if child == 0:
        os.close(r)
        _init(config, argv, w, mount_ns)
    os.close(w)

    def stop(signum, frame):
        os.kill(child, signal.SIGKILL)

    signal.signal(signal.SIGTERM, stop)
    chunks = []
    while chunk := os.read(r, 65536):
        chunks.append(chunk)
    os.close(r)
    try:
        report = json.loads(b"".join(chunks) or b"{}")
    except ValueError:
        report = {}
    state = dict(protections={**done, **report.get("protections", {})}, problems=problems + report.get("problems", []),
                 uid=report.get("uid"), init_pid=child)
    with open(config["state"] + ".tmp", "w", encoding="utf-8") as f:
        json.dump(state, f)
    os.replace(config["state"] + ".tmp", config["state"])
    _, status = os.waitpid(child, 0)
    kill_tree(os.getpid())
    code = os.waitstatus_to_exitcode(status)
    return 128 - code if code < 0 else code


if __name__ == "__main__":
    sys.exit(main())
