"""All-or-nothing outputs for the commands: check every path first, stage, then move all into place.

A command declares each output (:meth:`Outputs.add`) before any work, so that an existing file
without ``--force``, two outputs on one path, an extension the writer cannot produce, a missing
or read-only folder are refused before anything is computed. The results are then written to
hidden staging files beside their targets (:meth:`Outputs.stage`) and moved into place only when
every writer succeeded and the run was not interrupted (:meth:`Outputs.commit`); on failure the
staging files are removed and the error names the real path, never the staging one.
"""
from __future__ import annotations

import contextlib
import os
import tempfile

from ..io import _UMASK
from ._command import UsageError, deferred_interrupts, interrupted

__all__ = ["Outputs", "POINT_EXTENSIONS"]

#: Extensions of point files (:func:`iadb_graphics.io.write_points`).
POINT_EXTENSIONS = (".npy", ".txt", ".csv")


class Outputs:
    """The files one command run writes.

    Parameters
    ----------
    force : bool
        Overwrite existing files (``--force``); otherwise an existing output is refused up front.
    """

    def __init__(self, *, force: bool):
        self.force = bool(force)
        self._targets = {}  # flag -> path as given
        self._staged = {}   # flag -> staging path

    def add(self, flag: str, path, extensions) -> str | None:
        """Declare output ``flag`` at ``path`` (None: not requested); check it now.

        Raises ``UsageError`` naming ``flag`` for a wrong extension, a path that is a folder, a
        missing or read-only folder, an existing file without ``--force``, or a path already used
        by another output.
        """
        if path is None:
            return None
        path = os.fspath(path)
        ext = os.path.splitext(path)[1].lower()
        if ext not in extensions:
            choices = ", ".join(extensions[:-1]) + " or " + extensions[-1] if len(extensions) > 1 else extensions[0]
            raise UsageError(f"{flag} must end in {choices}, got {path!r}")
        if os.path.isdir(path):
            raise UsageError(f"{flag} {path!r} is a folder, not a file")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise UsageError(f"{flag} {path!r}: folder {folder!r} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(f"{flag} {path!r}: folder {folder!r} is not writable")
        if os.path.lexists(path) and not self.force:
            raise UsageError(f"{flag} {path!r} exists; use --force to overwrite it")
        real = os.path.realpath(path)
        for other, other_path in self._targets.items():
            if os.path.realpath(other_path) == real:
                raise UsageError(f"{flag} and {other} name the same file {path!r}; give them different paths")
        self._targets[flag] = path
        return path

    def __contains__(self, flag) -> bool:
        return flag in self._targets

    def stage(self, flag: str) -> str:
        """A fresh hidden file beside output ``flag``'s target, with its extension, to write into."""
        target = self._targets[flag]
        fd, tmp = tempfile.mkstemp(prefix=".iadb-partial-", suffix=os.path.splitext(target)[1],
                                   dir=os.path.dirname(os.path.abspath(target)))
        os.close(fd)
        self._staged[flag] = tmp
        return tmp

    @contextlib.contextmanager
    def writing(self):
        """Context of the writers: on success commit every staged file; on failure remove them all.

        Errors raised inside are re-raised as ``UsageError`` with staging paths replaced by the
        real ones (``KeyboardInterrupt`` passes through unchanged).
        """
        try:
            with deferred_interrupts():
                yield self
                self.commit()
        except (ValueError, TypeError, OSError, RuntimeError) as exc:
            self.discard()
            raise UsageError(self._real_names(f"cannot write the output ({type(exc).__name__}: {exc})"
                                              if not isinstance(exc, (ValueError, UsageError))
                                              else str(exc))) from None
        except BaseException:
            self.discard()
            raise

    def _real_names(self, text: str) -> str:
        for flag, tmp in self._staged.items():
            text = text.replace(tmp, self._targets[flag]).replace(os.path.basename(tmp), self._targets[flag])
        return text.strip().splitlines()[0] if text.strip() else "cannot write the output"

    def discard(self) -> None:
        """Remove every staging file."""
        for tmp in self._staged.values():
            with contextlib.suppress(OSError):
                os.remove(tmp)
        self._staged = {}

    def commit(self) -> list[str]:
        """Move every staged file onto its target; all or none (existing targets are restored on failure).

        Raises ``KeyboardInterrupt`` instead when Ctrl-C was pressed during the run.
        """
        if interrupted():
            raise KeyboardInterrupt
        missing = [flag for flag in self._targets if flag not in self._staged]
        if missing:
            raise RuntimeError(f"internal error: outputs {missing} were declared but not written")
        backups, done = {}, []
        try:
            for flag, tmp in self._staged.items():
                target = self._targets[flag]
                if os.path.lexists(target):
                    fd, backup = tempfile.mkstemp(prefix=".iadb-backup-", dir=os.path.dirname(os.path.abspath(target)))
                    os.close(fd)
                    os.replace(target, backup)
                    backups[flag] = backup
                os.chmod(tmp, 0o666 & ~_UMASK)  # staging files are private until they are outputs
                os.replace(tmp, target)
                done.append(flag)
        except BaseException:
            for flag in done:
                with contextlib.suppress(OSError):
                    os.remove(self._targets[flag])
            for flag, backup in backups.items():
                with contextlib.suppress(OSError):
                    os.replace(backup, self._targets[flag])
            raise
        for backup in backups.values():
            with contextlib.suppress(OSError):
                os.remove(backup)
        written = [self._targets[flag] for flag in done]
        self._staged = {}
        return written

    @property
    def paths(self) -> list[str]:
        """The declared output paths, in the order added."""
        return list(self._targets.values())
