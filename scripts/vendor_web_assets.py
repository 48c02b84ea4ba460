#!/usr/bin/env python3
"""Vendor the web app's JavaScript libraries from npm into src/corredor/web/static/vendor/.

The manifest ``vendor.json`` there names each package, its version, the files copied from its
npm tarball (with their SHA-256) and its licence file. Users never run this: the files are
committed, so the app works offline with no build step.

    python scripts/vendor_web_assets.py --check    # the committed files match the manifest
    python scripts/vendor_web_assets.py --update   # npm pack each package, copy, rewrite hashes
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[1] / "src/corredor/web/static/vendor"
MANIFEST = VENDOR / "vendor.json"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check() -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    bad = 0
    for pkg in manifest["packages"]:
        for f in pkg["files"]:
            path = VENDOR / f["to"]
            if not path.is_file() or sha256(path) != f["sha256"]:
                print(f"{path}: missing or changed ({pkg['name']}@{pkg['version']})")
                bad += 1
    print("vendored files: " + ("OK" if not bad else f"{bad} bad"))
    return 1 if bad else 0


def update() -> int:
    manifest = json.loads(MANIFEST.read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        for pkg in manifest["packages"]:
            spec = f"{pkg['name']}@{pkg['version']}"
            out = subprocess.run(
                ["npm", "pack", spec, "--silent"], cwd=tmp, capture_output=True, text=True,
                check=True,
            ).stdout.strip().splitlines()[-1]  # fmt: skip
            dest = Path(tmp) / spec.replace("/", "_")
            with tarfile.open(Path(tmp) / out) as tar:
                tar.extractall(dest, filter="data")
            for f in pkg["files"]:
                target = VENDOR / f["to"]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(dest / "package" / f["from"], target)
                f["sha256"] = sha256(target)
                print(f"{spec}: {f['from']} -> {target.relative_to(VENDOR)}")
    MANIFEST.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    g = ap.add_mutually_exclusive_group(required=True)
    g.add_argument("--check", action="store_true")
    g.add_argument("--update", action="store_true")
    args = ap.parse_args()
    return check() if args.check else update()


if __name__ == "__main__":
    sys.exit(main())
