"""Keeps pytest's failure reports readable on Python 3.11 before 3.11.8 (Debian 12 has 3.11.2).

To report a failure, pytest parses the source file of every traceback entry
with `ast.parse`.  Parsing allocates thousands of objects, so the cyclic
garbage collector often runs in the middle of it, and a finalizer it runs
may log an error with a traceback: asyncio does that for a future whose
exception nobody retrieved.  When Playwright's driver cannot start (a
minimal Debian without libatomic1), Python 3.11.2's asyncio leaves exactly
such a future behind: the subprocess's `_stdin_closed`, holding the
BrokenPipeError of the first write to the dead driver (3.11.7 marks it as
not worth logging), in a reference cycle that only the collector frees.
Formatting the logged traceback calls `ast.parse` again (3.11's traceback
module parses each line to place its carets), inside the first parse.
Until 3.11.8 the AST constructor kept its recursion counter per
interpreter, not per call (CPython gh-106905, fixed by gh-113035), so the
nested parse leaves the outer one's counter wrong, the outer parse raises
`SystemError: AST constructor recursion depth mismatch`, and pytest stops
with INTERNALERROR instead of printing the failures.  Whether the collector
runs inside a parse is chance: about one run in three on a clean Debian 12.

The cure: on those Pythons, `ast.parse` runs with the cyclic collector
paused, so no finalizer can run inside it; pending garbage is collected
(and logged, harmlessly) right after.  That covers every parse in the test
process: pytest's reports, its assertion rewriting of modules imported
late, the traceback module's carets.  tests/conftest.py installs it;
tests/browser/test_failure_reports.py checks it with a browser fixture that
fails as it does without libatomic1.
"""

from __future__ import annotations

import ast
import functools
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

# CPython 3.11.0 to 3.11.7: ast.parse is not safe to re-enter (3.10 and 3.12 are).
PARSE_NOT_REENTRANT = (3, 11) <= sys.version_info[:3] < (3, 11, 8)


@contextmanager
def cyclic_gc_paused() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def install() -> None:
    """Wrap `ast.parse` on the Pythons that need it; once, however often it is called."""
    if not PARSE_NOT_REENTRANT or getattr(ast.parse, "gc_paused", False):
        return
    original = ast.parse

    @functools.wraps(original)
    def parse(*args: Any, **kwargs: Any) -> Any:
        with cyclic_gc_paused():
            return original(*args, **kwargs)

    parse.gc_paused = True  # type: ignore[attr-defined]
    ast.parse = parse
