"""The output folder of a command: one set of files, written beside it and swapped in whole.

``architecture.md`` (outputs): ``import``, ``derive``, ``run`` and ``demo`` write into
``DIR.partial-<pid>``, a sibling of ``--out DIR`` on the same file system, and only when the
command is done rename ``DIR`` aside, rename the new folder to ``DIR`` and delete the old one. A
command that fails or is killed leaves the previous outputs as they were; one that finishes
leaves exactly its own files (never the swimmer parts of an earlier, larger study).

A command holds an exclusive lock on ``.DIR.lock`` (beside ``DIR``) from start to end, so a second
command into the same folder is refused with one line instead of mixing two studies. Folders of
dead commands (``DIR.partial-*``, ``DIR.old-*``) are removed under that lock. Every output folder
holds the marker file ``.itpcohort-outputs``: a folder that holds anything else (the user's own
files) is never replaced.
"""

from __future__ import annotations

import errno
import os
import shutil
import sys
from pathlib import Path
from types import TracebackType

from itpcohort.errors import ItpcohortError, UsageError

#: the file that marks a folder as the outputs of an itpcohort command
MARKER = ".itpcohort-outputs"
_MARKER_TEXT = (
    "This folder holds the outputs of one itpcohort command. The next command given it as --out\n"
    "replaces the whole folder: keep your own files elsewhere.\n"
)
#: what an output folder written before the marker existed may hold
_EARLIER_OUTPUTS = frozenset(
    {
        "study.duckdb",
        "study.duckdb.wal",
        "rejected_rows.csv",
        "results.json",
        "report.html",
        "report.docx",
        "figures",
        "tables",
        "derived",
        "input",
        # what file managers leave in any folder they show
        ".DS_Store",
        "Thumbs.db",
        "desktop.ini",
    }
)


class OutputFolderError(ItpcohortError):
    """The output folder cannot be used: in use by another command, or not writable (exit 1)."""

    exit_code = 1


#: a word on the failures of the disk or the file system, by errno
_HINTS = {
    errno.ENOSPC: "the disk is full",
    errno.EFBIG: "the disk is full or the file size limit is reached",
    errno.EDQUOT: "the disk quota is reached",
    errno.EROFS: "the folder is on a read-only file system",
    errno.EACCES: "no permission to write there",
    errno.EPERM: "no permission to write there",
}


def storage_problem(error: BaseException) -> str | None:
    """One line for a failure of the disk or the file system (full, read-only, no permission),
    whether Python or DuckDB met it; None for any other error (``architecture.md``: no traceback
    for what a person can fix).
    """
    if isinstance(error, OSError):
        where = f"{error.filename}: " if error.filename else ""
        hint = _HINTS.get(error.errno or 0)
        return f"{where}{error.strerror or error}" + (f" ({hint})" if hint else "")
    from itpcohort.store import storage_error_message  # duckdb only when a command failed

    return storage_error_message(error)


def _is_our_leftover(name: str) -> bool:
    return name.startswith((".itpcohort-spill", ".study.duckdb.importing-"))


def foreign_files(path: Path) -> list[str]:
    """The names in the folder ``path`` that are not itpcohort outputs, sorted; none when it holds
    the marker (or is empty, or holds only what an itpcohort command wrote before the marker).
    """
    names = sorted(entry.name for entry in path.iterdir())
    if MARKER in names:
        return []
    return [name for name in names if name not in _EARLIER_OUTPUTS and not _is_our_leftover(name)]


def _lock(handle: int) -> bool:
    """Take the exclusive lock of the open file ``handle`` without waiting; False if held."""
    if sys.platform == "win32":  # pragma: no cover - the CI runs on Linux
        import msvcrt

        try:
            msvcrt.locking(handle, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


class OutputFolder:
    """The output folder ``path`` of one command, locked; files go to ``staging`` until ``commit``.

    Use as a context manager::

        with OutputFolder(out_dir) as folder:
            write_everything(folder.staging)
            folder.commit()

    Leaving the block without ``commit`` (an error) deletes the staging folder and leaves ``path``
    as it was. Raises ``UsageError`` when ``path`` is a file or holds files that are not
    itpcohort outputs, ``OutputFolderError`` when another command holds the lock.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(os.path.normpath(path))  # as the user gave it, for the messages
        self.staging = self._sibling("partial", os.getpid())
        self._lock_path = self.path.with_name(f".{self.path.name}.lock")
        self._handle: int | None = None
        self._kept: list[str] = []
        self.committed = False

    def _sibling(self, kind: str, pid: int) -> Path:
        return self.path.with_name(f"{self.path.name}.{kind}-{pid}")

    def __enter__(self) -> OutputFolder:
        if self.path.exists() and not self.path.is_dir():
            raise UsageError(f"--out {self.path}: exists and is not a folder")
        if Path.cwd().resolve().is_relative_to(self.path.resolve()):
            raise UsageError(
                f"--out {self.path}: the current folder is inside it; the output folder is "
                "replaced whole, so run from another folder"
            )
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = os.open(self._lock_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise OutputFolderError(
                f"--out {self.path}: cannot write in {self.path.parent} ({error.strerror})"
            ) from None
        try:
            if not _lock(self._handle):
                holder = os.pread(self._handle, 32, 0).decode(errors="replace").strip()
                by = f" (process {holder})" if holder.isdigit() else ""
                raise OutputFolderError(
                    f"--out {self.path}: another itpcohort command is writing into this "
                    f"folder{by}; wait for it to finish or choose another folder"
                )
            os.ftruncate(self._handle, 0)
            os.pwrite(self._handle, f"{os.getpid()}\n".encode(), 0)
            self._recover()
            foreign = foreign_files(self.path) if self.path.is_dir() else []
            if foreign:
                more = f" and {len(foreign) - 1} more" if len(foreign) > 1 else ""
                raise UsageError(
                    f"--out {self.path}: holds files that are not itpcohort outputs "
                    f"({foreign[0]!r}{more}); the output folder is replaced whole, so choose "
                    "a new or empty folder"
                )
            if self.path.is_dir() and not os.access(self.path, os.W_OK):
                raise OutputFolderError(f"--out {self.path}: the folder is read-only")
            try:
                self.staging.mkdir()
                (self.staging / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
            except OSError as error:
                raise OutputFolderError(
                    f"--out {self.path}: cannot write beside it in {self.path.parent} "
                    f"({error.strerror})"
                ) from None
        except BaseException:
            self._release()
            raise
        return self

    def _recover(self) -> None:
        """Under the lock: put back outputs a killed swap left aside; remove dead commands' folders."""
        parent = self.path.parent
        aside = sorted(parent.glob(f"{self.path.name}.old-*"))
        if not self.path.exists() and aside and (aside[0] / MARKER).exists():
            aside[0].rename(self.path)  # killed between the two renames of a commit
        for pattern in ("partial", "old"):
            for leftover in parent.glob(f"{self.path.name}.{pattern}-*"):
                pid = leftover.name.rsplit("-", 1)[-1]
                if pid.isdigit() and leftover.is_dir() and (leftover / MARKER).exists():
                    shutil.rmtree(leftover, ignore_errors=True)

    def keep(self, name: str) -> Path:
        """``path/name``, a folder written in place and carried into the new set by ``commit``.

        For ``demo``, whose synthetic input lives in its output folder and must be named there.
        Whatever was at ``path/name`` is removed first.
        """
        self.path.mkdir(exist_ok=True)
        (self.path / MARKER).write_text(_MARKER_TEXT, encoding="utf-8")
        kept = self.path / name
        shutil.rmtree(kept, ignore_errors=True)
        self._kept.append(name)
        return kept

    def commit(self) -> None:
        """Swap the staging folder in as ``path``; the previous outputs are deleted."""
        for name in self._kept:
            (self.path / name).rename(self.staging / name)
        aside = self._sibling("old", os.getpid())
        had_previous = self.path.exists()
        if had_previous:
            self.path.rename(aside)
        try:
            self.staging.rename(self.path)
        except BaseException:
            if had_previous:
                aside.rename(self.path)
            raise
        self.committed = True
        if had_previous:
            shutil.rmtree(aside, ignore_errors=True)

    def _release(self) -> None:
        if self._handle is not None:
            os.close(self._handle)  # closing the file releases the lock
            self._handle = None

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if not self.committed:
                line = storage_problem(error) if isinstance(error, Exception) else None
                for name in self._kept:  # a failed demo keeps its input where it was
                    if (self.staging / name).exists() and not (self.path / name).exists():
                        (self.staging / name).rename(self.path / name)
                shutil.rmtree(self.staging, ignore_errors=True)
                if line is not None:
                    raise OutputFolderError(
                        f"{line}; the outputs in {self.path} are as they were"
                    ) from None
        finally:
            self._release()
