"""The ``corredor`` command line: a thin face on :mod:`corredor.app`.

Each command's options are made from the fields of its request model
(:mod:`corredor.cli.options`), so an option has one name, one meaning and one help text across
the command line, the Python API and the web service; choices are shown in ``--help``.

Exit status: 0 on success; 2 on bad input (a malformed scenario, a bad or inapplicable option, an
unknown run), with one ``error: …`` line on stderr and no traceback; 1 on an internal error (a
bug), with a short message (the traceback with ``--debug`` or ``CORREDOR_DEBUG=1``); 130 when
interrupted.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import Any

import click

from corredor.errors import CorredorError

__all__ = ["EXIT_BUG", "EXIT_INPUT", "EXIT_INTERRUPTED", "app", "main"]

EXIT_INPUT = 2
EXIT_BUG = 1
EXIT_INTERRUPTED = 130


def _error_line(message: str) -> None:
    text = " ".join(str(message).split())
    colour = sys.stderr.isatty()
    print(f"\x1b[31merror: {text}\x1b[0m" if colour else f"error: {text}", file=sys.stderr)


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


def input_error(exc: BaseException) -> str | None:
    """The message of an error caused by the user's input (None: a bug)."""
    from corredor.files.atomic import FolderExistsError

    if isinstance(exc, CorredorError | FolderExistsError):
        return str(exc)
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
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.exceptions.NoArgsIsHelpError as exc:  # `corredor` alone: its help
            click.echo(exc.format_message())
            sys.exit(0)
        except click.ClickException as exc:  # bad options: no usage box, one line
            message = exc.format_message()
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
