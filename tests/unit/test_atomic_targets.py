"""The atomic writer never renames a result over a device, a named pipe or a socket.

As root, ``corredor report RUN --output /dev/full`` once replaced the device node with the
report (the temporary file was renamed over it); a FIFO was replaced the same way.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
from pathlib import Path

import pytest

from corredor.files.atomic import write_bytes, write_text


def test_a_fifo_is_never_replaced(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    with pytest.raises(OSError) as err:
        write_text(pipe, "report")
    assert err.value.errno == errno.EPERM and "not a regular file" in str(err.value)
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["pipe"]  # no temporary left


def test_a_socket_is_never_replaced(tmp_path: Path) -> None:
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(OSError, match="not a regular file"):
            write_bytes(path, b"x")
    assert stat.S_ISSOCK(os.lstat(path).st_mode)


def test_files_and_links_are_still_replaced(tmp_path: Path) -> None:
    target = tmp_path / "a.html"
    target.write_text("old", encoding="utf-8")
    link = tmp_path / "b.html"
    link.symlink_to(target)
    write_text(target, "new")
    write_text(link, "linked")
    assert target.read_text(encoding="utf-8") == "new"
    assert link.read_text(encoding="utf-8") == "linked" and not link.is_symlink()
