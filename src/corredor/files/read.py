"""The one reader of input files: every file Corredor reads as input goes through here.

What it guarantees, whoever calls it:

* **Paths stay inside their folder.** A file a scenario refers to (``locations: tables/x.csv``,
  a driver series, observed data, policy events, ``calibrated.yaml``, a Flee scenario's CSV
  files) is read only if it lies inside the scenario folder once every symbolic link is followed;
  an absolute path, ``..`` that climbs out, or a link pointing elsewhere is refused. A folder the
  user allows explicitly (``CORREDOR_ALLOW_READ=/data/shared``, several joined by ``:``, or
  :func:`allow_read`) may be read too. A path typed by the user on the command line (``--event
  FILE``, the scenario itself) is the user's choice: it is read wherever it is (``root=None``).
* **Regular files only.** A directory, a FIFO (it would block forever), a device such as
  ``/dev/zero`` (endless), a socket: refused before a byte is read. FIFOs are opened
  non-blocking, so even the check cannot hang.
* **Size caps.** A file larger than :attr:`Limits.max_bytes` (default 256 MiB; YAML
  :attr:`Limits.max_yaml_bytes`, 16 MiB) is refused with its size and the cap; the caps come from
  ``CORREDOR_MAX_INPUT_MB`` / ``CORREDOR_MAX_YAML_MB`` or :func:`use_limits`.
* **One decoding.** UTF-8, with or without a byte-order mark, the same everywhere (the mark is
  dropped); invalid UTF-8 and NUL characters are errors naming the line.
* **Safe YAML with limits.** PyYAML's safe loader (no Python objects), nesting at most
  :attr:`Limits.max_yaml_depth` levels, at most :attr:`Limits.max_yaml_aliases` aliases and
  :attr:`Limits.max_yaml_nodes` values once aliases are expanded (an alias bomb stops at the
  limit, in milliseconds), no recursive alias; a key written twice is an error. Mapping keys
  stay the text written (``NO`` is not YAML 1.1's false). The line of every value is kept
  (:class:`LineMap`), so later checks can point at it.
* **Short, escaped excerpts.** :func:`excerpt` is how any message quotes what was read: at most
  :data:`EXCERPT_CHARS` characters, control and invisible characters escaped.

Every refusal is a :class:`~corredor.errors.ScenarioError` (exit status 2 in the CLI) naming the
file, the line where one applies, and the fix.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import reprlib
import stat
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.resolver import Resolver

from corredor.errors import ScenarioError

MiB = 1 << 20
#: At most this many characters of what was read are quoted in a message.
EXCERPT_CHARS = 60
#: The byte-order mark some editors put at the start of UTF-8 files.
BOM = b"\xef\xbb\xbf"
#: Environment variables: caps in MiB, and folders (joined by os.pathsep) allowed for reading.
ENV_MAX_MB = "CORREDOR_MAX_INPUT_MB"
ENV_MAX_YAML_MB = "CORREDOR_MAX_YAML_MB"
ENV_ALLOW = "CORREDOR_ALLOW_READ"

PathKey = tuple[str | int, ...]


# ----------------------------------------------------------------------------- limits
@dataclass(frozen=True)
class Limits:
    """What the reader accepts. The defaults hold the largest real inputs with room to spare
    (the flagship's ``scenario.yaml`` is 60 kB with ~12,000 values; a Flee ``agents.csv`` of ten
    million agents is ~200 MB)."""

    #: bytes of any one input file
    max_bytes: int = 256 * MiB
    #: bytes of a YAML file (parsing YAML is ~100 times slower than reading a CSV table)
    max_yaml_bytes: int = 16 * MiB
    #: nesting levels of a YAML document, aliases expanded
    max_yaml_depth: int = 64
    #: aliases (``*name``) in a YAML document
    max_yaml_aliases: int = 10_000
    #: values of a YAML document once its aliases are expanded
    max_yaml_nodes: int = 2_000_000
    #: characters in one CSV cell
    max_csv_field: int = 1 * MiB


def _env_mb(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        mb = float(text)
    except ValueError:
        raise ScenarioError(
            None,
            f"the environment variable {name} is {excerpt(text)}",
            expected="a size in MiB, e.g. 512",
            fix=f"set {name} to a number of MiB or unset it",
        ) from None
    if not (mb > 0 and mb < 1 << 40):
        raise ScenarioError(
            None, f"{name} is {excerpt(text)}", expected="a positive size in MiB", fix=f"fix {name}"
        )
    return int(mb * MiB)


_LIMITS: ContextVar[Limits | None] = ContextVar("corredor_read_limits", default=None)
_ALLOWED: ContextVar[tuple[Path, ...]] = ContextVar("corredor_read_allowed", default=())


def limits() -> Limits:
    """The limits in force: :func:`use_limits` if active, else the defaults with the caps of
    ``CORREDOR_MAX_INPUT_MB`` / ``CORREDOR_MAX_YAML_MB``."""
    active = _LIMITS.get()
    if active is not None:
        return active
    base = Limits()
    return replace(
        base,
        max_bytes=_env_mb(ENV_MAX_MB, base.max_bytes),
        max_yaml_bytes=_env_mb(ENV_MAX_YAML_MB, base.max_yaml_bytes),
    )


@contextlib.contextmanager
def use_limits(new: Limits | None = None, **changes: int) -> Iterator[Limits]:
    """Read with other limits inside the ``with`` block (``use_limits(max_bytes=1 << 30)``)."""
    chosen = replace(new or limits(), **changes)
    token = _LIMITS.set(chosen)
    try:
        yield chosen
    finally:
        _LIMITS.reset(token)


@contextlib.contextmanager
def allow_read(*folders: str | Path) -> Iterator[None]:
    """Inside the ``with`` block, files under ``folders`` may be read from any scenario."""
    token = _ALLOWED.set((*_ALLOWED.get(), *(Path(f).resolve() for f in folders)))
    try:
        yield
    finally:
        _ALLOWED.reset(token)


def allowed_folders() -> tuple[Path, ...]:
    """Folders outside a scenario that may be read (:func:`allow_read`, ``CORREDOR_ALLOW_READ``)."""
    env = tuple(
        Path(p).resolve() for p in os.environ.get(ENV_ALLOW, "").split(os.pathsep) if p.strip()
    )
    return (*_ALLOWED.get(), *env)


# ----------------------------------------------------------------------------- excerpts
_REPR = reprlib.Repr()
_REPR.maxstring = EXCERPT_CHARS
_REPR.maxother = EXCERPT_CHARS
_REPR.maxlist = _REPR.maxtuple = _REPR.maxset = _REPR.maxdict = 4
_REPR.maxlevel = 2


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """``repr(value)`` cut to about ``limit`` characters: what a message may quote of the input.

    Strings keep their start and say how long they were; control characters, invisible and
    bidirectional-override characters are escaped by ``repr``.
    """
    if isinstance(value, str):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value):,} characters)"
    if isinstance(value, bytes):
        if len(value) <= limit:
            return repr(value)
        return f"{value[:limit]!r}… ({len(value):,} bytes)"
    try:
        text = _REPR.repr(value)
    except Exception:  # a user object whose repr fails must not hide the real error
        text = f"<{type(value).__name__}>"
    return text if len(text) <= 2 * limit else text[: 2 * limit] + "…"


def escape(text: str, limit: int = EXCERPT_CHARS) -> str:
    """``text`` cut to ``limit`` characters with control characters escaped, without quotes
    (for a library's own message that may embed input, such as a parser's complaint)."""
    cut = repr(text[:limit])[1:-1]
    return cut + "…" if len(text) > limit else cut


def human_bytes(n: float) -> str:
    """``1536`` → ``1.5 KiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:,.0f} {unit}" if unit == "bytes" else f"{n:,.1f} {unit}"
        n /= 1024
    return f"{n:,.1f} PiB"  # pragma: no cover


# ----------------------------------------------------------------------------- paths
def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def checked_path(
    path: str | Path,
    *,
    root: str | Path | None = None,
    display: str | None = None,
    what: str = "file",
) -> Path:
    """The real path of ``path`` (every symbolic link followed), refused unless it lies inside
    ``root`` or an allowed folder (module docstring). A file named in a scenario is passed as
    ``folder / reference`` with ``root=folder``: an absolute reference, ``..`` or a link that
    leaves the folder is refused. ``root=None``: a path the user gave, read wherever it is."""
    raw = Path(path)
    name = display or str(path)
    if "\x00" in str(path):
        raise ScenarioError(excerpt(str(path)), "a path cannot contain a NUL character")
    real = raw.resolve()
    if root is None:
        return real
    base = Path(root).resolve()
    if _inside(real, base) or any(_inside(real, f) for f in allowed_folders()):
        return real
    how = "leads outside the scenario folder"
    if raw.is_symlink() or raw.absolute().parent.resolve() / raw.name != real:
        how = "is or passes through a symbolic link that leads outside the scenario folder"
    if ".." in raw.parts:
        how = "leads outside the scenario folder (through '..')"
    raise ScenarioError(
        name,
        f"the {what} {excerpt(str(path))} {how} ({base})",
        expected="a path relative to the scenario folder, inside it",
        fix=f"copy the file into {base}, or allow its folder with {ENV_ALLOW}=<folder>",
    )


def cache_key(
    path: str | Path, *, root: str | Path | None = None, what: str = "file"
) -> tuple[str, int, int] | None:
    """A key for caching what was read from ``path``: its real path (checked as by
    :func:`checked_path`), modification time and size; None when it cannot be looked at (the
    read itself then says why)."""
    real = checked_path(path, root=root, what=what)
    try:
        st = real.stat()
    except OSError:
        return None
    return (str(real), st.st_mtime_ns, st.st_size)


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)


def _kind(mode: int) -> str:
    return next((text for test, text in _KINDS if test(mode)), "not a regular file")


def special_kind(path: str | Path) -> str:
    """What ``path`` is when it is not a regular file ("a character device", "a named pipe
    (FIFO)", …)."""
    return _kind(os.stat(path).st_mode)


def read_bytes(
    path: str | Path,
    *,
    root: str | Path | None = None,
    display: str | None = None,
    limit: int | None = None,
    what: str = "file",
) -> bytes:
    """The bytes of a regular file, at most ``limit`` (default :attr:`Limits.max_bytes`)."""
    name = display or str(path)
    real = checked_path(path, root=root, display=name, what=what)
    cap = limits().max_bytes if limit is None else limit
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(real, flags | getattr(os, "O_NOFOLLOW", 0))
    except FileNotFoundError:
        raise ScenarioError(name, f"{what} not found", fix="check the path") from None
    except PermissionError:
        raise ScenarioError(
            name, "cannot be read: permission denied", fix="check the file's permissions"
        ) from None
    except OSError as exc:
        raise ScenarioError(name, f"cannot be read: {exc.strerror}", fix="check the path") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                name,
                f"is {_kind(info.st_mode)}, not a regular file",
                fix=f"give a {what} (a plain file) instead",
            )
        if info.st_size > cap:
            raise _too_big(name, info.st_size, cap)
        chunks: list[bytes] = []
        total = 0
        while True:  # files under /proc report size 0: count what is read too
            chunk = os.read(fd, min(1 << 22, cap + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > cap:
                raise _too_big(name, total, cap)
    except OSError as exc:
        raise ScenarioError(name, f"cannot be read: {exc.strerror}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _too_big(name: str, size: int, cap: int) -> ScenarioError:
    env = ENV_MAX_MB
    return ScenarioError(
        name,
        f"is {human_bytes(size)}{' or more' if size == cap + 1 else ''}, over the limit of "
        f"{human_bytes(cap)} for an input file",
        fix=f"check that this is the intended file; to read larger files set {env} "
        "(or CORREDOR_MAX_YAML_MB for YAML) to a size in MiB",
    )


def decode(data: bytes, display: str) -> str:
    """UTF-8 text of ``data``; a leading byte-order mark is dropped, invalid bytes and NUL
    characters are errors naming the line."""
    if data.startswith(BOM):
        data = data[len(BOM) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        bad = excerpt(data[exc.start : exc.start + 4])
        raise ScenarioError(
            display,
            f"is not valid UTF-8 text (byte {exc.start:,}: {bad})",
            line=line,
            fix="save the file as UTF-8 (for example with 'Save as… UTF-8' in a spreadsheet)",
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        raise ScenarioError(
            display,
            "contains a NUL character (a binary file?)",
            line=text.count("\n", 0, nul) + 1,
            fix="save the file as plain text",
        )
    return text


def read_text(
    path: str | Path,
    *,
    root: str | Path | None = None,
    display: str | None = None,
    limit: int | None = None,
    what: str = "file",
) -> str:
    """:func:`read_bytes` then :func:`decode`: the text of an input file."""
    name = display or str(path)
    return decode(read_bytes(path, root=root, display=name, limit=limit, what=what), name)


# ----------------------------------------------------------------------------- CSV
@dataclass(frozen=True, slots=True)
class Record:
    """One CSV record and the 1-based line on which it starts."""

    line: int
    fields: list[str]


def csv_records(text: str, display: str, *, strict: bool = False) -> list[Record]:
    """Every record of CSV ``text`` with its line (blank lines are empty records), parsed by
    Python's ``csv`` module; a cell longer than :attr:`Limits.max_csv_field` or a malformed
    quote (``strict``) is an error naming the line."""
    cap = limits().max_csv_field
    old = csv.field_size_limit()
    csv.field_size_limit(cap)
    reader = csv.reader(io.StringIO(text, newline=""), strict=strict)
    out: list[Record] = []
    prev = 0
    try:
        for fields in reader:
            out.append(Record(prev + 1, fields))
            prev = reader.line_num
    except csv.Error as exc:
        message = str(exc)
        fix = 'check the quotes: a quoted cell starts and ends with " and doubles inner quotes'
        if "field larger than field limit" in message:
            message = f"a cell is longer than {cap:,} characters"
            fix = "check the file's quotes (an unclosed quote swallows the rest of the file)"
        raise ScenarioError(
            display,
            f"is not a valid CSV file: {escape(message, 120)}",
            line=prev + 1,
            fix=fix,
        ) from None
    finally:
        csv.field_size_limit(old)
    return out


def read_csv(
    path: str | Path,
    *,
    root: str | Path | None = None,
    display: str | None = None,
    strict: bool = False,
) -> list[Record]:
    """:func:`read_text` then :func:`csv_records`."""
    name = display or str(path)
    return csv_records(read_text(path, root=root, display=name), name, strict=strict)


# ----------------------------------------------------------------------------- YAML
@dataclass
class LineMap:
    """1-based line of each YAML node, keyed by its path from the document root."""

    lines: dict[PathKey, int] = field(default_factory=dict)

    def line(self, path: PathKey) -> int | None:
        """The line of ``path`` or, if it is not in the file, of its nearest ancestor."""
        for end in range(len(path), -1, -1):
            found = self.lines.get(path[:end])
            if found is not None:
                return found
        return None


class _Limited:
    """A composer mixin that checks the depth and counts aliases while composing."""

    _display: str
    _limits: Limits
    _depth: int
    _aliases: int

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):  # type: ignore[attr-defined]
            self._aliases += 1
            if self._aliases > self._limits.max_yaml_aliases:
                raise _yaml_limit(
                    self._display,
                    f"has more than {self._limits.max_yaml_aliases:,} aliases (*name)",
                    self.peek_event().start_mark,  # type: ignore[attr-defined]
                )
        self._depth += 1
        if self._depth > self._limits.max_yaml_depth:
            raise _yaml_limit(
                self._display,
                f"nests deeper than {self._limits.max_yaml_depth} levels",
                self.peek_event().start_mark,  # type: ignore[attr-defined]
            )
        try:
            return super().compose_node(parent, index)  # type: ignore[misc]
        finally:
            self._depth -= 1


class _PyLoader(_Limited, yaml.SafeLoader):
    """The pure-Python safe loader with the limits."""

    def __init__(self, text: str, display: str, lim: Limits) -> None:
        yaml.SafeLoader.__init__(self, text)
        self._display, self._limits, self._depth, self._aliases = display, lim, 0, 0


try:  # libyaml's parser (C, ~10 times faster) under PyYAML's own composer: same nodes, marks
    from yaml._yaml import CParser  # type: ignore[import-not-found, unused-ignore]

    class _CLoader(_Limited, Composer, CParser, SafeConstructor, Resolver):  # type: ignore[misc, unused-ignore]
        """libyaml's parser, PyYAML's composer (with the limits), the safe constructor."""

        def __init__(self, text: str, display: str, lim: Limits) -> None:
            CParser.__init__(self, text)
            SafeConstructor.__init__(self)
            Resolver.__init__(self)
            Composer.__init__(self)
            self._display, self._limits, self._depth, self._aliases = display, lim, 0, 0

    _LOADER: type[Any] = _CLoader
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _LOADER = _PyLoader


def _yaml_limit(display: str, message: str, mark: Any) -> ScenarioError:
    return ScenarioError(
        display,
        message,
        line=None if mark is None else mark.line + 1,
        fix="simplify the file: a scenario needs a few levels and a few repeated blocks "
        "(an alias bomb or runaway nesting is refused)",
    )


def _measure(
    node: yaml.Node, display: str, lim: Limits, depth: int, stack: set[int], memo: dict[int, int]
) -> int:
    """Values under ``node`` with aliases expanded; refuses recursion, depth and size."""
    key = id(node)
    if key in memo:
        return memo[key]
    if key in stack:
        raise ScenarioError(
            display,
            "has a recursive alias (a block that contains itself)",
            line=node.start_mark.line + 1,
            fix="remove the alias (*name) that points at a block it is part of",
        )
    if depth > lim.max_yaml_depth:
        raise _yaml_limit(
            display,
            f"nests deeper than {lim.max_yaml_depth} levels once its aliases are expanded",
            node.start_mark,
        )
    total = 1
    if isinstance(node, yaml.CollectionNode):
        stack.add(key)
        children: list[yaml.Node] = []
        if isinstance(node, yaml.MappingNode):
            for k, v in node.value:
                children += (k, v)
        else:
            children = list(node.value)
        for child in children:
            total += _measure(child, display, lim, depth + 1, stack, memo)
            if total > lim.max_yaml_nodes:
                raise _yaml_limit(
                    display,
                    f"expands to more than {lim.max_yaml_nodes:,} values (through aliases?)",
                    node.start_mark,
                )
        stack.discard(key)
    memo[key] = total
    return total


DuplicateKeys = Literal["error", "last"]


def parse_yaml(
    text: str, display: str, *, duplicate_keys: DuplicateKeys = "error"
) -> tuple[Any, LineMap]:
    """Parse YAML ``text`` safely with the limits; return the document and its line map.

    Scalars are built by the safe constructor (``2013-01-01`` is a date, ``1e-3`` a float); a
    scalar that looks like a date or number but is not one (``2019-06-31``) stays text, so the
    schema that reads it reports the field and line. Mapping keys stay the text written.
    ``duplicate_keys="last"`` keeps the last of two equal keys (Flee's ``simsetting.yml``).
    """
    lim = limits()
    loader = _LOADER(text, display, lim)
    try:
        node = loader.get_single_node()
        if node is None:
            return None, LineMap()
        _measure(node, display, lim, 0, set(), {})
        lines = LineMap()
        data = _build(loader, node, (), lines, display, duplicate_keys)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        raise ScenarioError(
            display,
            f"is not valid YAML: {escape(problem, 120)}",
            line=None if mark is None else mark.line + 1,
            fix="correct the YAML syntax (indentation, colons, quotes)",
        ) from None
    except yaml.YAMLError as exc:
        raise ScenarioError(
            display, f"is not valid YAML: {escape(str(exc), 120)}", fix="correct the YAML syntax"
        ) from None
    finally:
        loader.dispose()
    return data, lines


def load_yaml(
    path: str | Path,
    *,
    root: str | Path | None = None,
    display: str | None = None,
    duplicate_keys: DuplicateKeys = "error",
    what: str = "file",
) -> tuple[Any, LineMap]:
    """Read (:func:`read_text`, capped at :attr:`Limits.max_yaml_bytes`) and parse a YAML file."""
    name = display or str(path)
    text = read_text(path, root=root, display=name, limit=limits().max_yaml_bytes, what=what)
    return parse_yaml(text, name, duplicate_keys=duplicate_keys)


_STANDARD_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq", "tag:yaml.org,2002:omap")


def _build(
    loader: Any,
    node: yaml.Node,
    path: PathKey,
    lines: LineMap,
    name: str,
    duplicates: DuplicateKeys,
) -> Any:
    lines.lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.CollectionNode) and node.tag not in _STANDARD_TAGS:
        raise ScenarioError(
            name,
            f"uses the YAML tag {excerpt(node.tag)}, which Corredor does not read",
            line=node.start_mark.line + 1,
            fix="remove the tag (the text starting with !): plain mappings and lists only",
        )
    if isinstance(node, yaml.MappingNode):
        if duplicates == "error":
            _check_duplicates(node, name)
        loader.flatten_mapping(node)  # resolves YAML merge keys (<<: *anchor); own keys win
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode):
                raise ScenarioError(
                    name,
                    "a mapping key is not a plain name",
                    line=line,
                    fix="write the key as a name followed by a colon (name: value)",
                )
            key = str(key_node.value)  # as written: the key NO stays "NO", not False
            child = (*path, key)
            lines.lines[child] = line
            out[key] = _build(loader, value_node, child, lines, name, duplicates)
        return out
    if isinstance(node, yaml.SequenceNode):
        return [
            _build(loader, item, (*path, i), lines, name, duplicates)
            for i, item in enumerate(node.value)
        ]
    try:
        return loader.construct_object(node, deep=True)
    except (ValueError, OverflowError):  # 2019-06-31 looks like a date but is not one
        return str(node.value)


def _check_duplicates(node: yaml.MappingNode, name: str) -> None:
    """A key written twice in one mapping is an error (YAML forbids it; PyYAML keeps the last)."""
    seen: set[str] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge" or not isinstance(key_node, yaml.ScalarNode):
            continue
        key = str(key_node.value)
        if key in seen:
            raise ScenarioError(
                name,
                f"key {excerpt(key)} appears twice in the same mapping",
                line=key_node.start_mark.line + 1,
                fix="keep one of the two entries",
            )
        seen.add(key)


__all__ = [
    "BOM",
    "ENV_ALLOW",
    "ENV_MAX_MB",
    "ENV_MAX_YAML_MB",
    "EXCERPT_CHARS",
    "Limits",
    "LineMap",
    "PathKey",
    "Record",
    "allow_read",
    "allowed_folders",
    "checked_path",
    "csv_records",
    "decode",
    "escape",
    "excerpt",
    "human_bytes",
    "limits",
    "load_yaml",
    "parse_yaml",
    "read_bytes",
    "read_csv",
    "read_text",
    "special_kind",
    "use_limits",
]
