"""Reports of a study (an HTML page, a Markdown report, one-page summaries in English and
Spanish).

Every number comes from a :class:`~corredor.studies.StudyResult` (nothing is typed in): the
paired difference of each variant from the baseline with its 90 % band, and the absolute values
of every variant. Each report names the calibration used, the runs, what was left out and why,
and the command that regenerates it.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from corredor.files.atomic import write_text as atomic_write_text
from corredor.studies.result import StudyResult

__all__ = [
    "CSS",
    "FIRST_SCREEN_LINES",
    "UNITS_ES",
    "StudyReport",
    "answer_table",
    "band",
    "date_text",
    "difference_cell",
    "difference_figure",
    "fmt",
    "headline_outputs",
    "png_base64",
    "study_html",
    "study_markdown",
    "study_report_files",
    "summary_markdown",
    "unit_text",
    "write_report_files",
    "write_study_report",
    "write_text",
]


def fmt(x: float, *, signed: bool = False, digits: int = 3) -> str:
    """A number for people: 3 significant digits, thousands separated; ``–`` for NaN."""
    if x is None or not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    mag = math.floor(math.log10(abs(x)))
    rounded = round(x, -mag + digits - 1)
    decimals = max(0, digits - 1 - mag)
    text = f"{abs(rounded):,.{decimals}f}"
    sign = "−" if rounded < 0 else ("+" if signed and rounded > 0 else "")
    return sign + text


def band(lo: float, hi: float, *, signed: bool = False) -> str:
    return f"{fmt(lo, signed=signed)} to {fmt(hi, signed=signed)}"


def _es_band(lo: float, hi: float, *, signed: bool = False) -> str:
    return f"{fmt(lo, signed=signed)} a {fmt(hi, signed=signed)}"


def command(result: StudyResult) -> str:
    """The command that regenerates the study (built-in studies by name)."""
    return f"corredor study {result.study.study}"


# ------------------------------------------------------------------------------ texts
def _runs_text(result: StudyResult) -> str:
    sets = len(result.sets)
    seeds = len(result.seeds)
    return (
        f"{result.runs} runs per variant ({sets} parameter set{'s' if sets > 1 else ''} × "
        f"{seeds} seed{'s' if seeds > 1 else ''}; common random numbers)"
    )


def _band_note(result: StudyResult) -> str:
    n = result.runs
    return (
        f"Bands are the central 90 % of the {n} paired runs (weighted quantiles); with {n} runs "
        "the 5th and 95th percentiles lie close to the smallest and largest run, so read them as "
        "the spread of the runs, not as a confidence interval. "
        + (
            "Only the seeds vary: the bands show the model's chance variation, not the "
            "uncertainty of its parameters (no plausible parameter sets were used)."
            if len(result.sets) == 1
            else "The runs vary both the seeds and the plausible parameter sets."
        )
    )


def _calibration_text(result: StudyResult) -> str:
    cal = result.calibration
    if cal.installed:
        return f"{cal.describe()} (sha256 {str(cal.sha256)[:12]})"
    return cal.note


def _calibration_es(result: StudyResult) -> str:
    cal = result.calibration
    if cal.installed:
        return f"versión {cal.version} de la calibración ({cal.file_text(spanish=True)})"
    return "ninguna: el modelo usa los valores fijados a mano del escenario (sin calibrar)"


def headline_outputs(result: StudyResult) -> list[str]:
    return list(result.study.headline) or [c.name for c in result.columns[:4]]


# ------------------------------------------------------------------------------ figure
def difference_figure(result: StudyResult, outputs: Sequence[str] | None = None) -> Figure:
    """Paired differences from the baseline (median, 90 % band) per variant, one panel per
    output, in percent of the baseline's median."""
    names = list(outputs or headline_outputs(result))
    diff = result.differences()
    fig = Figure(figsize=(9, 1.2 + 1.1 * len(names) * max(1, len(result.variants) - 1) / 2))
    axes = np.atleast_1d(fig.subplots(len(names), 1, sharex=False))
    others = [v for i, v in enumerate(result.variants) if i != result.base]
    labels = [result.labels[result.variant(v)] for v in others]
    for ax, name in zip(axes, names, strict=True):
        rows = diff[diff["output"] == name].set_index("variant").loc[others]
        base = rows["baseline_median"].iloc[0]
        scale = 100.0 / base if base not in (0.0,) and np.isfinite(base) else 1.0
        y = np.arange(len(others))[::-1]
        med = rows["median"].to_numpy() * scale
        lo = rows["p05"].to_numpy() * scale
        hi = rows["p95"].to_numpy() * scale
        ax.errorbar(med, y, xerr=[med - lo, hi - med], fmt="o", color="#1f4e79", capsize=3)
        ax.axvline(0, color="#888", lw=0.8)
        ax.set_yticks(y, labels, fontsize=8)
        col = result.columns[result.column(name)]
        unit = "% of history" if scale != 1.0 else col.unit
        ax.set_title(f"{col.label} ({unit})", fontsize=9, loc="left")
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", color="#eee")
    fig.tight_layout()
    return fig


def png_base64(fig: Figure) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode()


# ------------------------------------------------------------------------------ markdown
#: The columns of the difference tables.
DIFFERENCE_HEADER = (
    "output",
    "unit",
    "baseline",
    "variant",
    "difference",
    "90 % band",
    "relative",
    "↑ / ↓",
)


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    align = ["---:" if i in right else "---" for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(align) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _difference_rows(result: StudyResult, variant: str) -> list[list[str]]:
    diff = result.differences()
    rows = []
    for _, r in diff[diff["variant"] == variant].iterrows():
        rel = r["relative"]
        rows.append(
            [
                str(r["label"]),
                str(r["unit"]),
                fmt(r["baseline_median"]),
                fmt(r["variant_median"]),
                fmt(r["median"], signed=True),
                band(r["p05"], r["p95"], signed=True),
                "–" if not math.isfinite(rel) else f"{fmt(100 * rel, signed=True, digits=2)} %",
                f"{100 * r['share_higher']:.0f} % / {100 * r['share_lower']:.0f} %",
            ]
        )
    return rows


def _absolute_rows(result: StudyResult) -> list[list[str]]:
    ab = result.absolute()
    rows = []
    for c in result.columns:
        cells = [c.label, c.unit]
        for v in result.variants:
            r = ab[(ab["variant"] == v) & (ab["output"] == c.name)].iloc[0]
            cells.append(f"{fmt(r['median'])} ({band(r['p05'], r['p95'])})")
        rows.append(cells)
    return rows


def _meta_rows(result: StudyResult) -> list[tuple[str, str]]:
    s = result.study
    secs = float(np.nansum(result.seconds))
    cpu = result.cpu_seconds
    cpu_text = (
        ""
        if cpu is None or not np.isfinite(cpu).any()
        else f"; {float(np.nansum(cpu)):,.0f} CPU s (about {float(np.nansum(cpu)) / 2:,.0f} s "
        "on 2 quiet cores)"
    )
    return [
        ("scenario", result.scenario),
        ("calibration", _calibration_text(result)),
        ("period", f"{s.period.start} – {s.period.end}"),
        ("runs", _runs_text(result)),
        ("people per agent", str(result.people_per_agent)),
        ("baseline", result.labels[result.base]),
        ("study digest", result.digest[:16]),
        (
            "compute",
            f"{secs:,.0f} s summed over the tasks' wall times{cpu_text} (a study resumed "
            "from the store reuses its stored tasks; docs/studies.md gives measured times)",
        ),
        ("regenerate", f"`{command(result)}`"),
    ]


def study_markdown(result: StudyResult) -> str:
    """The full Markdown report of a counterfactual study."""
    s = result.study
    out = [f"# {s.title}", "", s.question.strip(), ""]
    for k, v in _meta_rows(result):
        out.append(f"- **{k}**: {v}")
    out += ["", *[f"> {n}" for n in result.notes], ""]
    out += ["## The answer in one table (the summary's)", "", *answer_table(result)]
    out += ["## Answers: each variant against the baseline", "", _band_note(result), ""]
    out += [
        "Columns: the baseline's and the variant's medians; the paired difference (variant − "
        "baseline, run by run) with its 90 % band; the difference relative to the baseline's "
        "median; the share of runs in which the variant is higher / lower.",
        "",
    ]
    header = list(DIFFERENCE_HEADER)
    for i, v in enumerate(result.variants):
        if i == result.base:
            continue
        var = next(x for x in s.variants if x.name == v)
        out += [f"### {var.label}", "", var.description.strip(), ""]
        if var.effort:
            out += [f"*Effort:* {var.effort.strip()}", ""]
        out += [_md_table(header, _difference_rows(result, v), {2, 3, 4, 5, 6, 7}), ""]
    out += ["## Absolute values (median and 90 % band of the runs)", ""]
    out += [_md_table(["output", "unit", *result.labels], _absolute_rows(result), set()), ""]
    out += _limits_md(result)
    return "\n".join(out).rstrip() + "\n"


def _limits_md(result: StudyResult) -> list[str]:
    s = result.study
    out = ["## Left out (no sourced value)", ""]
    out += [f"- **{x.what}**: {x.why.strip()}" for x in s.left_out] or ["- nothing"]
    out += ["", "## Assumptions", ""]
    out += [f"- {a.strip()}" for a in s.assumptions] or ["- none stated"]
    out += [""]
    return out


# ------------------------------------------------------------------------------ summaries
#: Units in Spanish (the measures' and observables' units).
UNITS_ES = {
    "events": "eventos",
    "people": "personas",
    "person-days": "días-persona",
    "days": "días",
    "cases": "casos",
}
#: How many lines of a summary a reader sees first: the answer (every headline number with its
#: band and unit, and the calibration status) must lie inside them (tested).
FIRST_SCREEN_LINES = 25


_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTHS_ES = [
    "enero",
    "febrero",
    "marzo",
    "abril",
    "mayo",
    "junio",
    "julio",
    "agosto",
    "septiembre",
    "octubre",
    "noviembre",
    "diciembre",
]


def date_text(day: dt.date, spanish: bool = False) -> str:
    """``1 June 2019`` / ``1 de junio de 2019``."""
    if spanish:
        return f"{day.day} de {_MONTHS_ES[day.month - 1]} de {day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def unit_text(unit: str, spanish: bool = False) -> str:
    """A unit for a column heading (Spanish where known)."""
    return UNITS_ES.get(unit, unit) if spanish else unit


def _col_label(result: StudyResult, name: str, spanish: bool) -> str:
    col = result.columns[result.column(name)]
    label = (col.label_es or col.label) if spanish else col.label
    return f"{label} ({unit_text(col.unit, spanish)})"


def _variant_label(result: StudyResult, name: str, spanish: bool) -> str:
    var = next(x for x in result.study.variants if x.name == name)
    return (var.label_es or var.label) if spanish else var.label


def difference_cell(row: pd.Series, spanish: bool = False) -> str:
    """A paired difference with its 90 % band: ``+171,000 (+169,000 to +172,000)``; ``≈ 0``
    when the band includes 0."""
    b = _es_band if spanish else band
    rng = b(row["p05"], row["p95"], signed=True)
    if row["sign"] == "0":
        return f"≈ 0 ({rng})"
    return f"{fmt(row['median'], signed=True)} ({rng})"


def _calibration_short(result: StudyResult, spanish: bool) -> str:
    cal = result.calibration
    if cal.installed:
        return (
            f"Calibración versión {cal.version}."
            if spanish
            else f"Calibration version {cal.version}."
        )
    return (
        "Sin calibrar: parámetros fijados a mano, así que las diferencias son más fiables que "
        "los niveles."
        if spanish
        else "Uncalibrated: hand-set parameters, so trust the differences more than the levels."
    )


def answer_table(result: StudyResult, spanish: bool = False) -> list[str]:
    """The summary's first-screen table: a row per variant, a column per headline output; the
    baseline's row holds its values, the others their paired differences with 90 % bands."""
    names = headline_outputs(result)
    diff = result.differences()
    ab = result.absolute()
    base = result.variants[result.base]
    header = ["", *[_col_label(result, n, spanish) for n in names]]
    rows = [
        [
            f"{_variant_label(result, base, spanish)}: "
            + ("valores del modelo" if spanish else "the model's values"),
            *[
                fmt(float(ab[(ab["variant"] == base) & (ab["output"] == n)]["median"].iloc[0]))
                for n in names
            ],
        ]
    ]
    for v in result.variants:
        if v == base:
            continue
        cells = [f"**{_variant_label(result, v, spanish)}**"]
        for n in names:
            r = diff[(diff["variant"] == v) & (diff["output"] == n)].iloc[0]
            cells.append(difference_cell(r, spanish))
        rows.append(cells)
    return [_md_table(header, rows, set(range(1, len(header)))), ""]


def summary_markdown(result: StudyResult, lang: str = "en") -> str:
    """A one-page summary for non-specialists, in English (``en``) or Spanish (``es``): the
    answer first (a table of the headline outputs, every variant against the baseline with its
    90 % band and unit), then the question, how the numbers were made and what the model cannot
    say."""
    spanish = lang == "es"
    s = result.study
    title = (s.title_es or s.title) if spanish else s.title
    question = (s.question_es or s.question) if spanish else s.question
    text = s.summary.es if (s.summary and spanish) else (s.summary.en if s.summary else "")
    start, end = date_text(s.period.start, spanish), date_text(s.period.end, spanish)
    base = _variant_label(result, result.variants[result.base], spanish)
    n = result.runs
    if spanish:
        lead = (
            f"**Respuesta** (estimaciones del modelo, {start} a {end}): cada variante menos "
            f"«{base}», mediana de {n} corridas pareadas y, entre paréntesis, la banda de 90 %; "
            "≈ 0 si la banda incluye el 0. "
        )
    else:
        lead = (
            f"**Answer** (model estimates, {start} to {end}): each variant minus "
            f"“{base}”, the median of {n} paired runs with the 90 % band in brackets; ≈ 0 "
            "where the band includes 0. "
        )
    out = [f"# {title}", "", lead + _calibration_short(result, spanish), ""]
    out += answer_table(result, spanish)
    for v in s.variants:
        effort = (v.effort_es or v.effort) if spanish else v.effort
        if effort.strip():
            what = "Lo que cuesta" if spanish else "What it costs"
            out += [f"**{what} — {_variant_label(result, v.name, spanish)}.** {effort.strip()}", ""]
    out += ["## La pregunta" if spanish else "## The question", "", question.strip(), ""]
    if text:
        out += [text.strip(), ""]
    out += [
        (
            "Todas las demás cifras (por nacionalidad, por ciudad fronteriza, valores absolutos) "
            "están en el informe completo (report.md, report.html)."
        )
        if spanish
        else (
            "Every other number (by citizenship, by border city, absolute values) is in the full "
            "report (report.md, report.html)."
        ),
        "",
    ]
    out += [f"## {'Lo que el modelo no puede decir' if spanish else 'What the model cannot say'}"]
    out += ["", *_cannot(result, spanish)]
    cal = _calibration_es(result) if spanish else _calibration_text(result)
    cal_word = "Calibración" if spanish else "Calibration"
    runs_word = "corridas por variante" if spanish else "runs per variant"
    out += ["", f"*{cal_word}: {cal}. {n} {runs_word}. `{command(result)}`*", ""]
    return "\n".join(out)


def _cannot(result: StudyResult, spanish: bool) -> list[str]:
    s = result.study
    out = []
    if not result.calibration.installed:
        out.append(
            "- El modelo no está calibrado con los datos: usa valores fijados a mano. Las "
            "diferencias entre variantes son más fiables que los niveles."
            if spanish
            else "- The model is not calibrated to the data: it runs hand-set values. The "
            "differences between variants are more reliable than the levels."
        )
    for x in s.left_out:
        out.append(
            f"- Sin cifra con fuente, se deja fuera: {x.what_es or x.what}."
            if spanish
            else f"- Left out, no sourced figure: {x.what} ({x.why.strip()})."
        )
    out.append(
        f"- Las bandas muestran cuánto varían las {result.runs} corridas del modelo, no la "
        "incertidumbre sobre el mundo real."
        if spanish
        else f"- The bands show how much the model's {result.runs} runs vary, not how uncertain "
        "the real world is."
    )
    return out


# ------------------------------------------------------------------------------ HTML
CSS = """
:root { --fg:#1d1d1f; --muted:#5f6368; --line:#d9dce1; --accent:#1f4e79; }
body { margin:0 auto; max-width:1100px; padding:1.5rem; color:var(--fg);
       font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif; }
h1 { font-size:1.6rem; color:var(--accent); } h2 { font-size:1.2rem; margin-top:2rem;
border-bottom:1px solid var(--line); } p, li { max-width:60rem; }
table { border-collapse:collapse; margin:.5rem 0; font-size:.9rem; }
th, td { padding:.2rem .6rem; border-bottom:1px solid var(--line); text-align:left; }
td.num { text-align:right; font-variant-numeric:tabular-nums; white-space:nowrap; }
.note { background:#fff8e1; padding:.5rem .8rem; border-left:4px solid #f0b400; }
dl { display:grid; grid-template-columns:max-content 1fr; gap:.1rem 1rem; }
dt { font-weight:600; } dd { margin:0; } img { max-width:100%; }
"""


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> str:
    head = "".join(f"<th>{_esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{_esc(c)}</td>' if i in right else f"<td>{_esc(c)}</td>"
            for i, c in enumerate(r)
        )
        + "</tr>"
        for r in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def study_html(result: StudyResult) -> str:
    """The self-contained HTML report (inline CSS and figure; works offline)."""
    s = result.study
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_esc(s.title)}"
        f"</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(s.title)}</h1><p>{_esc(s.question)}</p><dl>",
    ]
    for k, v in _meta_rows(result):
        parts.append(f"<dt>{_esc(k)}</dt><dd>{_esc(v.strip('`'))}</dd>")
    parts.append("</dl>")
    parts += [f"<p class='note'>{_esc(n)}</p>" for n in result.notes]
    parts.append("<h2>Answers: each variant against the baseline</h2>")
    parts.append(f"<p>{_esc(_band_note(result))}</p>")
    fig = difference_figure(result)
    parts.append(f"<img alt='paired differences' src='data:image/png;base64,{png_base64(fig)}'>")
    header = list(DIFFERENCE_HEADER)
    for i, v in enumerate(result.variants):
        if i == result.base:
            continue
        var = next(x for x in s.variants if x.name == v)
        parts.append(f"<h3>{_esc(var.label)}</h3><p>{_esc(var.description)}</p>")
        if var.effort:
            parts.append(f"<p><em>Effort:</em> {_esc(var.effort)}</p>")
        parts.append(_html_table(header, _difference_rows(result, v), {2, 3, 4, 5, 6, 7}))
    parts.append("<h2>Absolute values (median and 90 % band of the runs)</h2>")
    parts.append(_html_table(["output", "unit", *result.labels], _absolute_rows(result), set()))
    parts.append("<h2>Left out (no sourced value)</h2><ul>")
    parts += [f"<li><b>{_esc(x.what)}</b>: {_esc(x.why)}</li>" for x in s.left_out]
    parts.append("</ul><h2>Assumptions</h2><ul>")
    parts += [f"<li>{_esc(a)}</li>" for a in s.assumptions]
    parts.append("</ul></body></html>")
    return "\n".join(parts)


# ------------------------------------------------------------------------------ files
@dataclass(frozen=True)
class StudyReport:
    """The files written for one study."""

    html: Path
    markdown: Path
    summary_en: Path
    summary_es: Path
    tables: tuple[Path, ...]


def study_report_files(result: StudyResult) -> dict[str, str]:
    """The report's files by name (texts): ``report.html``, ``report.md``, ``summary.en.md``,
    ``summary.es.md``, ``differences.csv``, ``absolute.csv``, ``runs.csv``."""
    return {
        "report.html": study_html(result),
        "report.md": study_markdown(result),
        "summary.en.md": summary_markdown(result, "en"),
        "summary.es.md": summary_markdown(result, "es"),
        "differences.csv": _csv(result.differences()),
        "absolute.csv": _csv(result.absolute()),
        "runs.csv": _csv(result.runs_table()),
    }


def write_report_files(files: dict[str, str], folder: str | Path) -> StudyReport:
    """Write report files (:func:`study_report_files`) into ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        write_text(folder / name, text)
    tables = tuple(folder / n for n in files if n.endswith(".csv"))
    return StudyReport(
        folder / "report.html",
        folder / "report.md",
        folder / "summary.en.md",
        folder / "summary.es.md",
        tables,
    )


def write_study_report(result: StudyResult, folder: str | Path) -> StudyReport:
    """Write the report of a study into ``folder`` (:func:`study_report_files`)."""
    return write_report_files(study_report_files(result), folder)


def _csv(df: pd.DataFrame) -> str:
    return str(df.to_csv(index=False, float_format="%.6g"))


def write_text(path: Path, text: str) -> None:
    """Write a report file through the one atomic writer (:mod:`corredor.files.atomic`)."""
    atomic_write_text(path, text)
