"""Grading one notebook: read and identify it (:mod:`.notebook`), run it and probe the
trainee's names (:mod:`.grade`; :mod:`.plan` the typed plan and outputs, :mod:`.probe` and
:mod:`.exchange` the cell and its files, :mod:`.kernel_probe` the part that runs in the
kernel), judge the outputs against ``reference`` outside the kernel (:mod:`.judging`,
:mod:`.compare`, :mod:`.cause`, the static scan :mod:`.integrity` with :mod:`.integrity_rules`
and :mod:`.scan_budget`) into frozen results (:mod:`.results`);
:mod:`.selfcheck` does the same in the trainee's own kernel with the public seed."""
