"""Building blocks shared by the corridor schema: strict models, names, group selectors."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

#: An identifier: services, zones, origins, observables and calibration parameters are named
#: with one, so that a policy event can address ``services.comar_tapachula.capacity``.
Name = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")]
#: A nationality code (``GTM``, ``HND``, ``OTH``): capital letters and digits.
NationalityCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Z][A-Z0-9]*$")]
#: Non-empty text.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]

Demographic = Literal["single_adult", "family_unit_member", "unaccompanied_child", "accompanied_minor"]
DEMOGRAPHICS: tuple[Demographic, ...] = (
    "single_adult",
    "family_unit_member",
    "unaccompanied_child",
    "accompanied_minor",
)
#: A key that selects agent groups: ``default`` (everyone), a nationality code (``HND``), a
#: demographic (``family_unit_member``) or one group (``HND_family_unit_member``). The most
#: specific selector that matches a group applies.
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
