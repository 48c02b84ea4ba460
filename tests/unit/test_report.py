"""The HTML report: written, self-contained, with inline SVG figures."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
from pathlib import Path

import matplotlib.dates as mdates
import numpy as np
import pytest

from corredor.report import save_figure_png, write_report
from corredor.report.figures import _DateFormatter
from corredor.report.links import read_conflict_onsets, read_links
from corredor.results import RunResult

SRC = Path(__file__).resolve().parents[2] / "src"


def make_result(scenario_path: Path, replicas: int = 3, days: int = 40) -> RunResult:
    """A hand-made RunResult: 5 locations (conflict, town, 3 camps) with growing camps."""
    rng = np.random.default_rng(7)
    names = ["Kidal", "Mopti", "Mbera", "Abala", "Mentao"]
    L = len(names)
    trend = np.linspace(0, 1, days)[None, :, None] * np.array([50, 80, 900, 400, 300])
    counts = (trend * rng.uniform(0.8, 1.2, size=(replicas, 1, L))).astype(np.int64)
    observed = np.linspace(0, 1, days)[:, None] * np.array([1000.0, 350.0, 280.0])
    return RunResult(
        scenario="tiny",
        scenario_path=scenario_path,
        seeds=list(range(replicas)),
        start_date=dt.date(2012, 2, 29),
        location_names=names,
        location_kinds=["conflict_zone", "town", "camp", "camp", "camp"],
        location_countries=["Mali", "Mali", "Mauritania", "Niger", "Burkina_Faso"],
        lat=np.array([18.44, 14.49, 15.64, 14.95, 13.95]),
        lon=np.array([1.40, -4.19, -5.75, 5.08, -1.67]),
        counts=counts,
        camp_names=["Mbera", "Abala", "Mentao"],
        camp_index=np.array([2, 3, 4], dtype=np.int64),
        observed=observed,
        observed_total=np.tile(observed.sum(axis=1), (replicas, 1)),
        agents_total=counts.sum(axis=2),
        refugee_debt=np.zeros((replicas, days), dtype=np.int64),
        elapsed_s=np.full(replicas, 0.5),
        agent_steps=counts.sum(axis=(1, 2)),
        settings={"move_rules": {"softening": 50.0}},
        run_id="tiny-20120229T000000-abcdef",
    )


@pytest.fixture
def scenario_dir(tmp_path: Path) -> Path:
    d = tmp_path / "tiny"
    (d / "input_csv").mkdir(parents=True)
    (d / "input_csv" / "routes.csv").write_text(
        "#name1,name2,distance,forced_redirection\n"
        "Kidal,Mopti,500,0\nMopti,Mbera,300,0\nKidal,Abala,400,0\nMopti,Mentao,350,0\n"
        "Mopti,Nowhere,10,0\n"
    )
    return d


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("replicas", [1, 3])
def test_report_is_self_contained(tmp_path: Path, scenario_dir: Path, replicas: int) -> None:
    result = make_result(scenario_dir, replicas=replicas)
    path = write_report(result, tmp_path / "out" / "report.html")
    assert path == tmp_path / "out" / "report.html"
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    assert text.count("<svg") == 3  # camps, ARD, map
    assert not EXTERNAL.search(text)
    assert "<link" not in text and "<script" not in text
    assert "<?xml" not in text
    for word in ("tiny", "Mbera", "Abala", "Mentao", "rescaled ARD", result.run_id or ""):
        assert word in text
    assert "4 links drawn" in text
    # ids are unique across the inline figures
    ids = re.findall(r'\bid="([^"]+)"', text)
    assert len(ids) == len(set(ids))
    assert not list(path.parent.glob(".*tmp*"))


def test_links_from_routes(scenario_dir: Path) -> None:
    result = make_result(scenario_dir)
    assert read_links(result) == [(0, 1), (1, 2), (0, 3), (1, 4)]
    result.scenario_path = scenario_dir / "missing"
    assert read_links(result) == []


def test_report_without_routes(tmp_path: Path) -> None:
    result = make_result(tmp_path / "nowhere", replicas=1)
    text = write_report(result, tmp_path / "r.html", links=[(0, 2)]).read_text()
    assert "1 link drawn" in text


def test_png(tmp_path: Path, scenario_dir: Path) -> None:
    path = save_figure_png(make_result(scenario_dir), tmp_path / "img" / "camps.png", dpi=50)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_import_corredor_does_not_import_matplotlib() -> None:
    code = (
        "import sys, corredor, corredor.report, corredor.store; print('matplotlib' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(SRC), *sys.path])},
    )
    assert out.stdout.strip() == "False"


def test_conflict_onsets_from_conflicts_csv(scenario_dir: Path) -> None:
    (scenario_dir / "input_csv" / "conflicts.csv").write_text(
        "#Day,Kidal,Mopti,Mentao,Elsewhere\n0,1,0,0,1\n1,1,0,0,1\n2,1,0.5,0,1\n"
    )
    result = make_result(scenario_dir, days=3)
    assert read_conflict_onsets(result) == {0: 0, 1: 2}
    result = make_result(scenario_dir, days=2)  # Mopti's conflict starts after the run
    assert read_conflict_onsets(result) == {0: 0}


def test_conflict_onsets_from_locations_csv(scenario_dir: Path) -> None:
    (scenario_dir / "input_csv" / "locations.csv").write_text(
        "#name,region,country,latitude,longitude,location_type,conflict_date,population\n"
        "Kidal,Kidal,Mali,18.44,1.40,conflict_zone,0,100\n"
        "Mopti,Mopti,Mali,14.49,-4.19,conflict_zone,5,100\n"
        "Mbera,x,Mauritania,15.64,-5.75,camp,,\n"
        "Abala,x,Niger,14.95,5.08,conflict_zone,99,\n"
    )
    result = make_result(scenario_dir, days=40)
    assert read_conflict_onsets(result) == {0: 0, 1: 5}
    text = write_report(result, scenario_dir / "r.html").read_text(encoding="utf-8")
    assert "2 conflict zones" in text
    assert "Mopti (from 5 Mar)" in text  # labelled on the map with the start of its conflict


def test_date_tick_labels_name_the_year() -> None:
    formatter = _DateFormatter()
    ticks = [mdates.date2num(dt.date(y, m, 1)) for y, m in ((2012, 4), (2012, 7), (2013, 1))]
    assert formatter.format_ticks(ticks) == ["Apr\n2012", "Jul", "Jan\n2013"]
