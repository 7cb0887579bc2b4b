"""The class and its gradebook: find the submissions (:mod:`.submissions`), grade them in
workers (:mod:`.runner`, :mod:`.batch`, :mod:`.distributed`, :mod:`.lifeline`), keep the
results (:mod:`.gradebook`), and apply the class's policy when asked (:mod:`.roster`,
:mod:`.late`, :mod:`.overrides`, :mod:`.standing`, :mod:`.export`, :mod:`.similarity`)."""
