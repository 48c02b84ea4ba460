"""Built-in studies, the YAML files in ``corredor/data/corridor/<scenario>/studies/``.

A built-in study is named by its file's stem (``containment-2019``); ``corredor study --list``
lists them. Scenario-specific content lives in those data folders only.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from corredor.errors import ScenarioError

__all__ = ["builtin_studies", "resolve_study"]


def _corridor_root() -> Path:
    return Path(str(resources.files("corredor") / "data" / "corridor"))


def builtin_studies() -> dict[str, Path]:
    """Built-in study name → its file, sorted by name."""
    found: dict[str, Path] = {}
    root = _corridor_root()
    if root.is_dir():
        for folder in sorted(root.iterdir()):
            studies = folder / "studies"
            if studies.is_dir():
                for f in sorted(studies.glob("*.yaml")):
                    found.setdefault(f.stem, f)
    return dict(sorted(found.items()))


def resolve_study(study: str | Path) -> Path:
    """A study file from a path or a built-in name (a ScenarioError naming both otherwise)."""
    path = Path(study)
    if path.is_file():
        return path
    builtin = builtin_studies()
    if str(study) in builtin:
        return builtin[str(study)]
    if path.exists():
        raise ScenarioError(path, "is not a file", fix="give a study YAML file")
    names = ", ".join(builtin) or "none"
    raise ScenarioError(
        str(study),
        "no such study file or built-in study",
        fix=f"give the path of a study YAML file or one of: {names} (corredor study --list)",
    )
