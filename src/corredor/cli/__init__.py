"""The ``corredor`` command line: a thin face on :mod:`corredor.app`.

Each command's options are made from the fields of its request model
(:mod:`corredor.cli.options`), so an option has one name, one meaning and one help text across
the command line, the Python API and the web service; choices are shown in ``--help``.

Exit status: 0 on success; 2 on bad input (a malformed scenario, a bad or inapplicable option, an
unknown run), with one ``error: …`` line on stderr and no traceback; 1 on an internal error (a
bug), with a short message (the traceback with ``--debug`` or ``CORREDOR_DEBUG=1``); 130 when
interrupted. When the reader of the output stops first (``corredor runs | head``) the command
ends silently with 1, as click and rich end it when they are the ones writing.
"""

from __future__ import annotations

import errno
import os
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

import click

from corredor.errors import CorredorError, cap

__all__ = ["EXIT_BUG", "EXIT_INPUT", "EXIT_INTERRUPTED", "app", "main"]

EXIT_INPUT = 2
EXIT_BUG = 1
EXIT_INTERRUPTED = 130


#: The longest ``error:`` line printed (a last guard: messages cap their parts already, and
#: quote user data in short excerpts, ``corredor.errors.MAX_PART``).
MAX_ERROR_LINE = 1500


def _error_line(message: str) -> None:
    text = cap(" ".join(str(message).split()), MAX_ERROR_LINE)
    colour = sys.stderr.isatty()
    print(f"\x1b[31merror: {text}\x1b[0m" if colour else f"error: {text}", file=sys.stderr)


def _reader_gone() -> NoReturn:
    """The reader of the output stopped (``corredor runs | head``): end quietly with status 1,
    as click and rich do (``click.echo``, a rich table), without the output still buffered
    failing again at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no file descriptor behind sys.stdout
        pass
    sys.exit(1)


def _debug(ctx: click.Context | None) -> bool:
    if os.environ.get("CORREDOR_DEBUG", "").strip() not in ("", "0"):
        return True
    return bool(ctx is not None and isinstance(ctx.obj, dict) and ctx.obj.get("debug"))


def _request_error(exc: Exception) -> str | None:
    """The one-line message of a request's validation error (None for any other error)."""
    from pydantic import ValidationError

    from corredor.app import requests

    if not isinstance(exc, ValidationError):
        return None
    model = getattr(requests, exc.title, None)
    if not (isinstance(model, type) and issubclass(model, requests.Request)):
        return None
    return str(requests.request_error(exc, model))


#: Operating-system errors caused by the paths given or the machine, not by Corredor: a name
#: too long, a folder where a file should be (or the reverse), no permission, a full disk.
ENVIRONMENT_ERRNOS = frozenset(
    {
        errno.ENAMETOOLONG,
        errno.ELOOP,
        errno.EISDIR,
        errno.ENOTDIR,
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOSPC,
        errno.EDQUOT,
    }
)


def input_error(exc: BaseException) -> str | None:
    """The message of an error caused by the user's input or the machine (None: a bug)."""
    from corredor.engine.loop import AgentBudgetError
    from corredor.files.atomic import FolderExistsError

    if isinstance(exc, CorredorError | FolderExistsError):
        return str(exc)
    if isinstance(exc, AgentBudgetError):  # the limit the user set (--max-agents) was reached
        return (
            f"--max-agents: the run was {exc}. Fix: raise --max-agents, or make each agent "
            "stand for more people (--people-per-agent)"
        )
    if isinstance(exc, OSError) and exc.errno in ENVIRONMENT_ERRNOS:
        where = cap(str(exc.filename), 200) if exc.filename is not None else "a file"
        return (
            f"{where}: {exc.strerror or 'cannot be used'}. Fix: check the path (its length, its "
            "folders, their permissions) and the free space"
        )
    if isinstance(exc, Exception):
        return _request_error(exc)
    return None


class CorredorGroup(click.Group):
    """The ``corredor`` group: one ``error:`` line and exit status 2 for bad input, whether the
    error comes from parsing the options or from the work (module docstring)."""

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        try:
            rv = super().main(args, prog_name or "corredor", complete_var, False, **extra)
            sys.stdout.flush()  # what is still buffered, while a broken pipe can be told apart
        except BrokenPipeError:
            _reader_gone()
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:  # `corredor` alone: its help
            click.echo(exc.format_message())
            sys.exit(0)
        except click.ClickException as exc:  # bad options: no usage box, one line
            message = cap(exc.format_message())  # click quotes the value: keep it short
            if isinstance(exc, click.UsageError) and exc.ctx is not None:
                message += f" (see {exc.ctx.command_path} --help)"
            _error_line(message)
            sys.exit(EXIT_INPUT)
        except click.Abort:
            _error_line("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        if isinstance(rv, int) and rv:
            sys.exit(rv)
        return rv

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort):
            raise
        except BrokenPipeError:
            _reader_gone()
        except KeyboardInterrupt:
            _error_line("interrupted")
            sys.exit(EXIT_INTERRUPTED)
        except Exception as exc:
            if _debug(ctx):
                raise
            message = input_error(exc)
            if message is not None:
                _error_line(message)
                sys.exit(EXIT_INPUT)
            _error_line(f"internal error: {type(exc).__name__}: {exc}")
            print(
                "This is a bug in Corredor. Please report it with the command you ran; rerun "
                "with --debug (or CORREDOR_DEBUG=1) to see the traceback.",
                file=sys.stderr,
            )
            sys.exit(EXIT_BUG)


def _version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        from corredor import __version__

        click.echo(f"corredor {__version__}")
        ctx.exit()


@click.group(
    cls=CorredorGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option("--debug", is_flag=True, help="Show the traceback of internal errors.")
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_version,
    help="Print the version.",
)
@click.pass_context
def app(ctx: click.Context, debug: bool) -> None:
    """Corredor: simulate migration corridors and Flee scenarios; store, list, compare and
    report every run."""
    ctx.obj = {"debug": debug}


def main() -> None:
    """Entry point of the ``corredor`` command."""
    app.main(prog_name="corredor")


def _register() -> None:
    from corredor.cli import results, run, scenarios, serve, studies

    for module in (run, studies, results, scenarios, serve):
        for command in module.COMMANDS:
            app.add_command(command)


_register()
