"""``docs/usage.md`` is the real command line: its generated part is up to date, and it names
every command."""

from __future__ import annotations

from pathlib import Path

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
