"""The options every command that reads CRM files shares: how to read the files
(``--map COLUMN=FIELD``, ``--date-format``) and which period to look at (``--period``, or
``--from`` and ``--to``).

A command adds them with :func:`add_reader_options` and :func:`add_period_options`,
then reads its files with :func:`read_crm` (or passes :func:`reader_kwargs` to a
reader) and gets its period from :func:`period_of`. Bad values raise
:class:`~sim.presentation.commands.support.UsageError`; a bad file raises
:class:`~sim.crm.reader.CrmFileError`; ``funnel`` reports either as ``error: ...`` with
exit status 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re

from sim.crm.fields import fields_of, header_key
from sim.presentation.commands.support import UsageError

_FIELD = re.compile(r"[a-z_]+")


def map_arg(text: str) -> tuple[str, str]:
    """``--map COLUMN=FIELD``: a column of the file and the field it holds (the last
    ``=`` separates them, so a column name may contain one)."""
    column, eq, field = text.rpartition("=")
    field = field.strip()
    if not eq or not column.strip() or not _FIELD.fullmatch(field):
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: write COLUMN=FIELD, e.g. 'Deal Value=amount'")
    return column, field


def date_format_arg(text: str) -> str:
    """``--date-format``: a ``strptime`` pattern, with at least one ``%`` directive."""
    if "%" not in text:
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: give a strptime pattern such as %m/%d/%Y or "
            "%d.%m.%Y %H:%M")
    return text


def day_arg(text: str) -> dt.date:
    """``--from``/``--to``: an ISO date."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"value {text!r} is not allowed: give a date as YYYY-MM-DD") from None


def period_arg(text: str) -> str:
    """``--period``: a quarter, month or year (checked by
    :func:`sim.rules.calendar.period_bounds`)."""
    from sim.rules.calendar import period_bounds

    try:
        period_bounds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_reader_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--map COLUMN=FIELD`` (repeatable) and ``--date-format FORMAT``."""
    parser.add_argument(
        "--map", action="append", type=map_arg, default=[], metavar="COLUMN=FIELD",
        help="read the file's COLUMN as FIELD (repeatable), for headers the Salesforce, "
             "HubSpot and Odoo aliases do not cover, e.g. --map 'Deal Value=amount'")
    parser.add_argument(
        "--date-format", type=date_format_arg, metavar="FORMAT",
        help="the files' date form when not ISO (YYYY-MM-DD), as a strptime pattern, "
             "e.g. %%m/%%d/%%Y")


def add_period_options(parser: argparse.ArgumentParser) -> None:
    """Add ``--period P`` (2027-Q1, 2027-03, 2027) and ``--from DATE --to DATE``
    (both days included); the two forms exclude each other."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--period", type=period_arg, metavar="PERIOD",
                       help="a quarter (2027-Q1), a month (2027-03) or a year (2027)")
    group.add_argument("--from", dest="from_day", type=day_arg, metavar="DATE",
                       help="the period's first day (YYYY-MM-DD), with --to")
    parser.add_argument("--to", dest="to_day", type=day_arg, metavar="DATE",
                        help="the period's last day (YYYY-MM-DD, included), with --from")


def reader_kwargs(args) -> dict:
    """The keyword arguments of :func:`~sim.crm.reader.read_opportunities` and
    :func:`~sim.crm.reader.read_history` that the options give: ``mapping`` and
    ``date_format``. For two files read with one ``--map``, use :func:`read_crm`."""
    return {"mapping": dict(getattr(args, "map", None) or []) or None,
            "date_format": getattr(args, "date_format", None)}


def read_crm(args, opportunities, history=None):
    """Read an opportunity file and, if given, a history file, with the options'
    ``--map`` and ``--date-format``.

    One ``--map`` serves both files: each entry goes to the file whose kind has the
    field and whose header has the column; an entry no file can take is an error that
    names the column, the field and the files' headers.

    Returns
    -------
    tuple
        ``(opportunities, history)``, DataFrames (history None when not given).

    Raises
    ------
    UsageError
        For a ``--map`` entry that no file can take.
    CrmFileError
        For a file that cannot be read.
    """
    from sim.crm.reader import read_history, read_opportunities

    kw = reader_kwargs(args)
    mapping = kw["mapping"] or {}
    files = {"opportunities": opportunities}
    if history is not None:
        files["history"] = history
    for column, field in mapping.items():
        if not any(field in fields_of(kind) for kind in files):
            known = sorted({f for kind in files for f in fields_of(kind)})
            raise UsageError(f"--map: value '{column}={field}' is not allowed: unknown "
                             f"field {field!r}; the fields are {', '.join(known)}")
    read = {"opportunities": read_opportunities, "history": read_history}
    got = {}
    for kind, path in files.items():
        own = {c: f for c, f in mapping.items() if f in fields_of(kind)}
        got[kind] = read[kind](path, mapping=own or None, date_format=kw["date_format"],
                               skip_absent=len(files) > 1)
    used = {(c, f) for kind in got for f, c in got[kind].attrs["columns"].items()}
    for column, field in mapping.items():
        if not any((h, field) in used for h in _same_header(column, got)):
            headers = "; ".join(f"{files[k]}: {', '.join(got[k].attrs['headers'])}"
                                for k in got)
            raise UsageError(f"--map: value '{column}={field}' is not allowed: column "
                             f"{column!r} is not in the files ({headers})")
    return got["opportunities"], got.get("history")


def _same_header(column: str, frames: dict) -> list[str]:
    """The headers of the frames that ``column`` names (exactly, or up to case and
    spacing)."""

    return [h for df in frames.values() for h in df.attrs["headers"]
            if h == column or header_key(h) == header_key(column)]


def period_of(args, default_from=None):
    """The period the options name, as ``(start, end)`` timestamps, ``end`` excluded.

    ``--period`` names a calendar period; ``--from`` and ``--to`` a span of days, both
    included. With neither, the calendar quarter holding ``default_from`` (a date or
    timestamp) when given.

    Raises
    ------
    UsageError
        For ``--from`` without ``--to`` (or the reverse), ``--to`` before ``--from``,
        or no period at all when there is no ``default_from``.
    """
    import pandas as pd

    from sim.rules.calendar import period_bounds

    period = getattr(args, "period", None)
    first, last = getattr(args, "from_day", None), getattr(args, "to_day", None)
    if period is not None:
        if last is not None:
            raise UsageError("--to: not allowed with --period: give --period, or --from "
                             "and --to")
        return period_bounds(period)
    if (first is None) != (last is None):
        given, needed = ("--from", "--to") if last is None else ("--to", "--from")
        raise UsageError(f"{given}: needs {needed} too (both days are included)")
    if first is not None:
        if last < first:
            raise UsageError(f"--to: value '{last}' is not allowed: it is before --from "
                             f"{first}")
        return pd.Timestamp(first), (pd.Period(last, freq="D") + 1).start_time
    if default_from is None:
        raise UsageError("--period: give a period (--period 2027-Q1, 2027-03 or 2027), or "
                         "--from DATE --to DATE")
    stamp = pd.Timestamp(default_from)
    return period_bounds(f"{stamp.year}-Q{stamp.quarter}")
