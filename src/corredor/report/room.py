"""Reports of a room-for-manoeuvre study (an HTML page, a Markdown report, one-page summaries
in English and Spanish).

Every number comes from a :class:`~corredor.studies.room.RoomResult`: the feasible share of the
transit state's policy grid and its chosen policy per export share × credibility (median and
90 % band over the runs), the outcomes the simulation gives for the chosen policy, paired with
the transit state's own policy (export share 0), and the caveats of the study file next to them.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure

from corredor.bargaining.caveats import caveat_texts
from corredor.report.study import (
    CSS,
    StudyReport,
    band,
    date_text,
    fmt,
    png_base64,
    unit_text,
    write_report_files,
)
from corredor.studies.room import RoomResult

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "all_caveats",
    "room_answer_table",
    "room_html",
    "room_markdown",
    "room_report_files",
    "room_summary",
    "switch_share",
    "write_room_report",
]


def _pct(x: float) -> str:
    return "–" if not math.isfinite(x) else f"{100 * x:.1f} %"


def _label(result: RoomResult, share: float) -> str:
    spec = result.study.bargaining
    mark = spec is not None and spec.history_exposure is not None and share == spec.history_exposure
    if share == 0:
        return "0 (own policy)"
    label = spec.history_label if spec is not None else "history"
    return f"{share:g}" + (f" ({label})" if mark else "")


def _k(result: RoomResult) -> int:
    spec = result.study.bargaining
    assert spec is not None
    return list(result.credibilities).index(spec.outcome_credibility)


def _history(result: RoomResult) -> int | None:
    spec = result.study.bargaining
    if spec is None or spec.history_exposure is None:
        return None
    return list(result.exposures).index(spec.history_exposure)


def _command(result: RoomResult) -> str:
    return f"corredor study {result.study.study}"


def _calibration(result: RoomResult, spanish: bool = False) -> str:
    cal = result.calibration
    if cal.installed:
        if spanish:
            return f"versión {cal.version} de la calibración ({cal.file_text(spanish=True)})"
        return f"{cal.describe()} (sha256 {str(cal.sha256)[:12]})"
    if spanish:
        return "ninguna: el modelo usa los valores fijados a mano del escenario (sin calibrar)"
    return cal.note


# ------------------------------------------------------------------------------ tables
def feasible_rows(result: RoomResult) -> list[list[str]]:
    b = result.band(result.game_runs("feasible_share"))
    rows = []
    for e, share in enumerate(result.exposures):
        cells = [_label(result, share)]
        for k in range(len(result.credibilities)):
            cells.append(
                f"{_pct(b['median'][e, k])} ({_pct(b['p05'][e, k])} – {_pct(b['p95'][e, k])})"
            )
        rows.append(cells)
    return rows


POLICY_FIELDS = (
    ("enforcement_south", "enforcement south"),
    ("enforcement_transit", "enforcement interior"),
    ("enforcement_north", "enforcement north"),
    ("humanitarian_visas", "visas"),
    ("asylum_capacity", "asylum capacity"),
    ("mpp_acceptance", "MPP acceptance"),
    ("sanction_probability", "P(sanction)"),
)


def policy_rows(result: RoomResult) -> list[list[str]]:
    k = _k(result)
    bands = {f: result.band(result.game_runs(f)) for f, _ in POLICY_FIELDS}
    comply = result.game_runs("in_feasible_space")[:, :, k]
    rows = []
    for e, share in enumerate(result.exposures):
        cells = [_label(result, share)]
        for f, _ in POLICY_FIELDS:
            cells.append(fmt(float(bands[f]["median"][e, k]), digits=2))
        cells.append(f"{int(np.nansum(comply[:, e]))} of {comply.shape[0]}")
        rows.append(cells)
    return rows


LOSS_FIELDS = (
    ("fiscal_loss", "fiscal"),
    ("humanitarian_loss", "humanitarian"),
    ("audience_loss", "audience"),
    ("expected_sanction", "expected sanction"),
    ("loss", "total"),
)


def loss_rows(result: RoomResult) -> list[list[str]]:
    k = _k(result)
    bands = {f: result.band(result.game_runs(f)) for f, _ in LOSS_FIELDS}
    return [
        [_label(result, share)] + [fmt(float(bands[f]["median"][e, k])) for f, _ in LOSS_FIELDS]
        for e, share in enumerate(result.exposures)
    ]


def outcome_rows(result: RoomResult, output: str) -> list[list[str]]:
    x = result.outcome_runs(output)
    a = result.band(x)
    d = result.band(x - x[:, :1])
    rows = []
    for e, share in enumerate(result.exposures):
        rows.append(
            [
                _label(result, share),
                fmt(float(a["median"][e])),
                "–" if e == 0 else fmt(float(d["median"][e]), signed=True),
                "–" if e == 0 else band(float(d["p05"][e]), float(d["p95"][e]), signed=True),
            ]
        )
    return rows


def _md_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def _meta(result: RoomResult) -> list[tuple[str, str]]:
    s = result.study
    return [
        ("scenario", result.scenario),
        ("calibration", _calibration(result)),
        ("review", f"{result.review} (the first review under the threat); {result.days} days"),
        (
            "runs",
            f"{result.runs} ({len(result.sets)} parameter set(s) × {len(result.seeds)} seeds; "
            "common random numbers)",
        ),
        ("export shares", ", ".join(f"{x:g}" for x in result.exposures)),
        ("credibilities", ", ".join(f"{x:g}" for x in result.credibilities)),
        (
            "compute",
            f"{float(np.nansum(result.seconds)):,.0f} s summed over tasks; "
            f"{float(np.nansum(result.cpu_seconds)):,.0f} CPU s (about "
            f"{float(np.nansum(result.cpu_seconds)) / 2:,.0f} s on 2 quiet cores)",
        ),
        ("study digest", result.digest[:16]),
        ("regenerate", f"`{_command(result)}`"),
        ("question", s.question.strip()),
    ]


def _policies(result: RoomResult) -> str:
    return "policies" if result.grid_size is None else f"{result.grid_size:,} policies"


def all_caveats(result: RoomResult) -> list[str]:
    """The game's caveats (docs/bargaining.md, :mod:`corredor.bargaining.caveats`), then the
    study's own."""
    spec = result.study.bargaining
    return caveat_texts(stc_mechanism=result.stc_mechanism) + [
        c.strip() for c in (spec.caveats if spec is not None else [])
    ]


def room_markdown(result: RoomResult) -> str:
    """The full Markdown report."""
    s = result.study
    spec = s.bargaining
    assert spec is not None
    k = _k(result)
    creds = [f"credibility {c:g}" for c in result.credibilities]
    out = [f"# {s.title}", ""]
    out += [f"- **{a}**: {b}" for a, b in _meta(result)]
    out += ["", *[f"> {n}" for n in result.notes], ""]
    out += ["## The answer in one table (the summary's)", "", *room_answer_table(result)]
    out += [*_key_lines(result, False), ""]
    out += ["## What bounds these numbers", ""]
    out += [f"- {c}" for c in all_caveats(result)]
    out += [
        "",
        f"## {result.transit}'s room: the feasible share of its policy grid",
        "",
        f"Share of the {_policies(result)} of the grid that trigger no sanction and that "
        f"{result.transit} can afford, median over the runs (90 % band).",
        "",
        _md_table(["export share", *creds], feasible_rows(result)),
        "",
        f"## {result.transit}'s chosen policy (credibility {result.credibilities[k]:g}, medians)",
        "",
        "Levers from 0 (no added effort, no visas…) to 1 (the size the scenario's bargaining "
        "block gives each lever, docs/bargaining.md §10); *complies*: runs in which the chosen "
        "policy lies in the feasible space.",
        "",
        _md_table(
            ["export share", *[lbl for _, lbl in POLICY_FIELDS], "complies"],
            policy_rows(result),
        ),
        "",
        f"## What {result.transit} gains or loses (simulated, paired with its own policy)",
        "",
        f"The {result.days} days after the review simulated with the chosen policy; the "
        f"difference is from export share 0 ({result.transit}'s own policy), run by run.",
        "",
    ]
    for c in result.columns:
        out += [f"### {c.label} ({c.unit})", ""]
        out += [
            _md_table(
                ["export share", "value", "difference", "90 % band"], outcome_rows(result, c.name)
            ),
            "",
        ]
    out += [
        "## The game's loss terms (million USD-equivalent, hand-set weights)",
        "",
        _md_table(["export share", *[lbl for _, lbl in LOSS_FIELDS]], loss_rows(result)),
        "",
        "## Left out",
        "",
    ]
    out += [f"- **{x.what}**: {x.why.strip()}" for x in s.left_out] or ["- nothing"]
    out += ["", "## Assumptions", ""]
    out += [f"- {a.strip()}" for a in s.assumptions] or ["- none stated"]
    return "\n".join(out).rstrip() + "\n"


def _names(result: RoomResult, es: bool) -> tuple[str, str]:
    spec = result.study.bargaining
    if es and spec is not None:
        return spec.transit_es or result.transit, spec.hegemon_es or result.hegemon
    return result.transit, result.hegemon


def _share_label(result: RoomResult, share: float, es: bool) -> str:
    spec = result.study.bargaining
    transit, _ = _names(result, es)
    if share == 0:
        if es:
            return f"0 % (sin dependencia): política propia de {transit}, valores del modelo"
        return f"0 % (no dependence): {transit}'s own policy, the model's values"
    text = f"{100 * share:g} %"
    if spec is not None and spec.history_exposure is not None and share == spec.history_exposure:
        when = "historia, junio de 2019" if es else spec.history_label
        return f"**{text} ({when})**"
    return text


def _pct_band(b: dict[str, FloatArray], e: int, k: int, es: bool) -> str:
    joint = " a " if es else " to "
    lo, hi = _pct(b["p05"][e, k]), _pct(b["p95"][e, k])
    return f"{_pct(b['median'][e, k])} ({lo}{joint}{hi})"


def _choice_cell(result: RoomResult, e: int, es: bool) -> str:
    """The chosen policy in words (medians over the runs): mean enforcement, visas, asylum
    capacity, MPP acceptance, and the chance of the sanction it leaves."""
    k = _k(result)

    def med(field: str) -> float:
        return float(result.band(result.game_runs(field))["median"][e, k])

    levers = (
        f"{100 * med('enforcement_mean'):.0f} %, visas {100 * med('humanitarian_visas'):.0f} %, "
        f"{'asilo' if es else 'asylum'} {100 * med('asylum_capacity'):.0f} %, "
        f"MPP {100 * med('mpp_acceptance'):.0f} %"
    )
    p = _pct(med("sanction_probability"))
    if es:
        return f"control {levers}; P(sanción) {p}"
    return f"enforcement {levers}; P(sanction) {p}"


def _outcome_cell(result: RoomResult, name: str, e: int, es: bool) -> str:
    x = result.outcome_runs(name)
    if e == 0:
        return fmt(float(result.band(x)["median"][0]))
    d = result.band(x - x[:, :1])
    lo, hi = float(d["p05"][e]), float(d["p95"][e])
    rng = band(lo, hi, signed=True).replace(" to ", " a " if es else " to ")
    if lo <= 0 <= hi:
        return f"≈ 0 ({rng})"
    return f"{fmt(float(d['median'][e]), signed=True)} ({rng})"


def room_answer_table(result: RoomResult, es: bool = False) -> list[str]:
    """The summary's first-screen table: per export share, the feasible share of the policy
    grid (at the outcome credibility), the chosen policy, and the simulated outcomes against
    the transit state's own policy, each with its 90 % band."""
    k = _k(result)
    transit, hegemon = _names(result, es)
    fs = result.band(result.game_runs("feasible_share"))
    names = [c.name for c in result.columns]
    shown = result.study.headline or names[:3]
    if es:
        header = [
            f"exportaciones de {transit} vendidas a {hegemon}",
            "políticas que evitan la sanción (% de la rejilla)",
            f"lo que elige {transit}",
        ]
    else:
        header = [
            f"share of {transit}'s exports sold to {hegemon}",
            "policies that avoid the sanction (% of the grid)",
            f"what {transit} chooses",
        ]
    for name in shown:
        col = result.columns[names.index(name)]
        label = (col.label_es or col.label) if es else col.label
        header.append(f"{label} ({unit_text(col.unit, es)})")
    rows = []
    for e, share in enumerate(result.exposures):
        cells = [_share_label(result, share, es), _pct_band(fs, e, k, es)]
        cells.append(_choice_cell(result, e, es))
        cells += [_outcome_cell(result, name, e, es) for name in shown]
        rows.append(cells)
    return [_md_table(header, rows), ""]


#: What "containment" means in the chosen policy: enforcement and humanitarian visas.
CONTAINMENT_FIELDS = ("enforcement_mean", "humanitarian_visas")


def switch_share(result: RoomResult) -> float | None:
    """The smallest export share at which the transit state's chosen enforcement or visas
    (medians over the runs, at the outcome credibility) depart from its own policy's (export
    share 0), or None if they never do."""
    k = _k(result)
    chosen = np.stack(
        [result.band(result.game_runs(f))["median"][:, k] for f in CONTAINMENT_FIELDS], axis=1
    )
    for e, share in enumerate(result.exposures):
        if share > 0 and not np.allclose(chosen[e], chosen[0], atol=1e-9, equal_nan=True):
            return share
    return None


def _key_lines(result: RoomResult, es: bool) -> list[str]:
    transit, hegemon = _names(result, es)
    k = _k(result)
    enf = result.band(result.game_runs("enforcement_mean"))["median"][:, k]
    visas = result.band(result.game_runs("humanitarian_visas"))["median"][:, k]
    ps = result.band(result.game_runs("sanction_probability"))["median"][:, k]
    out = []
    switch = switch_share(result)
    if switch is not None:
        e = list(result.exposures).index(switch)
        below = [i for i, x in enumerate(result.exposures) if 0 < x < switch]
        keep = ""
        if below:
            j = below[-1]
            keep = (
                f"{transit} mantiene su control y sus visas ({100 * enf[0]:.0f} %, "
                f"{100 * visas[0]:.0f} %) hasta {100 * result.exposures[j]:g} % de sus "
                f"exportaciones vendidas a {hegemon} y desafía la amenaza (probabilidad de "
                f"sanción {_pct(ps[j])}); "
                if es
                else f"{transit} keeps its enforcement and visas ({100 * enf[0]:.0f} %, "
                f"{100 * visas[0]:.0f} %) up to {100 * result.exposures[j]:g} % of its exports "
                f"sold to {hegemon}, defying the threat (chance of the sanction "
                f"{_pct(ps[j])}); "
            )
        out.append(
            f"- {keep}desde {100 * switch:g} % elige más control ({100 * enf[e]:.0f} % del "
            f"tamaño de las palancas) y {100 * visas[e]:.0f} % de las visas humanitarias "
            f"(probabilidad de sanción {_pct(ps[e])})."
            if es
            else f"- {keep}from {100 * switch:g} % on it chooses more enforcement "
            f"({100 * enf[e]:.0f} % of the levers' size) and {100 * visas[e]:.0f} % of the "
            f"humanitarian visas (chance of the sanction {_pct(ps[e])})."
        )
    else:
        out.append(
            f"- {transit} mantiene su control y sus visas con cualquier nivel de exportaciones."
            if es
            else f"- {transit} keeps its enforcement and visas at every export share studied."
        )
    h = _history(result)
    if h is not None:
        fs = result.band(result.game_runs("feasible_share"))
        parts = [
            f"{_pct(fs['median'][h, j])} ({'credibilidad' if es else 'credibility'} {c:g})"
            for j, c in enumerate(result.credibilities)
        ]
        share = 100 * result.exposures[h]
        psb = result.band(result.game_runs("sanction_probability"))
        p_rng = f"{_pct(psb['p05'][h, k])}{' a ' if es else ' to '}{_pct(psb['p95'][h, k])}"
        out.append(
            f"- Con {share:g} %, la política que elige {transit} deja una probabilidad de "
            f"sanción de {_pct(psb['median'][h, k])} ({p_rng})."
            if es
            else f"- At {share:g} %, the policy {transit} chooses leaves a "
            f"{_pct(psb['median'][h, k])} chance of the sanction ({p_rng})."
        )
        out.append(
            f"- Con {share:g} % (el dato de 2019), la parte de las políticas que evita la "
            f"sanción según lo creíble que sea la amenaza: {', '.join(parts)}."
            if es
            else f"- At {share:g} % (the 2019 figure), the share of policies that avoid the "
            f"sanction by how credible the threat is: {', '.join(parts)}."
        )
    return out


def _cannot_lines(result: RoomResult, es: bool) -> list[str]:
    spec = result.study.bargaining
    out = [f"- {c}" for c in caveat_texts("es" if es else "en", stc_mechanism=result.stc_mechanism)]
    if spec is not None:
        specific = (spec.caveats_es or spec.caveats) if es else spec.caveats
        out += [f"- {c.strip()}" for c in specific]
    if not result.calibration.installed:
        out.append(
            "- El modelo no está calibrado con los datos: usa valores fijados a mano."
            if es
            else "- The model is not calibrated to the data: it runs hand-set values."
        )
    for x in result.study.left_out:
        out.append(
            f"- Sin cifra con fuente, se deja fuera: {x.what_es or x.what}."
            if es
            else f"- Left out, no sourced figure: {x.what} ({x.why.strip()})."
        )
    return out


def room_summary(result: RoomResult, lang: str = "en") -> str:
    """A one-page summary for non-specialists (``en`` or ``es``): the answer first (a table
    per export share with the 90 % bands and units, the share at which the room closes), then
    the question, how the numbers were made and what bounds them."""
    s = result.study
    es = lang == "es"
    title = (s.title_es or s.title) if es else s.title
    question = (s.question_es or s.question) if es else s.question
    k = _k(result)
    cred = result.credibilities[k]
    day = date_text(result.review, es)
    cal_short = (
        ("Calibración versión " if es else "Calibration version ") + str(result.calibration.version)
        if result.calibration.installed
        else (
            "Sin calibrar: parámetros fijados a mano."
            if es
            else "Uncalibrated: hand-set parameters."
        )
    )
    if es:
        lead = (
            f"**Respuesta** (estimaciones del modelo para los {result.days} días desde el {day}, "
            f"amenaza con credibilidad {cred:g}; mediana de {result.runs} corridas y, entre "
            "paréntesis, la banda de 90 %; los resultados, frente a la política propia de "
            f"{_names(result, es)[0]}, la fila 0 %). {cal_short}"
        )
    else:
        lead = (
            f"**Answer** (model estimates for the {result.days} days from {day}, threat "
            f"credibility {cred:g}; median of {result.runs} runs with the 90 % band in brackets; "
            f"outcomes against {result.transit}'s own policy, the 0 % row). {cal_short}"
        )
    out = [f"# {title}", "", lead, ""]
    out += room_answer_table(result, es)
    out += _key_lines(result, es)
    out += ["", "## La pregunta" if es else "## The question", "", question.strip(), ""]
    if s.summary is not None:
        out += [(s.summary.es if es else s.summary.en).strip(), ""]
    out += [
        "## Lo que acota estas cifras" if es else "## What bounds these numbers",
        "",
        *_cannot_lines(result, es),
    ]
    cal = _calibration(result, es)
    runs = "corridas" if es else "runs"
    cal_word = "Calibración" if es else "Calibration"
    out += ["", f"*{cal_word}: {cal}. {result.runs} {runs}. `{_command(result)}`*", ""]
    return "\n".join(out)


def feasible_figure(result: RoomResult) -> Figure:
    """The feasible share against the export share, one line (and 90 % band) per credibility;
    the history point marked."""
    fs = result.band(result.game_runs("feasible_share"))
    x = np.array(result.exposures)
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    for k, cred in enumerate(result.credibilities):
        (line,) = ax.plot(x, 100 * fs["median"][:, k], marker="o", ms=3, label=f"κ = {cred:g}")
        ax.fill_between(
            x, 100 * fs["p05"][:, k], 100 * fs["p95"][:, k], color=line.get_color(), alpha=0.15
        )
    h = _history(result)
    if h is not None:
        ax.axvline(result.exposures[h], color="#888", ls="--", lw=1)
        label = result.study.bargaining.history_label if result.study.bargaining else "history"
        ax.annotate(label, (result.exposures[h], 100), fontsize=8, ha="right", va="top")
    ax.set_xlabel("share of exports sold to the hegemon")
    ax.set_ylabel("feasible share of the policy grid (%)")
    ax.legend(fontsize=8, title="credibility", title_fontsize=8)
    ax.grid(color="#eee")
    fig.tight_layout()
    return fig


def _html_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def room_html(result: RoomResult) -> str:
    """The self-contained HTML report (the Markdown report's tables, the figure inline)."""
    s = result.study
    spec = s.bargaining
    assert spec is not None
    e = html.escape
    k = _k(result)
    figure = png_base64(feasible_figure(result))
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{e(s.title)}"
        f"</title><style>{CSS}</style></head><body><h1>{e(s.title)}</h1><dl>",
        *[f"<dt>{e(a)}</dt><dd>{e(b.strip('`'))}</dd>" for a, b in _meta(result)],
        "</dl>",
        *[f"<p class='note'>{e(n)}</p>" for n in result.notes],
        "<h2>What bounds these numbers</h2><ul>",
        *[f"<li>{e(c)}</li>" for c in all_caveats(result)],
        f"</ul><h2>{e(result.transit)}'s room: the feasible share of its policy grid</h2>",
        f"<img alt='feasible share' src='data:image/png;base64,{figure}'>",
        _html_table(
            ["export share", *[f"credibility {c:g}" for c in result.credibilities]],
            feasible_rows(result),
        ),
        f"<h2>{e(result.transit)}'s chosen policy (credibility {result.credibilities[k]:g})</h2>",
        _html_table(
            ["export share", *[lbl for _, lbl in POLICY_FIELDS], "complies"], policy_rows(result)
        ),
        f"<h2>What {e(result.transit)} gains or loses (simulated, paired with its own policy)</h2>",
    ]
    for c in result.columns:
        parts.append(f"<h3>{e(c.label)} ({e(c.unit)})</h3>")
        parts.append(
            _html_table(
                ["export share", "value", "difference", "90 % band"], outcome_rows(result, c.name)
            )
        )
    parts += [
        "<h2>The game's loss terms (million USD-equivalent, hand-set weights)</h2>",
        _html_table(["export share", *[lbl for _, lbl in LOSS_FIELDS]], loss_rows(result)),
        "<h2>Left out</h2><ul>",
        *[f"<li><b>{e(x.what)}</b>: {e(x.why)}</li>" for x in s.left_out],
        "</ul><h2>Assumptions</h2><ul>",
        *[f"<li>{e(a)}</li>" for a in s.assumptions],
        "</ul></body></html>",
    ]
    return "\n".join(parts)


def room_report_files(result: RoomResult) -> dict[str, str]:
    """The report's files by name (texts): ``report.html``, ``report.md``, ``summary.en.md``,
    ``summary.es.md``, ``game.csv``, ``outcomes.csv``."""
    return {
        "report.html": room_html(result),
        "report.md": room_markdown(result),
        "summary.en.md": room_summary(result, "en"),
        "summary.es.md": room_summary(result, "es"),
        "game.csv": str(result.game_table().to_csv(index=False, float_format="%.6g")),
        "outcomes.csv": str(result.outcome_table().to_csv(index=False, float_format="%.6g")),
    }


def write_room_report(result: RoomResult, folder: str | Path) -> StudyReport:
    """Write the report of a room-for-manoeuvre study into ``folder``."""
    return write_report_files(room_report_files(result), folder)
