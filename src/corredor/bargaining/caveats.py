"""The caveats of docs/bargaining.md in one place, printed next to the threat game's numbers.

Every report that shows the game's results (the bargaining section of a coupled run's report,
the room-for-manoeuvre study's report and summaries) prints these next to the numbers. Each
caveat names the section of docs/bargaining.md it comes from and a phrase of that section
(``doc_phrase``), so a test checks that the list and the document agree: a limitation added to
§9 of the document without a caveat here fails it.

The caveats are generic (a hegemon, a transit state, a simulation); a study adds what is
specific to its scenario in its own ``caveats:``.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CAVEATS", "Caveat", "caveat_texts"]


@dataclass(frozen=True)
class Caveat:
    """One limit of the game's results, in English and Spanish."""

    key: str
    section: str  # of docs/bargaining.md
    doc_phrase: str  # a phrase of that section (checked by the tests)
    en: str
    es: str


CAVEATS: tuple[Caveat, ...] = (
    Caveat(
        key="actors",
        section="§9",
        doc_phrase="One transit state; origin states are not actors",
        en=(
            "One transit state and one hegemon: origin states are not actors, the transit state "
            "makes no threats of its own and does not bargain over the demand, and the "
            "hegemon's demand and threat are fixed, not chosen."
        ),
        es=(
            "Un solo país de tránsito frente a una potencia: los países de origen no son "
            "actores, el país de tránsito no amenaza ni negocia la exigencia, y la exigencia y "
            "la amenaza de la potencia están fijadas, no se eligen."
        ),
    ),
    Caveat(
        key="credibility",
        section="§9",
        doc_phrase="Credibility is a fixed prior",
        en=(
            "Credibility is a fixed belief: neither state learns about the other from one "
            "review to the next, and what the sanction would cost the hegemon itself is not "
            "modelled."
        ),
        es=(
            "La credibilidad de la amenaza es una creencia fija: ningún país aprende del otro "
            "entre revisiones, y no se modela lo que la sanción le costaría a la propia potencia."
        ),
    ),
    Caveat(
        key="reduced-form",
        section="§9",
        doc_phrase="The reduced form is a one-period flow model",
        en=(
            "The game's response to the transit state's levers is the reduced form's: a "
            "one-period flow model with no phase-in and no stock of stranded people. On the "
            "simulation it supplies only that response; the simulation supplies the levels and "
            "what the chosen policy actually does, and the two can disagree."
        ),
        es=(
            "La respuesta del juego a las políticas es una forma reducida (flujos de un periodo, "
            "sin efecto gradual ni acumulación de personas varadas); la simulación da los "
            "niveles y lo que la política elegida hace de verdad, y ambas pueden no coincidir."
        ),
    ),
    Caveat(
        key="grid",
        section="§9",
        doc_phrase="The feasible space is computed on the grid",
        en=(
            "The feasible space is counted on a grid of policies: its share is a share of the "
            "grid's points, not of every possible policy."
        ),
        es=(
            "El espacio factible se cuenta sobre una rejilla de políticas: su proporción es la "
            "de los puntos de la rejilla, no la de todas las políticas posibles."
        ),
    ),
    Caveat(
        key="hand-set",
        section="§6",
        doc_phrase="they show the mechanism",
        en=(
            "The transit state's preferences (the weights of people stranded, of the asylum "
            "backlog and of deportations without screening, its audience costs, its budget), "
            "its sanction tolerance and the hegemon's observation noise are hand-set (docs/"
            "bargaining.md §7): they decide where the transit state moves from defiance to "
            "compliance, so the dependence at which its room closes shows the mechanism and "
            "its direction, not a measurement."
        ),
        es=(
            "Las preferencias del país de tránsito (cuánto pesan las personas varadas, el "
            "rezago de asilo y las deportaciones sin evaluación, la opinión pública, su "
            "presupuesto), su tolerancia a la sanción y el ruido con que la potencia observa "
            "están fijados a mano: deciden dónde pasa de desafiar a ceder, así que el nivel de "
            "dependencia en que se cierra su margen muestra el mecanismo, no una medición."
        ),
    ),
    Caveat(
        key="anchor",
        section="§10.1",
        doc_phrase="At p = p0 the outcomes are the simulated ones (a persistence forecast)",
        en=(
            "The game is anchored to the simulated state on the review day with a persistence "
            "forecast: the simulated flows of the window before the review stand for the coming "
            "period (no trends, no seasons), and the hegemon's demand is relative to the "
            "arrivals it saw in the simulation, whose level comes from the model's own "
            "parameters."
        ),
        es=(
            "El juego parte del estado simulado el día de la revisión y supone que los flujos "
            "de los días anteriores se mantienen (sin tendencias ni estaciones); la exigencia "
            "de la potencia es relativa a las llegadas simuladas, cuyo nivel depende de los "
            "parámetros del modelo."
        ),
    ),
    Caveat(
        key="no-stc",
        section="§10.1",
        doc_phrase="Where the scenario has no safe-third-country mechanism",
        en=(
            "Where the scenario has no safe-third-country mechanism, signing such an agreement "
            "satisfies a demand and costs audience in the game, and changes nothing in the "
            "simulation."
        ),
        es=(
            "Si el escenario no tiene un mecanismo de tercer país seguro, firmar ese acuerdo "
            "satisface una exigencia y cuesta apoyo interno en el juego, pero no cambia nada en "
            "la simulación."
        ),
    ),
)


#: the ``no-stc`` caveat said of a scenario known to have no safe-third-country mechanism
_NO_STC_KNOWN = (
    "The scenario has no safe-third-country mechanism: signing such an agreement satisfies a "
    "demand and costs audience in the game, and changes nothing in the simulation.",
    "El escenario no tiene un mecanismo de tercer país seguro: firmar ese acuerdo satisface "
    "una exigencia y cuesta apoyo interno en el juego, pero no cambia nada en la simulación.",
)


def caveat_texts(lang: str = "en", *, stc_mechanism: bool | None = None) -> list[str]:
    """The caveats' texts in English (``en``) or Spanish (``es``). ``stc_mechanism``: whether
    the scenario the numbers come from has a safe-third-country mechanism, if known — the
    ``no-stc`` caveat is then said of that scenario (``False``) or left out (``True``: it does
    not apply), rather than as a condition (``None``)."""
    out = []
    for c in CAVEATS:
        if c.key == "no-stc" and stc_mechanism is not None:
            if not stc_mechanism:
                out.append(_NO_STC_KNOWN[1] if lang == "es" else _NO_STC_KNOWN[0])
            continue
        out.append(c.es if lang == "es" else c.en)
    return out
