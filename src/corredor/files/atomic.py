"""The one atomic writer: every file and folder Corredor writes goes through here.

A file is written beside its target (a hidden temporary name in the same folder), flushed and
fsynced, then renamed over the target, and the folder is fsynced: a reader sees the old file or
the new one, never half of one, and a killed process leaves at most a hidden temporary file.

A folder (a stored run, a calibration study's outputs) is written the same way as a whole:
:func:`new_folder` yields a hidden temporary sibling, and on success fsyncs every file in it and
renames it into place. It never replaces an existing folder: a later run never deletes an earlier
one (:class:`FolderExistsError`). Parquet and CSV tables are written with :func:`write_parquet` and
:func:`write_csv`, which fsync what they write.

>>> write_text(Path("out/report.html"), html)                  # doctest: +SKIP
>>> with new_folder(Path("runs/mexico-us-20261201T101500-ab12cd")) as tmp:   # doctest: +SKIP
...     write_parquet(tmp / "monthly.parquet", frame)
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import secrets
import shutil
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FolderExistsError",
    "atomic_file",
    "discard",
    "fsync_path",
    "fsync_tree",
    "new_folder",
    "process_alive",
    "write_bytes",
    "write_csv",
    "write_json",
    "write_parquet",
    "write_text",
]

#: Prefix of the temporary names this module writes beside their targets.
TMP_MARK = ".tmp-"
_COMPRESSION: Literal["zstd"] = "zstd"


class FolderExistsError(FileExistsError):
    """The folder to write exists already: results are never written over earlier ones (this
    package is the lowest layer: callers turn it into the error their users see)."""


def _refuse_special(path: Path) -> None:
    """Refuse a target that exists and is neither a regular file nor a link: renaming over a
    device, a named pipe or a socket would replace it (as root, ``/dev/full`` became a report)."""
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(mode) or stat.S_ISLNK(mode) or stat.S_ISDIR(mode)):
        raise OSError(
            errno.EPERM,
            "not a regular file (a device, named pipe or socket is never written over); give "
            "a new file name",
            str(path),
        )


def _temporary_name(target: Path) -> Path:
    return target.with_name(f".{target.name}{TMP_MARK}{os.getpid()}-{secrets.token_hex(3)}")


def fsync_path(path: Path) -> None:
    """Flush a file or a folder to disk (folders: best effort, not on every platform)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        if path.is_dir():
            return
        raise
    try:
        os.fsync(fd)
    except OSError:
        if not path.is_dir():
            raise
    finally:
        os.close(fd)


def fsync_tree(folder: Path) -> None:
    """fsync every file under ``folder``, then the folders themselves (deepest first)."""
    folders = [folder]
    for entry in sorted(folder.rglob("*")):
        if entry.is_dir():
            folders.append(entry)
        elif entry.is_file():
            fsync_path(entry)
    for d in reversed(folders):
        fsync_path(d)


@contextlib.contextmanager
def atomic_file(path: Path, mode: Literal["w", "wb"] = "w") -> Iterator[IO[Any]]:
    """Open a temporary sibling of ``path`` for writing; on a clean exit it is fsynced and
    renamed over ``path`` (created with its parent folders); on an error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    _refuse_special(path)
    tmp = _temporary_name(path)
    try:
        encoding = "utf-8" if mode == "w" else None
        with open(tmp, mode, encoding=encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_path(path.parent)


def write_text(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically and return the path."""
    with atomic_file(path, "w") as fh:
        fh.write(text)
    return Path(path)


def write_bytes(path: Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically and return the path."""
    with atomic_file(path, "wb") as fh:
        fh.write(data)
    return Path(path)


def write_json(path: Path, data: Any) -> Path:
    """Write ``data`` as indented JSON (no NaN: convert them to None first) atomically."""
    return write_text(path, json.dumps(data, indent=2, allow_nan=False) + "\n")


def write_parquet(path: Path, frame: pd.DataFrame, *, index: bool = False) -> Path:
    """Write a table as Parquet (zstd) atomically."""
    with atomic_file(path, "wb") as fh:
        frame.to_parquet(fh, compression=_COMPRESSION, index=index)
    return Path(path)


def write_csv(path: Path, frame: pd.DataFrame, *, index: bool = False, **kwargs: Any) -> Path:
    """Write a table as CSV atomically (``kwargs`` go to ``DataFrame.to_csv``)."""
    with atomic_file(path, "w") as fh:
        frame.to_csv(fh, index=index, **kwargs)
    return Path(path)


@contextlib.contextmanager
def new_folder(path: Path, *, tmp: Path | None = None) -> Iterator[Path]:
    """Write a new folder as a whole: yields a temporary folder (``tmp``, or a hidden sibling of
    ``path``); on a clean exit every file in it is fsynced and the folder is renamed to
    ``path``. Raises :class:`FolderExistsError` if ``path`` exists (before and after the
    writing); on an error the temporary folder is removed and ``path`` is left as it was."""
    path = Path(path)
    if path.exists():
        raise FolderExistsError(f"{path} exists already: give a new folder (nothing is replaced)")
    path.parent.mkdir(parents=True, exist_ok=True)
    work = tmp if tmp is not None else _temporary_name(path)
    work.mkdir()
    try:
        yield work
        fsync_tree(work)
        if path.exists():
            raise FolderExistsError(f"{path} appeared while it was being written; kept it")
        os.rename(work, path)
    except BaseException:
        discard(work)
        raise
    fsync_path(path.parent)


def discard(path: Path) -> None:
    """Remove a temporary file or folder this module (or a killed writer) left behind."""
    path = Path(path)
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` exists (the temporary names above carry their writer's pid: a
    repair removes those of dead writers only)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process
    return True
