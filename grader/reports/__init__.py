"""Reports and messages: every text a user reads in Japanese and English (:mod:`.messages`),
escaped for its medium (:mod:`.safe_text`), rendered to strings by jinja2 templates
(:mod:`.report`, :mod:`.class_report`, :mod:`.feedback`, :mod:`.ci_report`,
:mod:`.similarity_report`, :mod:`.presentation`); only the CLI and the batch write files."""
