"""How every sub-command ends: one ``error:`` line and exit code 2, or status 130 after Ctrl-C.

:func:`command` wraps a handler ``func(args) -> int``. While it computes, Ctrl-C ends the process
at once, as interrupted (status 130 in the shell): nothing has been written yet, and a long
compiled kernel or a compiler cannot delay or swallow it. While outputs are written
(:func:`deferred_interrupts`, used by :class:`~iadb_graphics.cli._outputs.Outputs`), Ctrl-C is
recorded and raised instead, so that the staged files are removed and the command returns 130.
"""
from __future__ import annotations

import contextlib
import functools
import signal
import sys
import threading

__all__ = ["UsageError", "command", "one_line", "interrupted", "deferred_interrupts", "at_least"]

_STATE = {"interrupted": False}


class UsageError(ValueError):
    """Bad command-line input: reported in one line, exit code 2."""


def at_least(flag: str, value, minimum) -> None:
    """Refuse ``value`` of option ``flag`` when it is below ``minimum`` (None: not given, accepted)."""
    if value is not None and value < minimum:
        raise UsageError(f"{flag} must be >= {minimum}, got {value}")


def one_line(exc) -> str:
    """The first line of an exception's message (its type name when the message is empty)."""
    if isinstance(exc, MemoryError):
        text = str(exc).strip()
        return f"not enough memory ({text.splitlines()[0]})" if text else "not enough memory"
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def interrupted() -> bool:
    """True once Ctrl-C was pressed while outputs were written, even if a library swallowed it."""
    return _STATE["interrupted"]


def _on_sigint(signum, frame):
    _STATE["interrupted"] = True
    raise KeyboardInterrupt


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


@contextlib.contextmanager
def _sigint(handler):
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def deferred_interrupts():
    """Context in which Ctrl-C raises ``KeyboardInterrupt`` and is remembered (see :func:`interrupted`)."""
    return _sigint(_on_sigint)


def command(prog: str):
    """Decorate a handler ``func(args) -> int`` so that every failure ends in one line.

    ``UsageError``, ``ValueError``, ``TypeError``, ``OSError`` and ``MemoryError`` print
    ``"<prog>: error: <first line>"`` on stderr and return 2. Ctrl-C while computing ends the
    process as interrupted; while writing, it prints one line and returns 130, and staged
    outputs are never moved into place.
    """
    def wrap(func):
        @functools.wraps(func)
        def run(args) -> int:
            _STATE["interrupted"] = False
            with _sigint(signal.SIG_DFL):
                try:
                    code = int(func(args) or 0)
                except KeyboardInterrupt:
                    code = 130
                except (UsageError, ValueError, TypeError, OSError, MemoryError) as exc:
                    print(f"{prog}: error: {one_line(exc)}", file=sys.stderr)
                    return 2
            if interrupted() or code == 130:
                print(f"{prog}: interrupted; nothing written", file=sys.stderr)
                return 130
            return code
        return run
    return wrap
