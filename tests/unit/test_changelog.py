"""CHANGELOG.md keeps one "Unreleased" section at the top (Keep a Changelog): a change adds a
``### `` subsection or bullets to it, never a second ``## Unreleased — …`` section."""

from __future__ import annotations

from pathlib import Path

CHANGELOG = Path(__file__).resolve().parents[2] / "CHANGELOG.md"


def test_one_unreleased_section_at_the_top() -> None:
    lines = CHANGELOG.read_text(encoding="utf-8").splitlines()
    sections = [ln for ln in lines if ln.startswith("## ")]
    assert sections, "CHANGELOG.md has no '## ' section"
    assert sections[0] == "## Unreleased", sections[0]
    unreleased = [ln for ln in sections if "unreleased" in ln.lower()]
    assert unreleased == ["## Unreleased"], (
        "one '## Unreleased' section: write a change as a '### ' subsection inside it",
        unreleased,
    )
    start = lines.index("## Unreleased")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    subsections = [ln for ln in lines[start + 1 : end] if ln.startswith("### ")]
    assert subsections, "the Unreleased section has no '### ' subsection"
