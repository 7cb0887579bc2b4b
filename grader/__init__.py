"""Grading harness for the DAY4 (CNN) notebooks: run a notebook in a fresh kernel, probe the
trainee's functions on hidden inputs, compare with ``reference`` outside the kernel, report."""
__version__ = "0.1.0"

__all__ = ["__version__", "selfcheck"]


def selfcheck(*args, **kwargs):
    """Run the public checks on the live notebook namespace (see :mod:`grader.grading.selfcheck`)."""
    from grader.grading.selfcheck import selfcheck as _selfcheck

    return _selfcheck(*args, **kwargs)
