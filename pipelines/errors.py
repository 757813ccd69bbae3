"""The one line a failed run ends with: what to fix, never an internal class name."""

from __future__ import annotations

import signal
from pathlib import Path

from dlt.common.configuration.exceptions import ConfigFieldMissingException, LookupTrace
from dlt.common.configuration.providers.toml import TomlProviderReadException

from pipelines import locking
from pipelines.duckdb_file import WarehouseError
from sources.common import redact


class RunError(Exception):
    """A run that cannot go on; its message is the one line the user sees."""


def causes(error: BaseException) -> list[BaseException]:
    """`error` and what it wraps, outermost first (dlt's step errors keep theirs in
    `exception`)."""
    chain = [error]
    while True:
        inner = getattr(chain[-1], "exception", None) or chain[-1].__cause__
        if not isinstance(inner, BaseException) or any(inner is seen for seen in chain):
            return chain
        chain.append(inner)


def interruption(error: BaseException) -> int | None:
    """The signal that stopped the run (Ctrl-C is SIGINT), wherever dlt wrapped it: the
    KeyboardInterrupt itself, or dlt's SignalReceivedException from normalize and load."""
    for cause in causes(error):
        if isinstance(cause, KeyboardInterrupt):
            return int(getattr(cause, "signal_code", signal.SIGINT))
    return None


def one_line(error: BaseException) -> str:
    """What to fix, scrubbed: a warehouse in use says who uses it, a missing setting its key,
    a broken TOML file its line and column, anything else its innermost cause's first line."""
    chain = causes(error)
    for cause in chain:
        if isinstance(cause, (locking.WarehouseBusyError, RunError, WarehouseError)):
            return redact.redact_text(str(cause))
        busy = locking.conflict(cause)
        if busy:
            return busy
        if isinstance(cause, TomlProviderReadException):
            return config_file_error(cause)
        if isinstance(cause, ConfigFieldMissingException):
            return missing_config(cause)
    text = str(chain[-1]).strip()
    if not text:
        return f"unexpected {type(chain[-1]).__name__}; run with --log-level DEBUG for details"
    return redact.redact_text(text.splitlines()[0])


def config_file_error(error: TomlProviderReadException) -> str:
    """dlt names the TOML file it could not read but not where in it: the file, line and
    column, and what is wrong there (the parser says so without quoting the value)."""
    cause = error.__cause__ or error.__context__
    where = next((p for p in error.full_paths if Path(p).is_file()), error.file_name)
    line, column = getattr(cause, "line", None), getattr(cause, "col", None)
    what = str(cause).rsplit(" at line ", 1)[0] if cause else "not valid TOML"
    place = f", line {line}, column {column}" if line else ""
    return f"{where}{place}: {what}"


def missing_config(error: ConfigFieldMissingException) -> str:
    """The settings dlt could not find, each by its key in the source's section (the shortest
    place dlt looked), and where a user sets it."""
    keys = []
    for field, traces in error.traces.items():
        places = [list(t.sections) for t in traces if isinstance(t, LookupTrace)]
        source = [where for where in places if len(where) == 2 and where[0] == "sources"]
        keys.append(".".join([*(source or places or [[]])[0], field]))
    envs = ", ".join("__".join(key.upper().split(".")) for key in keys)
    it, variable = (
        ("them", "environment variables") if len(keys) > 1 else ("it", "environment variable")
    )
    return (
        f"missing {', '.join(keys)}: set {it} in .dlt/secrets.toml (or .dlt/config.toml) or "
        f"as the {variable} {envs}"
    )
