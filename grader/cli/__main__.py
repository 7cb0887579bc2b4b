"""``python -m grader.cli``: the ``grader`` command."""
import sys

from grader.cli.commands import main

sys.exit(main())
