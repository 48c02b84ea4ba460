"""Who the agents are: ``demographics_*.csv`` and ``agents.csv`` (both optional).

* ``input_csv/demographics_<attr>.csv`` (3.1 ``spawning.read_demographic_csv``, read with
  ``pandas.read_csv``): the attribute name is the part of the file name after the *first*
  underscore and before the next one (``demographics_home_region.csv`` → ``home``); the values
  come from the column named after the attribute, the weights from the column ``Default``; a
  column named after a location replaces the weights for agents spawned there. Other columns are
  ignored by 3.1 (reported as warnings here).
* ``input_csv/agents.csv`` (3.1 ``InputGeography.ReadAgentsFromCSV``): one agent per row,
  ``location,attr1,…``. The header is the *first line of the file* (3.1 counts comment and blank
  lines when looking for it); later ``#`` lines and blank lines are skipped; attribute values stay
  strings. Read with pyarrow, so ten million rows take seconds; columns are returned
  dictionary-encoded (codes + values), never as per-agent objects.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import numpy.typing as npt

from corredor.errors import ScenarioError
from corredor.files.read import BOM, csv_records, decode, excerpt, read_bytes
from corredor.scenario.flee._csv import Row, parse_float, read_rows

if TYPE_CHECKING:  # pyarrow is imported when a scenario has agents.csv, not with every run
    import pyarrow.csv as pacsv

FloatArray = npt.NDArray[np.float64]
Int32Array = npt.NDArray[np.int32]


class Demographic(NamedTuple):
    """One ``demographics_<attr>.csv``: values, default weights, per-location weights."""

    values: list[str]
    weights: FloatArray
    overrides: dict[str, FloatArray]


class CodedColumn(NamedTuple):
    """A dictionary-encoded string column: ``values[codes[i]]``; code -1 = absent."""

    values: list[str]
    codes: Int32Array


class AgentsCsv(NamedTuple):
    """``agents.csv``: location index of each agent and its attribute columns."""

    location: Int32Array
    attributes: dict[str, CodedColumn]


# --------------------------------------------------------------------------- demographics
def demographic_attribute(path: Path) -> str:
    """3.1's ``csvname.split(os.sep)[1].split('.')[0].split('_')[1]`` for a file name."""
    return path.name.split(".")[0].split("_")[1]


def read_demographics(
    input_dir: Path, location_names: list[str], *, root: Path | None = None
) -> tuple[dict[str, Demographic], list[str]]:
    """Every ``demographics_*.csv`` of ``input_dir`` (sorted by file name) and warnings."""
    out: dict[str, Demographic] = {}
    warnings: list[str] = []
    known = set(location_names)
    for path in sorted(input_dir.glob("demographics_*.csv")):
        display = f"{input_dir.name}/{path.name}"
        attribute = demographic_attribute(path)
        if not attribute:
            raise ScenarioError(
                display,
                "the file name gives no attribute name",
                expected="demographics_<attribute>.csv",
            )
        demographic, notes = _read_demographic(path, display, attribute, known, root)
        out[attribute] = demographic
        warnings += notes
    return out, warnings


def _read_demographic(
    path: Path, display: str, attribute: str, locations: set[str], root: Path | None
) -> tuple[Demographic, list[str]]:
    rows = [row for row in read_rows(path, display=display, root=root) if not row.is_blank()]
    if not rows:
        raise ScenarioError(display, "is empty", expected=f"a header `{attribute},Default,…`")
    header = rows[0].fields
    data = rows[1:]
    for column in (attribute, "Default"):
        if column not in header:
            raise ScenarioError(
                display,
                f"has no column named {column!r}; Flee 3.1 takes the "
                + ("values" if column == attribute else "default weights")
                + f" of `{attribute}` from it",
                line=rows[0].line,
                expected=f"a header such as `{attribute},Default`",
            )
    for row in data:
        if len(row.fields) > len(header):
            raise ScenarioError(
                display,
                f"has {len(row.fields)} fields but the header has {len(header)}",
                line=row.line,
            )
    value_col = header.index(attribute)
    values = [_field(row, value_col) for row in data]
    weights = _weights(data, header.index("Default"), display, "Default")
    overrides: dict[str, FloatArray] = {}
    notes: list[str] = []
    for col, name in enumerate(header):
        if name in (attribute, "Default"):
            continue
        if name in locations:
            overrides[name] = _weights(data, col, display, name)
        else:
            notes.append(f"{display}: column {name!r} names no location; Flee 3.1 ignores it")
    return Demographic(values, weights, overrides), notes


def _field(row: Row, col: int) -> str:
    return row.fields[col] if col < len(row.fields) else ""


def _weights(data: list[Row], col: int, display: str, name: str) -> FloatArray:
    """Sampling weights as pandas ``sample(weights=…)`` takes them (missing → 0)."""
    out = np.zeros(len(data))
    for k, row in enumerate(data):
        text = _field(row, col)
        if text.strip() == "":
            continue
        out[k] = parse_float(text, display, row.line, name, "a non-negative weight")
        if not (out[k] >= 0.0 and math.isfinite(out[k])):
            raise ScenarioError(
                display, f"weight {text!r}", line=row.line, column=name, expected="a weight ≥ 0"
            )
    if len(data) == 0 or out.sum() <= 0.0:
        raise ScenarioError(
            display,
            f"the weights in column {name!r} add up to 0, so no value can be drawn",
            column=name,
            expected="at least one positive weight",
        )
    return out


# --------------------------------------------------------------------------- agents.csv
def read_agents_csv(
    path: Path, display: str, location_names: list[str], *, root: Path | None = None
) -> AgentsCsv:
    """Read ``agents.csv`` (fast path: pyarrow; exact fallback: the csv module). The bytes come
    from the one reader (:func:`corredor.files.read.read_bytes`: inside ``root``, a regular
    file, size-capped); a byte-order mark is dropped."""
    if not path.exists() and not path.is_symlink():
        raise ScenarioError(
            path,
            "file not found (spawn_rules.read_from_agents_csv_file is on)",
            fix="add input_csv/agents.csv or switch read_from_agents_csv_file off",
        )
    data = read_bytes(path, root=root, display=display)
    if data.startswith(BOM):
        data = data[len(BOM) :]
    header = _agents_header(data, display)
    fast = _read_agents_arrow(data, header)
    del data
    if fast is None:
        return _read_agents_slow(path, display, header, location_names, root)
    first, columns = fast
    return _encode_agents(
        path,
        display=display,
        header=header,
        names=location_names,
        first=first,
        columns=columns,
        root=root,
    )


def _agents_header(data: bytes, display: str) -> list[str] | None:
    """The first record of the file if it is a header (not blank, not a comment), else None."""
    end = data.find(b"\n")
    records = csv_records(decode(data if end < 0 else data[: end + 1], display), display)
    first = records[0].fields if records else []
    if not first or first[0].startswith("#"):
        return None
    if first[0] == "":
        raise ScenarioError(display, "the first field is empty", line=1, column=1)
    return first


def _read_agents_arrow(data: bytes, header: list[str] | None) -> tuple[object, list[object]] | None:
    """pyarrow read of well-formed files; ``None`` when any row needs the exact slow path."""
    # only a scenario with agents.csv loads pyarrow (issue 12: a run imports what it needs)
    import pyarrow as pa  # noqa: PLC0415
    import pyarrow.compute as pc  # noqa: PLC0415
    import pyarrow.csv as pacsv  # noqa: PLC0415

    width = len(header) if header is not None else 1
    names = [f"c{i}" for i in range(width)]
    irregular: list[int] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        text = row.text or ""
        if not text.lstrip('"').startswith("#"):
            irregular.append(row.number or -1)
        return "skip"

    try:
        table = pacsv.read_csv(
            pa.BufferReader(data),
            read_options=pacsv.ReadOptions(
                column_names=names, skip_rows=1 if header is not None else 0
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    if irregular:
        return None
    first = table.column(0)
    keep = pc.invert(pc.starts_with(first, "#"))
    table = table.filter(keep)
    if pc.any(pc.equal(table.column(0), "")).as_py():
        return None  # the slow path reports the line
    return table.column(0), [table.column(i) for i in range(1, width)]


def _encode_agents(
    path: Path,
    *,
    display: str,
    header: list[str] | None,
    names: list[str],
    first: object,
    columns: list[object],
    root: Path | None,
) -> AgentsCsv:
    import pyarrow as pa  # noqa: PLC0415 - as in _read_agents_arrow

    index = {name: i for i, name in enumerate(names)}
    encoded = pa.chunked_array(first).combine_chunks().dictionary_encode()
    found = encoded.dictionary.to_pylist()
    unknown = [name for name in found if name not in index]
    if unknown:
        line = _first_line_with(path, unknown[0], display, root)
        raise ScenarioError(
            display,
            f"{excerpt(unknown[0])} is not a location in locations.csv "
            "(Flee 3.1 would print a warning and drop the agent)",
            line=line,
            column=header[0] if header else 1,
            expected="a name from the first column of locations.csv",
        )
    lookup = np.array([index[name] for name in found], dtype=np.int32)
    location = lookup[encoded.indices.to_numpy(zero_copy_only=False)]
    attributes: dict[str, CodedColumn] = {}
    attr_names = header[1:] if header else []
    for name, column in zip(attr_names, columns, strict=True):
        coded = pa.chunked_array(column).combine_chunks().dictionary_encode()
        codes = coded.indices.to_numpy(zero_copy_only=False).astype(np.int32)
        attributes[name] = CodedColumn(coded.dictionary.to_pylist(), codes)
    result = AgentsCsv(location.astype(np.int32), attributes)
    del encoded, first, columns
    pa.default_memory_pool().release_unused()  # hand the parse buffers back to the OS
    return result


def _first_line_with(path: Path, name: str, display: str, root: Path | None) -> int | None:
    for row in read_rows(path, display=display, root=root):
        if row.fields and row.fields[0] == name:
            return row.line
    return None


def _read_agents_slow(
    path: Path,
    display: str,
    header: list[str] | None,
    location_names: list[str],
    root: Path | None,
) -> AgentsCsv:
    """The csv-module path, used for irregular files; reports the line of every problem."""
    index = {name: i for i, name in enumerate(location_names)}
    attr_names = header[1:] if header else []
    position = {name: i for i, name in enumerate(attr_names, start=1)}  # last one wins, as in 3.1
    locations: list[int] = []
    values: dict[str, dict[str, int]] = {name: {} for name in position}
    codes: dict[str, list[int]] = {name: [] for name in position}
    rows = read_rows(path, display=display, root=root)
    for row in rows[1:] if header is not None else rows:
        f = row.fields
        if not f or (f[0] != "" and f[0][0] == "#"):
            continue
        if f[0] == "":
            raise ScenarioError(display, "the location is empty", line=row.line, column=1)
        if len(f) - 1 > len(attr_names):
            raise ScenarioError(
                display,
                f"has {len(f)} fields but the header names only {len(attr_names) + 1}"
                + ("" if header else " (3.1 takes the very first line of the file as header)"),
                line=row.line,
                fix="make the first line of agents.csv the header `location,attr1,…`",
            )
        if f[0] not in index:
            raise ScenarioError(
                display,
                f"{excerpt(f[0])} is not a location in locations.csv",
                line=row.line,
                column=header[0] if header else 1,
                expected="a name from the first column of locations.csv",
            )
        locations.append(index[f[0]])
        for name, i in position.items():
            if i < len(f):
                codes[name].append(values[name].setdefault(f[i], len(values[name])))
            else:
                codes[name].append(-1)
    attributes = {
        name: CodedColumn(list(values[name]), np.array(codes[name], dtype=np.int32))
        for name in position
    }
    return AgentsCsv(np.array(locations, dtype=np.int32), attributes)
