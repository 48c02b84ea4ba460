"""The progress bar of the ``corredor`` commands (``--no-progress`` turns it off).

One bar layout for every long command: ``description ━━━━ done/total unit elapsed remaining``,
on stderr, gone when the command ends or fails (the command's own output follows). ``rich`` is
imported only when a bar is shown.

Example::

    with progress_bar(show, "trials", description="calibrating", total=40) as bar:
        fit(progress=None if bar is None else lambda done: bar.update(completed=done))
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

if TYPE_CHECKING:
    from rich.progress import TaskID


@dataclass(frozen=True)
class Bar:
    """One shown bar; :meth:`update` moves it."""

    progress: Progress
    task: TaskID

    def update(
        self,
        *,
        completed: float | None = None,
        total: float | None = None,
        description: str | None = None,
    ) -> None:
        """Set what is done, the total (None: unchanged) and the text left of the bar."""
        self.progress.update(self.task, completed=completed, total=total, description=description)


@contextmanager
def progress_bar(
    show: bool,
    unit: str | None = None,
    *,
    description: str = "starting",
    total: float | None = None,
    times: bool = True,
    console: Console | None = None,
) -> Iterator[Bar | None]:
    """A transient bar on stderr, or None when ``show`` is false (``--no-progress``).

    Args:
        show: False yields None and draws nothing.
        unit: what is counted, printed after ``done/total`` (e.g. ``"trials"``); None: nothing.
        description: the text left of the bar until :meth:`Bar.update` changes it.
        total: the count when known now (None: an indeterminate bar until it is set).
        times: also show the elapsed and remaining time.
        console: where to draw (default: a new stderr console).
    """
    if not show:
        yield None
        return

    columns: list[ProgressColumn] = [TextColumn("{task.description}"), BarColumn()]
    columns.append(MofNCompleteColumn())
    if unit is not None:
        columns.append(TextColumn(unit))
    if times:
        columns += [TimeElapsedColumn(), TimeRemainingColumn()]
    with Progress(
        *columns,
        console=console or Console(stderr=True, highlight=False, soft_wrap=True),
        transient=True,  # gone when the command ends or fails; its output follows
    ) as progress:
        yield Bar(progress, progress.add_task(description, total=total))


__all__ = ["Bar", "progress_bar"]
