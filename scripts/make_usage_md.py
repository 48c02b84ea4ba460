"""Regenerate the command reference in docs/usage.md from the real command line.

    python scripts/make_usage_md.py          # rewrite docs/usage.md
    python scripts/make_usage_md.py --check  # exit 1 if it is stale

The part between the markers of ``corredor.cli.docs`` is generated; the rest is written by hand.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from corredor.cli import app
from corredor.cli.docs import commands_markdown, replace_generated

USAGE = Path(__file__).resolve().parents[1] / "docs" / "usage.md"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if docs/usage.md is stale")
    args = parser.parse_args()
    text = USAGE.read_text(encoding="utf-8")
    new = replace_generated(text, commands_markdown(app))
    if args.check:
        if new != text:
            print(f"{USAGE} is stale: run python scripts/make_usage_md.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        from corredor.files.atomic import write_text

        write_text(USAGE, new)
        print(f"rewrote {USAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
