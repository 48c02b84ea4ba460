"""``corredor scenarios``, ``validate`` and ``scenario list|show|events|levers``: scenarios of
both kinds."""

from __future__ import annotations

import click

from corredor.cli.output import console, print_frame, print_rows

SCENARIO_ARG = click.argument("scenario", metavar="SCENARIO")


@click.command("scenarios")
def scenarios() -> None:
    """List the built-in scenarios of both kinds: name, kind, what it is."""
    from corredor.app.kinds import builtin_scenarios

    for s in builtin_scenarios():
        print(f"{s.name}\t{s.kind}\t{s.description}")


@click.command("validate")
@SCENARIO_ARG
def validate(scenario: str) -> None:
    """Check a scenario of either kind without running it (a corridor YAML or folder, a Flee
    folder, or a built-in name): `OK: …` or one error naming the file, line and fix (exit 2)."""
    from corredor.app.scenarios import describe
    from corredor.cli.output import warn

    summary = describe(scenario)
    for text in summary.warnings:
        warn(text)
    print(f"OK: {summary.line}")


@click.group("scenario")
def scenario_group() -> None:
    """Scenarios of both kinds: list them, show one, list its policy events and levers."""


@scenario_group.command("list")
def scenario_list() -> None:
    """List the built-in scenarios of both kinds (the same as `corredor scenarios`)."""
    scenarios.callback()  # type: ignore[misc]


@scenario_group.command("show")
@SCENARIO_ARG
@click.option("--yaml", "show_yaml", is_flag=True, help="Also print the whole scenario YAML.")
def scenario_show(scenario: str, show_yaml: bool) -> None:
    """Show a scenario of either kind: its summary (and with --yaml its whole YAML)."""
    from corredor.app.scenarios import describe

    summary = describe(scenario)
    print_rows(summary.rows, f"Scenario {summary.name} ({summary.kind})")
    if summary.kind == "corridor":
        print(
            f"more: corredor scenario events {scenario} · corredor scenario levers {scenario}"
            + ("" if show_yaml else f" · corredor scenario show {scenario} --yaml")
        )
    if show_yaml and summary.yaml is not None:
        print(summary.yaml)


@scenario_group.command("events")
@SCENARIO_ARG
def scenario_events(scenario: str) -> None:
    """List a corridor scenario's policy events (leave one out with --without-event ID) and the
    counterfactual events it ships (add one with --event ID, or a whole counterfactual with
    --event NAME)."""
    from corredor.app.scenarios import events

    df = events(scenario)
    if df.empty:
        print(f"{scenario} has no policy events")
        return
    own, shipped = df[df["counterfactual"] == ""], df[df["counterfactual"] != ""]
    columns = [
        ("id", "id", "{}"),
        ("start", "start", "{}"),
        ("end", "end", "{}"),
        ("magnitude", "magnitude", "{}"),
        ("direction", "direction", "{:+d}"),
        ("name", "name", "{}"),
        ("changes", "changes", "{}"),
        ("source", "source", "{}"),
    ]
    if not shipped.empty:
        print_frame(
            shipped,
            f"Counterfactual events of {scenario} (corredor run {scenario} --event ID, or "
            "--event COUNTERFACTUAL for all of one)",
            columns=[("counterfactual", "counterfactual", "{}"), *columns],
            width=220,
        )
    if own.empty:
        print(f"{scenario} has no policy events of its own")
        return
    print_frame(
        own,
        f"Policy events of {scenario} (corredor run {scenario} --without-event ID)",
        columns=columns,
        width=220,
    )


@scenario_group.command("levers")
@SCENARIO_ARG
@click.option(
    "--all", "everything", is_flag=True, help="Also list every other calibration parameter."
)
def scenario_levers(scenario: str, everything: bool) -> None:
    """List a corridor scenario's policy levers by group: meaning, unit, historical value,
    range and source (set one with --set NAME=VALUE)."""
    from corredor.app.scenarios import levers

    df = levers(scenario, everything=everything)
    con = console(width=220)
    for group, rows in df.groupby("group", sort=False):
        print_frame(
            rows,
            f"{group}",
            columns=[
                ("name", "name", "{}"),
                ("meaning", "meaning", "{}"),
                ("unit", "unit", "{}"),
                ("historical", "historical", "{:.4g}"),
                ("low", "low", "{:g}"),
                ("high", "high", "{:g}"),
                ("status", "status", "{}"),
                ("source", "source", "{}"),
            ],
            width=220,
        )
    con.print(
        f"Set a lever for one run: corredor run {scenario} --set NAME=VALUE (within its range).",
        highlight=False,
    )


COMMANDS = [scenarios, validate, scenario_group]
