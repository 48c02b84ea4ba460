"""Building blocks shared by the corridor schema: strict models, names, group selectors."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

#: An identifier: services, zones, origins, observables and calibration parameters are named
#: with one, so that a policy event can address ``services.comar_tapachula.capacity``.
Name = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
#: A nationality code (``GTM``, ``HND``, ``OTH``): capital letters and digits.
NationalityCode = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z][A-Z0-9]*$")
]
#: A scenario name: it becomes part of output paths (``runs/<name>-seed0/``), so it is one safe
#: path component: a letter or digit first, then letters, digits, ``_``, ``-`` and ``.``, at most
#: 64 characters (no ``/``, no ``..``, no absolute path, no spaces).
SCENARIO_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
ScenarioName = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=SCENARIO_NAME_PATTERN)
]
#: Non-empty text.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

Demographic = Literal[
    "single_adult", "family_unit_member", "unaccompanied_child", "accompanied_minor"
]
DEMOGRAPHICS: tuple[Demographic, ...] = (
    "single_adult",
    "family_unit_member",
    "unaccompanied_child",
    "accompanied_minor",
)
#: A key that selects agent groups: ``default`` (everyone), a nationality code (``HND``), a
#: demographic (``family_unit_member``) or one group (``HND_family_unit_member``). The most
#: specific selector that matches a group applies: group, then nationality, then demographic,
#: then ``default`` (:func:`best_selector`).
Selector = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_]+$")]
DEFAULT_SELECTOR = "default"


class Strict(BaseModel):
    """Frozen, and unknown keys are errors (a misspelt key must not be silently ignored)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def selector_targets(
    selector: str, nationalities: tuple[str, ...], demographics: tuple[str, ...]
) -> list[tuple[str, str]] | None:
    """The (nationality, demographic) groups a selector matches; ``None`` if it is unknown."""
    if selector == DEFAULT_SELECTOR:
        return [(n, d) for n in nationalities for d in demographics]
    if selector in nationalities:
        return [(selector, d) for d in demographics]
    if selector in demographics:
        return [(n, selector) for n in nationalities]
    head, _, tail = selector.partition("_")
    if head in nationalities and tail in demographics:
        return [(head, tail)]
    return None


def selector_rank(
    selector: str, nationalities: tuple[str, ...], demographics: tuple[str, ...]
) -> int | None:
    """3 for a group, 2 a nationality, 1 a demographic, 0 ``default``; ``None`` if unknown."""
    targets = selector_targets(selector, nationalities, demographics)
    if targets is None:
        return None
    if selector == DEFAULT_SELECTOR:
        return 0
    if selector in demographics:
        return 1
    return 2 if selector in nationalities else 3


def best_selector(
    selectors: Iterable[str],
    nationality: str,
    demographic: str,
    nationalities: tuple[str, ...],
    demographics: tuple[str, ...],
) -> str | None:
    """The most specific of ``selectors`` that applies to the group (``None``: none applies)."""
    best: tuple[int, str] | None = None
    for sel in selectors:
        targets = selector_targets(sel, nationalities, demographics) or []
        rank = selector_rank(sel, nationalities, demographics)
        applies = (nationality, demographic) in targets and rank is not None
        if applies and rank is not None and (best is None or rank > best[0]):
            best = (rank, sel)
    return None if best is None else best[1]
