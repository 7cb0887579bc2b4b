"""Hostile and broken submissions, each named by its defect, each with its expected outcome
(see ``cells.py`` for notebooks whose code misbehaves, ``files.py`` for notebook files and
result files that are broken or forged)."""
