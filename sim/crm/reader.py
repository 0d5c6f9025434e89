"""Reading CRM files: an opportunity export (one row per deal) and an opportunity history
(one row per change), from the sandbox, Salesforce, HubSpot, Odoo, or any CSV with a
``mapping`` of its headers.

What a reader accepts (everything else is a problem, reported with its line, column,
value and rule, every problem at once up to :data:`MAX_PROBLEMS`):

- **the file**: a regular file of at most :data:`MAX_FILE_BYTES`, UTF-8 (a byte-order mark
  is fine), CSV with a header row; comma-separated, or semicolon- or tab-separated when
  the header line has more of those than commas. Blank lines are skipped.
- **headers**: the canonical names (:mod:`sim.crm.fields`) or a CRM's own, matched without
  regard to case or spacing; ``mapping`` (``{column: field}``, the command line's
  ``--map column=field``) names any other. Columns no field claims are ignored.
- **amounts**: ``1234.5``, ``1,234.50`` (commas group thousands by three), with a currency
  sign (``$ € £ ¥``) before the number and/or a three-letter code (``USD``) before or
  after it: ``$12,500.00``, ``EUR 1,234``, ``1234.50 USD``. A decimal comma
  (``1 234,50``, ``1.234,50``) is refused: its reading is ambiguous (``1,234`` is a
  thousand and more in one convention, about one in the other). An amount is 0 or more.
- **probabilities**: ``0.4`` or ``40%``; under a header with ``%`` in it (Salesforce's
  ``Probability (%)``) every number is a percent; in another column a number above 1
  makes the whole column percents from 0 to 100 (Salesforce's and Odoo's ``Probability``
  export ``40``). Blank is unknown (NaN).
- **dates**: ISO 8601, ``2027-03-31``, with an optional time (``2027-03-31T14:05:00``,
  ``2027-03-31 14:05``) and offset (``Z``, ``+0100``, converted to UTC); any other form
  needs ``date_format`` (a :func:`~datetime.datetime.strptime` pattern such as
  ``%m/%d/%Y``), since ``03/04/2027`` is March in one country and April in another.
- **status**: ``tracking`` (or ``open``), ``won``, ``lost`` (or ``Closed Won``, ``Closed
  Lost``). Without a status column it is derived: from Salesforce's ``IsWon``/``IsClosed``
  (HubSpot's ``Is Closed Won``/``Is Deal Closed?``) when present, else from the stage
  (``Closed Won``, ``closedwon``, Odoo's ``Won`` ...), and an Odoo deal no longer
  ``Active`` is lost.
- **forecast categories**: see :func:`sim.crm.fields.forecast_category_of`.

Deal ids must be unique in an opportunity file. An open deal needs an expected close.
"""

from __future__ import annotations

import csv
import io
import os
import re
import stat

import numpy as np
import pandas as pd

from sim.crm.fields import (
    CATEGORIES,
    HISTORY_FIELDS,
    OPPORTUNITY_FIELDS,
    REQUIRED,
    aliases,
    fields_of,
    flag_of,
    forecast_category_of,
    header_key,
    match_headers,
    status_of,
    status_of_stage,
)
from sim.scenario.errors import ScenarioError

MAX_FILE_BYTES = 200_000_000
"""Largest CRM file read (200 MB): about a million deals or history rows."""

MAX_PROBLEMS = 20
"""Problems listed one by one; more are counted (``... and N more``)."""


class CrmFileError(ScenarioError):
    """A CRM file that cannot be read: every problem found, each ``line L, column C:
    value 'V': rule`` (or a sentence about the whole file).

    It is a :class:`~sim.scenario.errors.ScenarioError`, so ``funnel`` reports it as
    ``error: FILE: problem`` with exit status 2.

    Parameters
    ----------
    source : str
        The file.
    problems : list of str
        One sentence per problem, capped at :data:`MAX_PROBLEMS` (the rest counted).
    """

    def __init__(self, source: str, problems: list[str]):
        if len(problems) > MAX_PROBLEMS:
            more = len(problems) - MAX_PROBLEMS
            problems = [*problems[:MAX_PROBLEMS], f"... and {more} more problem"
                        + ("s" if more > 1 else "")]
        super().__init__(source, problems)


# -- the file ------------------------------------------------------------------------------
_OS_REASONS = ((FileNotFoundError, "file not found"),
               (PermissionError, "cannot be read (permission denied)"))


def _file_bytes(path: str, source: str) -> bytes:
    """The bytes of a regular file of at most MAX_FILE_BYTES; opened without blocking
    and its type checked first, so a pipe or a device is refused rather than read."""
    def refuse(info: os.stat_result) -> None:
        if stat.S_ISDIR(info.st_mode):
            raise CrmFileError(source, ["is a directory, not a CSV file"])
        if not stat.S_ISREG(info.st_mode):
            raise CrmFileError(source, ["is not a regular file (a pipe, a device or a "
                                        "socket): only regular files are read"])
        if info.st_size > MAX_FILE_BYTES:
            raise CrmFileError(source, [f"is too large ({info.st_size:,} bytes; the limit "
                                        f"is {MAX_FILE_BYTES:,} bytes)"])

    try:
        refuse(os.stat(path))
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(fd, "rb") as fh:
            refuse(os.fstat(fh.fileno()))
            data = fh.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        why = next((w for kind, w in _OS_REASONS if isinstance(exc, kind)),
                   f"cannot be read ({exc.strerror or exc})")
        raise CrmFileError(source, [why]) from None
    if len(data) > MAX_FILE_BYTES:
        raise CrmFileError(source, [f"is too large (more than {MAX_FILE_BYTES:,} bytes)"])
    return data


def _text(path, source: str) -> str:
    data = _file_bytes(os.fspath(path), source)
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise CrmFileError(source, [f"is not UTF-8 text ({exc.reason} at line {line}): "
                                    "export or save it as CSV UTF-8"]) from None
    if not text.strip():
        raise CrmFileError(source, ["is empty: a CSV file with a header row is expected"])
    return text


def _rows(text: str, source: str) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the data rows and the line each row starts on."""
    first = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header: list[str] | None = None
    rows, lines, problems = [], [], []
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if not any(row) or not "".join(row).strip():  # a blank line
                continue
            if header is None:
                header = [h.strip() for h in row]
                continue
            if len(row) != len(header):
                problems.append(f"line {start}: {len(row)} values where the header has "
                                f"{len(header)} columns")
                continue
            rows.append(row)
            lines.append(start)
    except csv.Error as exc:
        raise CrmFileError(source, [*problems, f"line {reader.line_num}: not valid CSV "
                                               f"({exc})"]) from None
    if header is None:
        raise CrmFileError(source, ["is empty: a CSV file with a header row is expected"])
    if problems:
        raise CrmFileError(source, problems)
    return header, rows, lines


def _columns(header: list[str], kind: str, mapping: dict[str, str] | None, source: str,
             skip_absent: bool) -> dict[str, int]:
    """Which column each field is read from: the alias table, overridden by
    ``mapping``."""
    known = fields_of(kind)
    problems = []
    chosen: dict[str, int] = {}
    for column, field in (mapping or {}).items():
        if field not in known:
            problems.append(f"--map {column}={field}: unknown field {field!r}; the fields "
                            f"of {kind} files are {', '.join(known)}")
            continue
        exact = [i for i, h in enumerate(header) if h == column.strip()]
        loose = [i for i, h in enumerate(header) if header_key(h) == header_key(column)]
        where = exact or loose
        if not where:
            if not skip_absent:
                problems.append(f"--map {column}={field}: column {column!r} is not in the "
                                f"file; its columns are {_listing(header)}")
            continue
        chosen[field] = where[0]
    if problems:
        raise CrmFileError(source, problems)
    taken = set(chosen.values())
    for field, col in match_headers(header, kind).items():
        if field not in chosen and col not in taken:
            chosen[field] = col
    missing = [f for f in REQUIRED[kind] if f not in chosen]
    if missing:
        raise CrmFileError(source, [
            f"no column for {f!r} (read from a column named {_listing(aliases(kind, f)[:4])} "
            f"...); the file's columns are {_listing(header)}: name the column with "
            f"--map COLUMN={f}" for f in missing])
    return chosen


def _listing(names) -> str:
    return ", ".join(repr(n) for n in names)


# -- the values ----------------------------------------------------------------------------
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d*)?|\.\d+"
_AMOUNT = re.compile(rf"(?:[A-Z]{{3}}\s*)?[$€£¥]?\s*(?P<num>{_NUMBER})\s*(?:[A-Z]{{3}})?")
_AMOUNT_RULE = ("an amount is a number of 0 or more such as 1234.50 or $1,234.50 (commas "
                "group thousands; a decimal comma such as 1 234,50 is not read: write "
                "1234.50)")
_PROBABILITY = re.compile(rf"(?P<num>{_NUMBER})\s*(?P<pct>%)?")
_ISO = re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?"
                  r"(?:\s*(?:Z|[+-]\d{2}:?\d{2}))?")


def each(values: pd.Series, rule) -> np.ndarray:
    """``rule`` applied to each distinct value of ``values`` once, spread back to every
    cell (an object array): a CRM column repeats its few stages and dates many times."""
    codes, uniques = pd.factorize(values)
    got = np.empty(len(uniques), dtype=object)
    got[:] = [rule(u) for u in uniques]
    return got[codes]


def _amount_of(text: str) -> float | None:
    match = _AMOUNT.fullmatch(text)
    return float(match["num"].replace(",", "")) if match else None


def _probability_of(text: str) -> tuple[float, bool] | None:
    """The number of a probability cell, and whether it carries a % sign."""
    match = _PROBABILITY.fullmatch(text)
    return (float(match["num"].replace(",", "")), bool(match["pct"])) if match else None


class _Table:
    """The cells of one file's columns as text, and the problems found reading them."""

    def __init__(self, header, rows, lines, columns, date_format):
        self.header = header
        self.lines = np.asarray(lines, dtype=np.int64)
        self.columns = columns
        self.date_format = date_format
        by_column = list(zip(*rows, strict=True)) if rows else [()] * len(header)
        self.cells = {field: pd.Series(list(map(str.strip, by_column[col])), dtype=object)
                      for field, col in columns.items()}
        self.problems: list[tuple[int, int, str]] = []  # (line, column, sentence)
        self.n = len(rows)

    def has(self, field: str) -> bool:
        return field in self.columns

    def text(self, field: str) -> pd.Series:
        return self.cells[field] if field in self.cells else pd.Series([""] * self.n,
                                                                       dtype=object)

    def flag(self, field: str, where, rule: str | list[str]) -> None:
        """Report the cells of ``field`` at the positions ``where`` as breaking ``rule``
        (one rule, or one per position flagged)."""
        col = self.columns[field]
        values = self.cells[field]
        at = np.flatnonzero(np.asarray(where, dtype=bool))
        rules = [rule] * len(at) if isinstance(rule, str) else rule
        for i, why in zip(at, rules, strict=True):
            self.problems.append((int(self.lines[i]), col,
                                  f"line {self.lines[i]}, column {self.header[col]!r}: "
                                  f"value {values.iat[i]!r}: {why}"))

    def required(self, field: str, what: str) -> None:
        if self.has(field):
            self.flag(field, self.text(field) == "", f"{what} is required")

    def amount(self, field: str, required: bool) -> np.ndarray:
        out = np.full(self.n, np.nan)
        if not self.has(field):
            return out
        text = self.text(field)
        blank = (text == "").to_numpy()
        got = each(text, _amount_of)
        ok = got != None  # noqa: E711 - elementwise on an object array
        out[ok] = got[ok].astype(float)
        self.flag(field, ~ok & ~blank, _AMOUNT_RULE)
        if required:
            self.flag(field, blank, "an amount is required")
        return out

    def probability(self) -> np.ndarray:
        out = np.full(self.n, np.nan)
        if not self.has("probability"):
            return out
        text = self.text("probability")
        blank = (text == "").to_numpy()
        got = each(text, _probability_of)
        ok = got != None  # noqa: E711 - elementwise on an object array
        self.flag("probability", ~ok & ~blank,
                  "a probability is 0.4 (a fraction) or 40% (a percent)")
        number = np.array([g[0] if g else np.nan for g in got], dtype=float)
        sign = np.array([bool(g and g[1]) for g in got], dtype=bool)
        header_pct = "%" in self.header[self.columns["probability"]]
        column_pct = header_pct or bool(np.any(number[ok & ~sign] > 1))
        out = np.where(sign | column_pct, number / 100, number)
        self.flag("probability", ok & (out > 1), "a probability is at most 1 (100%)")
        out[ok & (out > 1)] = np.nan
        return out

    def date(self, field: str, keep_time: bool) -> np.ndarray:
        out = np.full(self.n, np.datetime64("NaT"), dtype="datetime64[ns]")
        if not self.has(field):
            return out
        text = self.text(field)
        codes, uniques = pd.factorize(text)
        uniques = pd.Series(uniques, dtype=object)
        if self.date_format:
            parsed = pd.to_datetime(uniques, format=self.date_format, errors="coerce")
            rule = f"not a date in the form --date-format {self.date_format!r}"
        else:
            iso = uniques.map(lambda v: _ISO.fullmatch(v) is not None).astype(bool)
            parsed = pd.to_datetime(uniques.where(iso), format="ISO8601", errors="coerce",
                                    utc=True)
            rule = ("not an ISO date (YYYY-MM-DD, optionally with a time): give the file's "
                    "form with --date-format, e.g. --date-format %m/%d/%Y")
        if getattr(parsed.dt, "tz", None) is not None:  # an offset: to UTC, then naive
            parsed = parsed.dt.tz_convert(None)
        if not keep_time:
            parsed = parsed.dt.normalize()
        stamps = parsed.to_numpy(dtype="datetime64[ns]")[codes]
        blank = (text == "").to_numpy()
        self.flag(field, np.isnat(stamps) & ~blank, rule)
        out[~blank] = stamps[~blank]
        return out

    def category(self) -> np.ndarray:
        text = self.text("forecast_category")
        words = each(text, lambda t: "" if t == "" else forecast_category_of(t))
        if self.has("forecast_category"):
            self.flag("forecast_category", words == None,  # noqa: E711 - elementwise
                      f"a forecast category is one of {', '.join(CATEGORIES)} (as a CRM "
                      "writes them: 'Best Case', 'Commit', ...)")
        return np.where(words == None, "", words).astype(object)  # noqa: E711

    def finish(self, source: str) -> None:
        if self.problems:
            self.problems.sort(key=lambda p: (p[0], p[1]))
            raise CrmFileError(source, [p[2] for p in self.problems])


def _load(path, kind: str, mapping, date_format, skip_absent) -> tuple[_Table, str]:
    source = str(path)
    header, rows, lines = _rows(_text(path, source), source)
    columns = _columns(header, kind, mapping, source, skip_absent)
    return _Table(header, rows, lines, columns, date_format), source


def _frame(table: _Table, data: dict, source: str) -> pd.DataFrame:
    df = pd.DataFrame(data, index=pd.Index(table.lines, name="line"))
    df.attrs = {"source": source, "headers": list(table.header),
                "columns": {f: table.header[c] for f, c in table.columns.items()}}
    return df


# -- the readers ---------------------------------------------------------------------------
def read_opportunities(path, *, mapping: dict[str, str] | None = None,
                       date_format: str | None = None,
                       skip_absent: bool = False) -> pd.DataFrame:
    """Read an opportunity export: one row per deal.

    Parameters
    ----------
    path : str or Path
        The CSV file; it names the source in error messages.
    mapping : dict, optional
        ``{column: field}`` for headers the alias table does not know (field: one of
        :data:`sim.crm.fields.OPPORTUNITY_FIELDS`, or ``is_won``, ``is_closed``,
        ``active``); it overrides the table.
    date_format : str, optional
        A ``strptime`` pattern for the file's dates when they are not ISO.
    skip_absent : bool
        Skip ``mapping`` entries whose column is not in the file instead of reporting
        them (for one mapping given to two files; see
        :func:`sim.presentation.commands.crm_options.read_crm`).

    Returns
    -------
    DataFrame
        The columns of :data:`~sim.crm.fields.OPPORTUNITY_FIELDS`, indexed by the line
        each deal is on in the file (``line``). Text columns are str (``""`` where
        absent), ``amount`` and ``probability`` float (NaN where absent), the dates
        datetime64[ns] at midnight (NaT where absent), ``status`` one of ``tracking``,
        ``won``, ``lost``, ``forecast_category`` one of
        :data:`~sim.crm.fields.CATEGORIES` or ``""``. ``attrs["columns"]`` tells which
        header each field was read from, ``attrs["headers"]`` the file's headers.

    Raises
    ------
    CrmFileError
        Listing every problem: the file (missing, a directory, not UTF-8, empty), its
        columns (a required one missing, a bad ``mapping``) or its values.
    """
    t, source = _load(path, "opportunities", mapping, date_format, skip_absent)
    t.required("id", "a deal id")
    t.required("stage", "a stage")
    ids = t.text("id")
    again = (ids.duplicated(keep="first") & (ids != "")).to_numpy()
    if again.any():
        first = pd.Series(t.lines, index=ids.to_numpy()).groupby(level=0).first()
        t.flag("id", again, [f"a deal id appears once in the file (also on line {line})"
                             for line in first[ids[again]].tolist()])
    data = {
        "id": ids.to_numpy(dtype=object),
        "name": t.text("name").to_numpy(dtype=object),
        "account": t.text("account").to_numpy(dtype=object),
        "owner": t.text("owner").to_numpy(dtype=object),
        "stage": t.text("stage").to_numpy(dtype=object),
        "amount": t.amount("amount", required=True),
        "probability": t.probability(),
        "forecast_category": t.category(),
        "created": t.date("created", keep_time=False),
        "expected_close": t.date("expected_close", keep_time=False),
        "closed_date": t.date("closed_date", keep_time=False),
        "status": _status(t),
        "lost_reason": t.text("lost_reason").to_numpy(dtype=object),
        "lead_source": t.text("lead_source").to_numpy(dtype=object),
    }
    closed = (data["status"] != "tracking") & pd.isna(data["closed_date"])
    if not t.has("closed_date"):  # Salesforce, HubSpot: a closed deal's close date is when
        data["closed_date"] = np.where(closed, data["expected_close"], data["closed_date"])
    open_ = data["status"] == "tracking"
    t.flag("expected_close", open_ & (t.text("expected_close") == "").to_numpy(),
           "an open deal needs an expected close date")
    t.finish(source)
    return _frame(t, data, source)[list(OPPORTUNITY_FIELDS)]


def _status(t: _Table) -> np.ndarray:
    """Each deal's status: its status column, else derived (see the module's notes)."""
    by_stage = pd.Series(each(t.text("stage"), status_of_stage))
    if t.has("status"):
        text = t.text("status")
        words = pd.Series(each(text, lambda s: status_of(s) if s else ""))
        t.flag("status", words.isna(), "a status is tracking (or open), won or lost")
        return np.where(words.fillna("") == "", by_stage, words.fillna("")).astype(object)
    flags = {}
    for field in ("is_won", "is_closed", "active"):
        if t.has(field):
            got = pd.Series(each(t.text(field), flag_of))
            t.flag(field, got.isna(), "a yes/no value is true or false (1 or 0, yes or no)")
            flags[field] = got.fillna(False).astype(bool).to_numpy()
    status = by_stage.to_numpy(dtype=object)
    if "is_won" in flags or "is_closed" in flags:
        won = flags.get("is_won", status == "won")
        closed = flags.get("is_closed", won | (status == "lost"))
        status = np.where(won, "won", np.where(closed, "lost", "tracking")).astype(object)
    if "active" in flags:  # Odoo archives a lost deal
        status = np.where(~flags["active"] & (status != "won"), "lost", status).astype(object)
    return status


def read_history(path, *, mapping: dict[str, str] | None = None,
                 date_format: str | None = None, skip_absent: bool = False) -> pd.DataFrame:
    """Read an opportunity history: one row per change of a deal.

    Parameters are those of :func:`read_opportunities` (fields:
    :data:`~sim.crm.fields.HISTORY_FIELDS`).

    Returns
    -------
    DataFrame
        The columns of :data:`~sim.crm.fields.HISTORY_FIELDS`, in the file's order,
        indexed by line: ``timestamp`` keeps its time of day, ``expected_close`` is a
        date at midnight (NaT where absent), ``amount`` float (NaN where absent),
        ``forecast_category`` as in :func:`read_opportunities`.

    Raises
    ------
    CrmFileError
        Listing every problem, as :func:`read_opportunities`.
    """
    t, source = _load(path, "history", mapping, date_format, skip_absent)
    t.required("opportunity_id", "a deal id")
    t.required("stage", "a stage")
    t.required("timestamp", "a timestamp")
    data = {
        "opportunity_id": t.text("opportunity_id").to_numpy(dtype=object),
        "timestamp": t.date("timestamp", keep_time=True),
        "stage": t.text("stage").to_numpy(dtype=object),
        "amount": t.amount("amount", required=False),
        "expected_close": t.date("expected_close", keep_time=False),
        "forecast_category": t.category(),
    }
    t.finish(source)
    return _frame(t, data, source)[list(HISTORY_FIELDS)]
