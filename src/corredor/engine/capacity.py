"""How many agents a machine can hold: the size checks that refuse a run before it starts.

A scenario that asks for more agents than memory holds (``base_daily_departures: 1e12``) would
otherwise run for hours and die with a MemoryError, or be killed. The loaders estimate the
agents a run creates and compare the memory they need with :func:`memory_limit`: the smaller of
the machine's physical memory and the container's limit (cgroup), or ``CORREDOR_MEMORY_MB``
when set (tests and shared machines use it to cap a run lower).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from corredor.errors import ScenarioError
from corredor.files.read import human_bytes, read_text

#: Agents are indexed with 32-bit integers in the kernels.
MAX_AGENTS = 2**31 - 1
#: The longest run: a century of days (daily arrays are held for every day of a run).
MAX_DAYS = 36_525


def check_days(days: int, what: str = "the run", *, field: str = "days") -> None:
    """Refuse a run longer than :data:`MAX_DAYS` before anything is sized by its days."""
    if days > MAX_DAYS:
        raise ScenarioError(
            None,
            f"{what} would last {days:,} days, more than the {MAX_DAYS:,} (a century) a run may",
            field=field,
            fix="shorten the run (--days, or the scenario's start and end)",
        )


#: Memory a run needs besides its agents and its daily arrays (Python, NumPy, numba, the loaded
#: scenario): a 2-day run of the full ``mexico-us`` scenario (53 locations, 40 groups) peaks at
#: 254 MiB.
BASE_BYTES = 256 * (1 << 20)
ENV_MEMORY = "CORREDOR_MEMORY_MB"


def _cgroup_limit() -> int | None:
    for path in ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"):
        try:
            text = read_text(path, limit=4096).strip()  # a kernel file, read as any other
        except ScenarioError:
            continue
        if text.isdigit() and int(text) < 1 << 60:
            return int(text)
    return None


def memory_limit() -> int:
    """Bytes a run may use: ``CORREDOR_MEMORY_MB`` if set, else the smaller of the physical
    memory and the container's limit."""
    text = os.environ.get(ENV_MEMORY, "").strip()
    if text:
        try:
            mb = float(text)
        except ValueError:
            mb = -1.0
        if not 0 < mb < 1 << 40:
            raise ScenarioError(
                None,
                f"the environment variable {ENV_MEMORY} is {text[:40]!r}",
                expected="a size in MiB, e.g. 8000",
                fix=f"set {ENV_MEMORY} to a number of MiB or unset it",
            )
        return int(mb * (1 << 20))
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - not POSIX
        physical = 16 << 30
    cgroup = _cgroup_limit()
    return min(physical, cgroup) if cgroup is not None else physical


@dataclass(frozen=True)
class MemoryNeed:
    """Agents a run creates, the bytes they need, and whether the machine holds them."""

    agents: float
    bytes: float
    limit: int

    @property
    def fits(self) -> bool:
        return self.agents <= MAX_AGENTS and self.bytes <= self.limit

    def describe(self) -> str:
        """Why the agents do not fit (empty when they do)."""
        if self.agents > MAX_AGENTS:
            return f"more than the {MAX_AGENTS:,} agents an engine can index"
        if self.bytes > self.limit:
            return (
                f"they need about {human_bytes(self.bytes)} of memory, more than the "
                f"{human_bytes(self.limit)} available"
            )
        return ""


def memory_need(agents: float, bytes_per_agent: float, other_bytes: float = 0.0) -> MemoryNeed:
    """What ``agents`` agents of ``bytes_per_agent`` bytes each need, plus the fixed part and
    ``other_bytes`` (a run's daily arrays)."""
    need = BASE_BYTES + other_bytes + agents * bytes_per_agent
    return MemoryNeed(agents, need, memory_limit())


def check_memory(agents: float, bytes_per_agent: float, what: str, *, fix: str) -> None:
    """Raise a ScenarioError when ``agents`` do not fit (``what`` names the run)."""
    need = memory_need(agents, bytes_per_agent)
    if not need.fits:
        message = f"{what}: the run would create about {agents:,.3g} agents: {need.describe()}"
        raise ScenarioError(None, message, fix=fix)
