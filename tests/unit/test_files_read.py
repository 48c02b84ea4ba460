"""The one reader (``corredor.files.read``): paths, file kinds, sizes, decoding, YAML limits,
excerpts — each guarantee of its docstring checked on real files."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corredor.errors import ScenarioError
from corredor.files.read import (
    BOM,
    ENV_ALLOW,
    ENV_MAX_MB,
    EXCERPT_CHARS,
    Limits,
    allow_read,
    checked_path,
    csv_records,
    decode,
    escape,
    excerpt,
    limits,
    load_yaml,
    parse_yaml,
    read_bytes,
    read_text,
    use_limits,
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "scenario"
    root.mkdir()
    (root / "a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (root / "sub").mkdir()
    (root / "sub" / "b.csv").write_text("b\n", encoding="utf-8")
    (tmp_path / "outside.txt").write_text("root:x:0:0:secret\n", encoding="utf-8")
    return root


# ----------------------------------------------------------------------------- paths
def test_relative_paths_inside_the_folder_are_read(folder: Path) -> None:
    assert read_text(folder / "a.csv", root=folder) == "x,y\n1,2\n"
    assert read_text(folder / "sub/b.csv", root=folder) == "b\n"
    assert read_text(folder / "sub/../a.csv", root=folder).startswith("x,y")


@pytest.mark.parametrize("ref", ["../outside.txt", "sub/../../outside.txt", "/etc/passwd"])
def test_paths_leaving_the_folder_are_refused(folder: Path, ref: str) -> None:
    with pytest.raises(ScenarioError) as info:
        read_text(folder / ref, root=folder)
    text = str(info.value)
    assert "outside the scenario folder" in text or "absolute path" in text
    assert "secret" not in text and "root:x" not in text
    assert ENV_ALLOW in text  # the fix says how to allow a folder


def test_symlink_leaving_the_folder_is_refused_one_inside_is_read(folder: Path) -> None:
    (folder / "out.csv").symlink_to(folder.parent / "outside.txt")
    (folder / "in.csv").symlink_to(folder / "a.csv")
    with pytest.raises(ScenarioError, match="symbolic link that leads outside"):
        read_text(folder / "out.csv", root=folder)
    assert read_text(folder / "in.csv", root=folder).startswith("x,y")


def test_allowed_folders_may_be_read(folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with allow_read(folder.parent):
        assert "secret" in read_text(folder / "../outside.txt", root=folder)
    with pytest.raises(ScenarioError):
        read_text(folder / "../outside.txt", root=folder)
    monkeypatch.setenv(ENV_ALLOW, str(folder.parent))
    assert "secret" in read_text(folder / "../outside.txt", root=folder)


def test_a_path_the_user_gave_is_read_wherever_it_is(folder: Path) -> None:
    assert "secret" in read_text(folder.parent / "outside.txt")
    assert checked_path(folder / "a.csv") == (folder / "a.csv").resolve()


def test_nul_in_a_path(folder: Path) -> None:
    with pytest.raises(ScenarioError, match="NUL"):
        checked_path(folder / "a\x00b", root=folder)


# ----------------------------------------------------------------------------- kinds
def test_a_fifo_is_refused_without_blocking(folder: Path) -> None:
    os.mkfifo(folder / "pipe.csv")
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"named pipe \(FIFO\), not a regular file"):
        read_text(folder / "pipe.csv", root=folder)
    assert time.perf_counter() - t0 < 5


def test_devices_directories_and_sockets_are_refused(folder: Path) -> None:
    with pytest.raises(ScenarioError, match="character device"):
        read_bytes("/dev/zero")
    with pytest.raises(ScenarioError, match="a directory"):
        read_bytes(folder / "sub", root=folder)
    path = folder / "s.sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(ScenarioError, match=r"socket|cannot be read"):
            read_bytes(folder / "s.sock", root=folder)
    finally:
        server.close()


def test_missing_file(folder: Path) -> None:
    with pytest.raises(ScenarioError, match="table not found") as info:
        read_text(folder / "nope.csv", root=folder, what="table")
    assert info.value.fix == "check the path"


# ----------------------------------------------------------------------------- sizes
def test_size_cap_names_size_cap_and_setting(folder: Path) -> None:
    (folder / "big.csv").write_bytes(b"x" * 5000)
    with use_limits(max_bytes=1000), pytest.raises(ScenarioError) as info:
        read_bytes(folder / "big.csv", root=folder)
    text = str(info.value)
    assert "4.9 KiB" in text and "1,000 bytes" in text and ENV_MAX_MB in text
    with use_limits(max_bytes=10_000):
        assert len(read_bytes(folder / "big.csv", root=folder)) == 5000


def test_size_cap_holds_for_files_that_report_size_zero() -> None:
    with use_limits(max_bytes=8), pytest.raises(ScenarioError, match="or more, over the limit"):
        read_bytes("/proc/self/status")


def test_size_cap_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_MAX_MB, "2")
    assert limits().max_bytes == 2 << 20
    monkeypatch.setenv(ENV_MAX_MB, "lots")
    with pytest.raises(ScenarioError, match="CORREDOR_MAX_INPUT_MB"):
        limits()


# ----------------------------------------------------------------------------- decoding
def test_bom_is_dropped_the_same_everywhere() -> None:
    assert decode(BOM + "période".encode(), "f") == decode("période".encode(), "f") == "période"


def test_invalid_utf8_and_nul_name_the_line() -> None:
    with pytest.raises(ScenarioError) as info:
        decode(b"a\nb\n\xff\xfe\n", "f.csv")
    assert info.value.line == 3 and "not valid UTF-8" in info.value.message
    with pytest.raises(ScenarioError, match="NUL") as info:
        decode(b"a\nb\x00\n", "f.csv")
    assert info.value.line == 2


def test_csv_cell_cap_and_quotes() -> None:
    with use_limits(max_csv_field=100), pytest.raises(ScenarioError, match="longer than 100"):
        csv_records('a\n"' + "x" * 500 + "\n", "f.csv")
    with pytest.raises(ScenarioError, match="not a valid CSV file") as info:
        csv_records('a,b\n1,"x"y\n', "f.csv", strict=True)
    assert info.value.line == 2
    rows = csv_records("a,b\n\n1,2\n", "f.csv")
    assert [(r.line, r.fields) for r in rows] == [(1, ["a", "b"]), (2, []), (3, ["1", "2"])]


# ----------------------------------------------------------------------------- YAML
def _bomb(levels: int) -> str:
    lines = ['a0: &a0 ["x","x","x","x","x","x","x","x","x"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_stops_fast() -> None:
    t0 = time.perf_counter()
    with pytest.raises(ScenarioError, match="expands to more than"):
        parse_yaml(_bomb(10), "bomb.yaml")
    assert time.perf_counter() - t0 < 2


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: &a [*a]\n", "recursive alias"),
        ("- &a {<<: *a}\n", "recursive alias"),
        ("[" * 5000, "nest|nesting"),
        ("".join(" " * i + "- \n" for i in range(100)), "nests deeper than 64"),
        ("a: &a 1\nb: [" + ",".join(["*a"] * 10_001) + "]\n", "more than 10,000 aliases"),
        ("x: !!python/object:os.system {}\n", "YAML tag"),
        ("x: !!python/name:os.system\n", "constructor"),
        ("x: !!set {a, b}\n", "YAML tag"),
        ("a: 1\na: 2\n", "appears twice"),
        ("a: [1\n", "not valid YAML"),
        ("a: 1\n\tb: 2\n", "not valid YAML"),
    ],
)
def test_yaml_hazards_are_input_errors(text: str, fragment: str) -> None:
    with pytest.raises(ScenarioError, match=fragment) as info:
        parse_yaml(text, "f.yaml")
    assert len(str(info.value)) < 600


def test_yaml_values_keys_lines_and_merges() -> None:
    text = "base: &b {x: 1, y: 2}\nNO: 3\nc:\n  <<: *b\n  y: 5\nd: 2019-06-31\ne: 2019-06-30\n"
    data, lines = parse_yaml(text, "f.yaml")
    assert data["NO"] == 3  # keys stay the text written
    assert data["c"] == {"x": 1, "y": 5}
    assert data["d"] == "2019-06-31"  # not a date: left for the schema to report with its line
    assert str(data["e"]) == "2019-06-30"
    assert lines.line(("c", "y")) == 5 and lines.line(("d",)) == 6


def test_yaml_duplicate_keys_last_for_flee() -> None:
    assert parse_yaml("a: 1\na: 2\n", "s.yml", duplicate_keys="last")[0] == {"a": 2}


def test_yaml_file_cap(folder: Path) -> None:
    (folder / "s.yaml").write_text("a: " + "x" * 3000 + "\n", encoding="utf-8")
    with use_limits(max_yaml_bytes=1000), pytest.raises(ScenarioError, match="over the limit"):
        load_yaml(folder / "s.yaml", root=folder)


def test_yaml_nodes_cap() -> None:
    with use_limits(Limits(max_yaml_nodes=50)), pytest.raises(ScenarioError, match="more than 50"):
        parse_yaml("[" + ",".join(["1"] * 100) + "]", "f.yaml")


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_any_text_parses_or_is_an_input_error(text: str) -> None:
    try:
        parse_yaml(text, "f.yaml")
    except ScenarioError as exc:
        assert len(str(exc)) < 1200


# ----------------------------------------------------------------------------- excerpts
def test_excerpts_are_short_and_escaped() -> None:
    long = "y" * 5_000_000
    shown = excerpt(long)
    assert len(shown) < EXCERPT_CHARS + 40 and "5,000,000 characters" in shown
    assert excerpt("a\x1b[31mb\u202ec\n") == repr("a\x1b[31mb\u202ec\n")
    assert "\\x1b" in excerpt("\x1b") and "\\u202e" in excerpt("\u202e")
    assert len(excerpt(list(range(10_000)))) < 2 * EXCERPT_CHARS + 2
    assert escape("ab\ncd", 3) == "ab\\n…"


def test_scenario_error_never_floods() -> None:
    err = ScenarioError("f" * 10_000, "m" * 1_000_000, fix="x\ny\x1b", expected="e" * 5000)
    text = str(err)
    assert len(text) < 1500 and "\n" not in text and "\x1b" not in text
