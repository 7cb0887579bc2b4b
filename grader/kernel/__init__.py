"""The sandboxed kernel: a fresh Jupyter kernel per grading (:mod:`.execute`, the only module
that talks to nbclient/jupyter_client; :mod:`.kernel_start` prepares its environment,
folder and manager), started by :mod:`.launcher` under its own uid in an
allowlisted root (:mod:`.sandbox_root`, :mod:`.view`) with limits (:mod:`.limits`) and a
seccomp filter (:mod:`.seccomp`); what the course's notebooks import is provided there
(:mod:`.course_shim`, :mod:`.course_helpers`, :mod:`.data`, :mod:`.reference_copy` with
:mod:`.reference_names` and :mod:`.reference_source`, :mod:`.env_cells`, :mod:`.interpreter`)."""
