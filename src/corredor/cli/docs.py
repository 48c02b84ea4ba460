"""The command-line reference of ``docs/usage.md``, generated from the real commands.

``python scripts/make_usage_md.py`` rewrites the part of ``docs/usage.md`` between the markers
:data:`BEGIN` and :data:`END`; a test fails when that part is stale.
"""

from __future__ import annotations

import click

__all__ = ["BEGIN", "END", "commands_markdown", "replace_generated"]

BEGIN = "<!-- BEGIN GENERATED: the commands (scripts/make_usage_md.py; do not edit by hand) -->"
END = "<!-- END GENERATED -->"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _option_row(param: click.Parameter, ctx: click.Context) -> str:
    assert isinstance(param, click.Option)
    names = [*param.opts, *param.secondary_opts]
    flag = " / ".join(f"`{n}`" for n in names)
    if not param.is_flag:
        if isinstance(param.type, click.Choice):
            meta = "|".join(str(c) for c in param.type.choices)
        else:
            meta = param.metavar or param.type.get_metavar(param, ctx) or param.type.name.upper()
        flag = f"{flag} `{meta}`"
    if param.multiple:
        flag += " (repeatable)"
    default = param.get_default(ctx, call=False)
    if param.required:
        shown = "required"
    elif default is None or default is False or "Sentinel" in type(default).__name__:
        shown = ""  # no default (click's UNSET sentinel for repeatable options)
    elif isinstance(default, tuple | list) and not default:
        shown = ""
    elif isinstance(default, bool):
        shown = "on"
    else:
        shown = f"`{default}`"
    return f"| {_cell(flag)} | {shown} | {_cell(param.help or '')} |"


def _command(name: str, cmd: click.Command, parent: click.Context) -> list[str]:
    ctx = click.Context(cmd, info_name=name, parent=parent)
    args = " ".join(
        (p.human_readable_name if p.required else f"[{p.human_readable_name}]")
        for p in cmd.params
        if isinstance(p, click.Argument)
    )
    lines = [f"### `{ctx.command_path}{' ' + args if args else ''}`", ""]
    lines += [" ".join((cmd.help or "").split()), ""]
    options = [p for p in cmd.params if isinstance(p, click.Option)]
    if options:
        lines += ["| option | default | meaning |", "|---|---|---|"]
        lines += [_option_row(p, ctx) for p in options]
        lines.append("")
    return lines


def commands_markdown(group: click.Group) -> str:
    """Every command of ``group`` (and of its sub-groups): usage, help, options table."""
    root = click.Context(group, info_name="corredor")
    lines: list[str] = [BEGIN, ""]
    for name in sorted(group.commands):
        cmd = group.commands[name]
        if isinstance(cmd, click.Group):
            sub_ctx = click.Context(cmd, info_name=name, parent=root)
            lines += [f"### `corredor {name} …`", "", " ".join((cmd.help or "").split()), ""]
            for sub in sorted(cmd.commands):
                lines += _command(sub, cmd.commands[sub], sub_ctx)
        else:
            lines += _command(name, cmd, root)
    lines.append(END)
    return "\n".join(lines)


def replace_generated(text: str, generated: str) -> str:
    """``text`` with the part between the markers replaced by ``generated``."""
    start, end = text.find(BEGIN), text.find(END)
    if start < 0 or end < start:
        raise ValueError(f"docs/usage.md has no {BEGIN!r} … {END!r} markers")
    return text[:start] + generated + text[end + len(END) :]
