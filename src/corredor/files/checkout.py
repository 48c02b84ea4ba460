"""The code version of a checkout: the git commit of the work tree holding this package, read
from ``.git`` without running git, through the one reader (the provenance of a stored result and
of a calibrated file record it)."""

from __future__ import annotations

from pathlib import Path

from corredor.errors import ScenarioError
from corredor.files.read import read_text

__all__ = ["git_commit"]


def git_commit(directory: str | Path | None = None) -> str | None:
    """The commit checked out in the git work tree holding ``directory`` (default: this
    package), read from ``.git`` without running git; None outside a checkout."""
    where = (Path(directory) if directory is not None else Path(__file__).parent).resolve()
    for folder in (where, *where.parents):
        dotgit = folder / ".git"
        if dotgit.is_file():  # a linked work tree or submodule: "gitdir: <path>"
            try:
                text = read_text(dotgit).strip()
            except ScenarioError:
                return None
            if not text.startswith("gitdir:"):
                return None
            dotgit = (folder / text.removeprefix("gitdir:").strip()).resolve()
        if dotgit.is_dir():
            return _read_head(dotgit)
    return None


def _git_file(path: Path) -> str | None:
    """A file of git's metadata, stripped; None if it cannot be read."""
    try:
        return read_text(path).strip()
    except ScenarioError:
        return None


def _read_head(gitdir: Path) -> str | None:
    head = _git_file(gitdir / "HEAD")
    if head is None or not head.startswith("ref:"):
        return head if head is not None and _is_sha(head) else None
    ref = head.removeprefix("ref:").strip()
    common = gitdir
    if (gitdir / "commondir").is_file():  # linked work trees keep refs in the common folder
        common = (gitdir / (_git_file(gitdir / "commondir") or ".")).resolve()
    for base in (gitdir, common):
        sha = _git_file(base / ref)
        if sha is not None and _is_sha(sha):
            return sha
    packed = _git_file(common / "packed-refs")
    for line in (packed or "").splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == ref and _is_sha(parts[0]):
            return parts[0]
    return None


def _is_sha(text: str) -> bool:
    return len(text) in (40, 64) and all(c in "0123456789abcdef" for c in text)
