"""Grading one notebook: read and identify it (:mod:`.notebook`), run it and probe the
trainee's names (:mod:`.grade`, :mod:`.probe`; :mod:`.kernel_probe` is the part that runs in
the kernel), judge the outputs against ``reference`` outside the kernel (:mod:`.judging`,
:mod:`.compare`, :mod:`.cause`, :mod:`.integrity`) into frozen results (:mod:`.results`);
:mod:`.selfcheck` does the same in the trainee's own kernel with the public seed."""
