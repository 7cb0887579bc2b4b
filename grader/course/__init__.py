"""The exercises: one registry (:mod:`.registry`, the entry-point group
``day4_grader.exercises``) of exercise specs; the built-in DAY4 exercises' plans and checks
(:mod:`.checks`) and their catalogues of typical mistakes (:mod:`.diagnosis`)."""
