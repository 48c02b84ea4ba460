"""``docs/usage.md`` is the real command line: its generated part is up to date, and it names
every command."""

from __future__ import annotations

import re
from pathlib import Path

import click

from corredor.cli import app
from corredor.cli.docs import BEGIN, END, commands_markdown, replace_generated

USAGE = Path(__file__).resolve().parents[2] / "docs" / "usage.md"


def test_usage_md_is_up_to_date() -> None:
    text = USAGE.read_text(encoding="utf-8")
    assert replace_generated(text, commands_markdown(app)) == text, (
        "docs/usage.md is stale: run python scripts/make_usage_md.py"
    )


def test_every_command_and_option_is_documented() -> None:
    text = USAGE.read_text(encoding="utf-8")
    generated = text[text.index(BEGIN) : text.index(END)]
    for name in app.commands:
        assert f"### `corredor {name}" in generated, name
    for flag in ("`--set`", "`--without-event`", "`--event`", "`--calibration`", "`--store`"):
        assert flag in generated, flag
    assert "point\\|calibrated\\|uncalibrated" in generated  # choices are shown


def _commands(group: click.Group, prefix: str = "") -> dict[str, click.Command]:
    found: dict[str, click.Command] = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            found.update(_commands(command, f"{prefix}{name} "))
        else:
            found[prefix + name] = command
    return found


#: The one option name whose value is of another kind in one command, for a reason: the report
#: of a run is one HTML file, a study's report a folder of pages and tables.
OTHER_KIND = {"--report": {"study"}}


def test_one_meaning_per_option_name() -> None:
    """An option name shared by several commands takes the same kind of value everywhere (the
    same metavar or the same choices), choices are shown in ``--help``, and every command that
    takes a scenario requires it (no command quietly defaults to one)."""
    kinds: dict[str, dict[str, str]] = {}
    for path, command in _commands(app).items():
        for param in command.params:
            if isinstance(param, click.Argument):
                if param.name == "scenario":
                    assert param.required, f"corredor {path}: SCENARIO must be given"
                continue
            assert isinstance(param, click.Option)
            kind = param.metavar or (
                "|".join(param.type.choices) if isinstance(param.type, click.Choice) else "flag"
            )
            help_text = command.get_help(click.Context(command, info_name=path))
            assert "<str>" not in help_text and "TEXT" not in help_text, path
            for opt in param.opts:
                if path not in OTHER_KIND.get(opt, ()):
                    kinds.setdefault(opt, {})[path] = kind
    shared = {opt: by for opt, by in kinds.items() if len(by) > 1}
    assert "--store" in shared and "--seed" in shared  # the check sees the shared options
    mixed = {opt: by for opt, by in shared.items() if len(set(by.values())) > 1}
    assert not mixed, mixed
    for gone in ("--out", "--plot", "--parameters", "--uncalibrated"):
        assert gone not in kinds, gone


def test_serve_options_are_the_service_settings() -> None:
    """``corredor serve``'s options repeat the defaults and bounds of
    :class:`corredor.web.settings.ServeSettings` (so that a bad value is an option error without
    importing the web service): the two lists must agree."""
    from corredor.cli.serve import serve
    from corredor.web.settings import ServeSettings

    fields = ServeSettings.model_fields
    options = [p for p in serve.params if isinstance(p, click.Option)]
    assert len(options) >= 10
    for param in options:
        assert param.name in fields, param.name
        info = fields[param.name]
        assert str(param.default) == str(info.default), param.name
        low = next((m.ge for m in info.metadata if getattr(m, "ge", None) is not None), None)
        high = next((m.le for m in info.metadata if getattr(m, "le", None) is not None), None)
        if isinstance(param.type, click.IntRange):
            assert (param.type.min, param.type.max) == (low, high), param.name
        else:
            assert (low, high) == (None, None), param.name


ROOT = Path(__file__).resolve().parents[2]


def _code(text: str) -> list[str]:
    """The code a Markdown text shows: each line of its fenced blocks, then its inline spans."""
    fence = re.compile(r"```[a-z]*\n(.*?)```", re.S)
    lines = [ln for block in fence.findall(text) for ln in block.splitlines()]
    return lines + re.findall(r"`([^`\n]+)`", fence.sub("", text))


def _options(command: click.Command) -> set[str]:
    found = {"--help", "-h"}
    for param in command.params:
        if isinstance(param, click.Option):
            found.update(param.opts + param.secondary_opts)
    return found


def test_docs_name_only_real_options() -> None:
    """Every ``corredor COMMAND … --option`` that README.md, docs/ and the shipped data's READMEs
    and YAML comments show takes options that command has (an option renamed or removed
    leaves no stale command behind)."""
    data = ROOT / "src" / "corredor" / "data"
    snippets: list[tuple[Path, str]] = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        snippets += [(path, s) for s in _code(path.read_text(encoding="utf-8"))]
    for path in sorted(data.rglob("*.md")):
        snippets += [(path, s) for s in _code(path.read_text(encoding="utf-8"))]
    for path in sorted(data.rglob("*.yaml")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.lstrip().startswith("#"):
                snippets += [(path, s) for s in (_code(line) if "`" in line else [line])]
    command_re = re.compile(r"(?<![\w./-])corredor ([a-z][a-z-]*)(?: ([a-z][a-z-]*))?")
    seen, stale = 0, []
    for path, snippet in snippets:
        for m in command_re.finditer(snippet):
            command = app.commands.get(m.group(1))
            if isinstance(command, click.Group):
                command = command.commands.get(m.group(2) or "")
            if command is None:
                continue
            rest = snippet[m.end(1) :]
            following = command_re.search(rest)
            rest = rest[: following.start()] if following else rest
            for opt in re.findall(r"(?<![\w-])(--[a-z][a-z0-9-]*)", rest):
                seen += 1
                if opt not in _options(command):
                    stale.append(f"{path.relative_to(ROOT)}: {m.group(0)} … {opt}")
    assert seen > 100  # the check reads the commands the docs show
    assert not stale, stale
