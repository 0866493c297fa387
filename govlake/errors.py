"""The one base class of errors a user can act on (a missing setup step, a bad argument, a refused
delivery): the CLI prints them as one line and exits 1; anything else is a bug and shows a traceback."""

from __future__ import annotations


class GovlakeError(RuntimeError):
    """An error whose message tells the user what to do; printed without a traceback."""
