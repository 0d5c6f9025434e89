"""CRM files both ways: a run written as CRM files and read back; Salesforce, HubSpot and
Odoo exports read with their own headers; --map; every bad cell reported."""

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim import load_scenario, simulate, vary
from sim.crm.export import crm_tables, write_crm
from sim.crm.fields import (
    HISTORY_FIELDS,
    OPPORTUNITY_FIELDS,
    field_of,
    forecast_category_of,
    header_key,
    match_headers,
)
from sim.crm.reader import (
    _AMOUNT_RULE,
    MAX_PROBLEMS,
    CrmFileError,
    read_history,
    read_opportunities,
)
from sim.presentation.cli import main
from sim.presentation.commands import crm_options
from sim.presentation.commands.support import UsageError
from sim.rules.calendar import period_bounds

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
SF_OPPS = DATA / "salesforce_opportunities.csv"
SF_HIST = DATA / "salesforce_history.csv"


@pytest.fixture(scope="module")
def run():
    sc = vary(load_scenario(ROOT / "scenarios" / "three_stages.toml"), {"horizon_days": 150})
    return simulate(sc)


def write(tmp_path, text: str, name: str = "opps.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def problems(path, reader=read_opportunities, **kw) -> list[str]:
    with pytest.raises(CrmFileError) as err:
        reader(path, **kw)
    assert err.value.source == str(path)
    return err.value.problems


# -- a run, both ways -----------------------------------------------------------------------
def test_a_run_round_trips_through_its_crm_files(run, tmp_path):
    opps, hist = crm_tables(run)
    written = write_crm(run, tmp_path / "crm")
    assert [p.name for p in written] == ["opportunities.csv", "history.csv"]
    back_o = read_opportunities(tmp_path / "crm" / "opportunities.csv")
    back_h = read_history(tmp_path / "crm" / "history.csv")
    assert list(back_o.columns) == list(OPPORTUNITY_FIELDS)
    assert list(back_h.columns) == list(HISTORY_FIELDS)
    pd.testing.assert_frame_equal(back_o.reset_index(drop=True), opps, check_dtype=False)
    pd.testing.assert_frame_equal(back_h.reset_index(drop=True), hist, check_dtype=False)
    # and the reader's types are the promised ones
    assert back_o["amount"].dtype == float and back_o["probability"].dtype == float
    assert back_o["expected_close"].dtype == "datetime64[ns]"
    assert back_h["timestamp"].dtype == "datetime64[ns]"


def test_the_crm_files_hold_every_deal_of_the_run_as_the_tables_say(run):
    opps, hist = crm_tables(run)
    table = run.opportunities
    assert len(opps) == len(table) and table["in_warmup"].any()  # the warm-up's deals too
    assert opps["id"].tolist() == table["opportunity_id"].astype(str).tolist()
    assert np.allclose(opps["amount"], table["amount"], atol=0.005)  # to the cent
    assert (opps["status"].to_numpy() == table["status"].to_numpy()).all()
    assert (opps["owner"].to_numpy() == table["owner"].to_numpy()).all()
    assert (opps["account"].to_numpy() == table["customer"].to_numpy()).all()
    assert (opps["lead_source"].to_numpy() == table["channel"].to_numpy()).all()
    assert (opps["created"] == table["created"].dt.normalize()).all()
    won, lost = opps["status"] == "won", opps["status"] == "lost"
    assert (opps.loc[won, "probability"] == 1).all() and (opps.loc[lost, "probability"] == 0).all()
    rates = dict(zip([s.name for s in run.scenario.stages], run.scenario.win_rates, strict=True))
    tracking = opps[opps["status"] == "tracking"]
    assert (tracking["probability"] == tracking["stage"].map(rates)).all()
    assert (opps.loc[won, "forecast_category"] == "closed").all()
    assert (opps.loc[lost, "forecast_category"] == "omitted").all()
    assert set(tracking["forecast_category"]) <= {"pipeline", "best_case", "commit"}
    # the history: a row per stage entered, per owner's revision, per win and per loss
    ev = run.events["event"].value_counts()
    assert ev["forecast_revised"] > 0
    assert len(hist) == ev["stage_entered"] + ev["forecast_revised"] + ev["won"] + ev["lost"]
    assert (hist["timestamp"].diff().dropna() >= pd.Timedelta(0)).all()  # in time order
    last = hist.groupby("opportunity_id").tail(1).set_index("opportunity_id")
    assert (last.loc[opps.loc[won, "id"], "stage"] == "Closed Won").all()
    assert (last.loc[opps.loc[lost, "id"], "forecast_category"] == "omitted").all()
    # an open deal's expected close is the owner's latest estimate
    assert (last.loc[tracking["id"], "expected_close"].to_numpy()
            == tracking["expected_close"].to_numpy()).all()


@pytest.mark.slow  # a run and its report: about 5 s
def test_funnel_run_out_writes_the_crm_folder(run, tmp_path, capsys):
    out = tmp_path / "results"
    status = main(["run", str(ROOT / "scenarios" / "three_stages.toml"), "--days", "150",
                   "--out", str(out), "--json"])
    capsys.readouterr()
    assert status == 0
    back = read_opportunities(out / "crm" / "opportunities.csv")
    hist = read_history(out / "crm" / "history.csv")
    opps, history = crm_tables(run)  # the same scenario and seed: the same run
    pd.testing.assert_frame_equal(back.reset_index(drop=True), opps, check_dtype=False)
    assert len(hist) == len(history)


# -- vendors' exports -----------------------------------------------------------------------
def test_the_salesforce_export_is_read_with_its_own_headers():
    opps = read_opportunities(SF_OPPS)
    hist = read_history(SF_HIST)
    assert len(opps) == 30 and opps["id"].is_unique
    assert opps.attrs["columns"]["probability"] == "Probability (%)"
    first = opps.iloc[0]
    assert first["amount"] == 18_000.0 and first["status"] == "lost"
    assert first["closed_date"] == first["expected_close"]  # Salesforce: closed on its close date
    assert set(opps["status"]) == {"tracking", "won", "lost"}
    assert (opps.loc[opps["stage"] == "Closed Won", "status"] == "won").all()
    assert opps["probability"].between(0, 1).all()
    assert (opps.loc[opps["stage"] == "Proposal/Price Quote", "probability"] == 0.6).all()
    assert set(opps["forecast_category"]) <= {"pipeline", "best_case", "commit", "closed",
                                              "omitted"}
    assert hist["opportunity_id"].isin(opps["id"]).all()
    # "2027-01-06T09:00:00.000+0000": the offset is read, the time kept
    assert hist["timestamp"].iloc[0] == pd.Timestamp("2027-01-06 09:00")
    assert hist.attrs["columns"]["timestamp"] == "Last Modified Date"


def test_the_hubspot_export_is_read_with_its_own_headers():
    deals = read_opportunities(DATA / "hubspot_deals.csv").set_index("id")
    assert deals["status"].to_dict() == {"9001": "won", "9002": "lost", "9003": "tracking",
                                         "9004": "tracking", "9005": "won"}
    assert deals["amount"].tolist() == [12_000.0, 8_500.5, 30_000.0, 4_500.0, 2_500.0]
    assert deals["probability"].tolist() == [1.0, 0.0, 0.9, 0.2, 1.0]
    assert deals["forecast_category"].tolist() == ["closed", "omitted", "commit", "pipeline",
                                                   "closed"]
    assert deals.loc["9002", "lost_reason"] == "Went with competitor"
    assert deals.loc["9001", "created"] == pd.Timestamp("2027-01-05")  # at midnight
    assert deals.loc["9003", "account"] == "Initech" and deals.loc["9004", "owner"] == "Chen Wei"


def test_the_odoo_export_is_read_with_its_own_headers():
    deals = read_opportunities(DATA / "odoo_opportunities.csv").set_index("id")
    # Won is a stage; a deal no longer Active was lost
    assert deals["status"].to_dict() == {"41": "won", "42": "tracking", "43": "lost",
                                         "44": "tracking"}
    assert deals["probability"].tolist() == [1.0, 0.7, 0.2, 0.1]  # 0-100 numbers: percents
    assert deals["amount"].tolist() == [1_800.0, 12_000.0, 45_000.0, 900.0]
    assert deals.loc["41", "closed_date"] == pd.Timestamp("2027-01-30")
    assert deals.loc["43", "lead_source"] == "Phone"


def test_the_salesforce_api_names_and_status_flags_are_read(tmp_path):
    path = write(tmp_path, "Id,StageName,Amount,CloseDate,IsClosed,IsWon,ForecastCategory\n"
                           "a,Negotiation,100,2027-01-01,false,false,Forecast\n"
                           "b,Closed,200,2027-01-02,true,true,Closed\n"
                           "c,Closed,300,2027-01-03,TRUE,FALSE,Omitted\n")
    got = read_opportunities(path)
    assert got["status"].tolist() == ["tracking", "won", "lost"]
    assert got["forecast_category"].tolist() == ["commit", "closed", "omitted"]


@pytest.mark.parametrize("header, kind, field", [
    ("Close Date", "opportunities", "expected_close"),
    ("close_date", "opportunities", "expected_close"),
    ("Closed Date", "opportunities", "closed_date"),
    ("CLOSEDATE", "opportunities", "expected_close"), ("Deal Stage", "opportunities", "stage"),
    ("Created Date", "opportunities", "created"), ("Created Date", "history", "timestamp"),
    ("Probability (%)", "opportunities", "probability"), ("Colour", "opportunities", None),
])
def test_headers_match_without_regard_to_case_or_spacing(header, kind, field):
    assert field_of(header, kind) == field
    assert header_key(" Close_Date ") == header_key("closedate") == "closedate"


def test_where_two_columns_name_one_field_the_preferred_header_wins():
    assert match_headers(["Amount (converted)", "Amount"], "opportunities") == {"amount": 1}


@pytest.mark.parametrize("word, category", [
    ("Best Case", "best_case"), ("BestCase", "best_case"), ("BEST_CASE", "best_case"),
    ("commit", "commit"), ("Forecast", "commit"), ("Not forecasted", "omitted"),
    ("Closed", "closed"), ("maybe", None)])
def test_forecast_category_words(word, category):
    assert forecast_category_of(word) == category


# -- --map ----------------------------------------------------------------------------------
CUSTOM = ("Ref,Title,Phase,Deal Value,Target Date,Outcome\n"
          "X1,Big deal,Demo,\"1,000\",2027-02-01,open\n"
          "X2,Small deal,Closed,250,2027-01-10,won\n")


def test_map_names_the_columns_no_alias_covers(tmp_path):
    path = write(tmp_path, CUSTOM)
    got = read_opportunities(path, mapping={"Ref": "id", "Phase": "stage",
                                            "Deal Value": "amount",
                                            "Target Date": "expected_close",
                                            "Outcome": "status", "Title": "name"})
    assert got["id"].tolist() == ["X1", "X2"] and got["amount"].tolist() == [1000.0, 250.0]
    assert got["status"].tolist() == ["tracking", "won"]
    assert got.attrs["columns"]["amount"] == "Deal Value"


def test_without_a_map_the_missing_columns_are_named_with_the_headers_found(tmp_path):
    said = problems(write(tmp_path, CUSTOM))
    assert len(said) == 4  # id, stage, amount, expected_close
    assert all("'Ref', 'Title', 'Phase', 'Deal Value'" in p and "--map COLUMN=" in p
               for p in said)
    assert "no column for 'amount'" in said[2]


def test_a_bad_map_names_the_column_and_the_field(tmp_path):
    path = write(tmp_path, CUSTOM)
    said = problems(path, mapping={"Deal Value": "value", "Nope": "amount"})
    assert any("unknown field 'value'" in p and "amount" in p for p in said)
    assert any("column 'Nope' is not in the file" in p and "'Deal Value'" in p for p in said)


def test_one_map_serves_two_files_and_a_column_in_neither_is_an_error(tmp_path):
    parser = argparse.ArgumentParser()
    crm_options.add_reader_options(parser)
    args = parser.parse_args(["--map", "Last Modified Date=timestamp", "--map",
                              "Amount=amount"])
    opps, hist = crm_options.read_crm(args, SF_OPPS, SF_HIST)
    assert len(opps) == 30 and hist.attrs["columns"]["timestamp"] == "Last Modified Date"
    args = parser.parse_args(["--map", "Deal Size=amount"])
    with pytest.raises(UsageError, match="column 'Deal Size' is not in the files"):
        crm_options.read_crm(args, SF_OPPS, SF_HIST)
    args = parser.parse_args(["--map", "Amount=size"])
    with pytest.raises(UsageError, match="unknown field 'size'"):
        crm_options.read_crm(args, SF_OPPS, SF_HIST)


@pytest.mark.parametrize("text", ["amount", "=amount", "Deal Value=", "A=Amount!"])
def test_map_option_form(text):
    with pytest.raises(argparse.ArgumentTypeError, match="COLUMN=FIELD"):
        crm_options.map_arg(text)


def test_map_splits_at_the_last_equals_sign():
    assert crm_options.map_arg("a=b=amount") == ("a=b", "amount")


# -- values ---------------------------------------------------------------------------------
def one_value(tmp_path, column: str, value: str, **kw):
    head = "id,stage,amount,expected_close"
    row = {"id": "1", "stage": "Demo", "amount": "10", "expected_close": "2027-01-01"}
    cols = head.split(",") + ([column] if column not in head.split(",") else [])
    row[column] = value
    text = ",".join(cols) + "\n" + ",".join(f'"{row[c]}"' for c in cols) + "\n"
    return read_opportunities(write(tmp_path, text), **kw).iloc[0]


@pytest.mark.parametrize("text, value", [
    ("1234.5", 1234.5), ("1,234.50", 1234.5), ("$12,500.00", 12500.0), ("€ 99", 99.0),
    ("EUR 1,234", 1234.0), ("1234.50 USD", 1234.5), ("£1,000,000", 1e6), ("0", 0.0),
    (" 42 ", 42.0), (".5", 0.5)])
def test_amounts_read(tmp_path, text, value):
    assert one_value(tmp_path, "amount", text)["amount"] == value


@pytest.mark.parametrize("text", ["1 234,50 EUR", "1.234,50", "12,5", "-100", "1,23,456",
                                  "abc", "1e5", "$"])
def test_amounts_refused_with_the_rule(tmp_path, text):
    with pytest.raises(CrmFileError) as err:
        one_value(tmp_path, "amount", text)
    (said,) = err.value.problems
    assert said.startswith(f"line 2, column 'amount': value {text!r}: an amount is")
    assert "decimal comma" in said


@pytest.mark.parametrize("header, text, value", [
    ("probability", "0.4", 0.4), ("probability", "40%", 0.4), ("probability", "40 %", 0.4),
    ("Probability (%)", "40", 0.4), ("probability", "40", 0.4), ("probability", "1", 1.0),
    ("probability", "", None)])
def test_probabilities_read(tmp_path, header, text, value):
    got = one_value(tmp_path, header, text)["probability"]
    assert (np.isnan(got) if value is None else got == pytest.approx(value))


@pytest.mark.parametrize("header, text", [("probability", "140%"), ("Probability (%)", "140"),
                                          ("probability", "high")])
def test_probabilities_refused(tmp_path, header, text):
    with pytest.raises(CrmFileError, match="a probability is"):
        one_value(tmp_path, header, text)


@pytest.mark.parametrize("text, fmt, value", [
    ("2027-03-31", None, "2027-03-31"), ("2027-03-31T14:05:00", None, "2027-03-31"),
    ("2027-03-31 14:05", None, "2027-03-31"), ("2027-03-31T23:30:00.000-0200", None,
                                               "2027-04-01"),
    ("03/31/2027", "%m/%d/%Y", "2027-03-31"), ("31.03.2027", "%d.%m.%Y", "2027-03-31")])
def test_dates_read(tmp_path, text, fmt, value):
    got = one_value(tmp_path, "expected_close", text, date_format=fmt)["expected_close"]
    assert got == pd.Timestamp(value)


@pytest.mark.parametrize("text, fmt", [("03/31/2027", None), ("2027-02-30", None),
                                       ("31/03/2027", "%m/%d/%Y"), ("tomorrow", None)])
def test_dates_refused(tmp_path, text, fmt):
    with pytest.raises(CrmFileError) as err:
        one_value(tmp_path, "expected_close", text, date_format=fmt)
    (said,) = err.value.problems
    assert f"value {text!r}" in said
    assert ("--date-format" in said) if fmt is None else (repr(fmt) in said)


def test_every_bad_cell_is_listed_in_file_order(tmp_path):
    path = write(tmp_path, "Opportunity ID,Stage,Amount,Close Date,Probability,Forecast "
                           "Category,Status\n"
                           "1,Demo,\"1,5\",2027-01-01,0.5,Commit,open\n"
                           "2,,100,31/01/2027,0.5,Maybe,open\n"
                           "1,Demo,100,2027-01-01,2,Pipeline,pending\n"
                           "4,Demo,100,,0.1,Pipeline,open\n")
    said = problems(path)
    assert said == [
        f"line 2, column 'Amount': value '1,5': {_AMOUNT_RULE}",
        "line 3, column 'Stage': value '': a stage is required",
        "line 3, column 'Close Date': value '31/01/2027': not an ISO date (YYYY-MM-DD, "
        "optionally with a time): give the file's form with --date-format, e.g. "
        "--date-format %m/%d/%Y",
        "line 3, column 'Forecast Category': value 'Maybe': a forecast category is one of "
        "pipeline, best_case, commit, closed, omitted (as a CRM writes them: 'Best Case', "
        "'Commit', ...)",
        "line 4, column 'Opportunity ID': value '1': a deal id appears once in the file "
        "(also on line 2)",
        "line 4, column 'Status': value 'pending': a status is tracking (or open), won or lost",
        "line 5, column 'Close Date': value '': an open deal needs an expected close date",
    ]


def test_a_probability_column_with_a_number_above_one_is_all_percents(tmp_path):
    # the rule the docs give: one number above 1 makes the whole column percents
    path = write(tmp_path, "id,stage,amount,expected_close,probability\n"
                           "1,A,1,2027-01-01,0.5\n2,A,1,2027-01-01,40\n")
    assert read_opportunities(path)["probability"].tolist() == [0.005, 0.4]


def test_problems_are_capped_and_counted(tmp_path):
    rows = "".join(f"{i},Demo,lots,2027-01-01\n" for i in range(MAX_PROBLEMS + 7))
    said = problems(write(tmp_path, "id,stage,amount,expected_close\n" + rows))
    assert len(said) == MAX_PROBLEMS + 1 and said[-1] == "... and 7 more problems"


@pytest.mark.parametrize("content, words", [
    (b"", "is empty"), (b"\n  \n", "is empty"),
    (b"id,stage,amount,expected_close\n1,Caf\xe9,10,2027-01-01\n", "is not UTF-8 text"),
    (b"id,stage,amount,expected_close\n1,A,10\n", "line 2: 3 values where the header has 4"),
])
def test_unreadable_files_are_clear_errors(tmp_path, content, words):
    path = tmp_path / "x.csv"
    path.write_bytes(content)
    assert words in problems(path)[0]


def test_a_missing_file_or_a_directory_is_a_clear_error(tmp_path):
    assert problems(tmp_path / "nope.csv") == ["file not found"]
    assert problems(tmp_path) == ["is a directory, not a CSV file"]


def test_a_header_only_file_has_no_deals_and_a_bom_is_fine(tmp_path):
    path = tmp_path / "x.csv"
    path.write_bytes("\ufeffid,stage,amount,expected_close\n".encode())
    got = read_opportunities(path)
    assert got.empty and list(got.columns) == list(OPPORTUNITY_FIELDS)


def test_semicolon_files_and_extra_columns_are_read(tmp_path):
    path = write(tmp_path, "id;stage;amount;expected_close;colour\n1;A;10;2027-01-01;red\n")
    got = read_opportunities(path)
    assert got["amount"].tolist() == [10.0] and "colour" not in got.columns


def test_history_needs_its_columns_and_reads_blank_amounts_as_unknown(tmp_path):
    path = write(tmp_path, "opportunity_id,timestamp,stage,amount\n"
                           "1,2027-01-01 10:00,A,\n1,2027-01-02,B,5\n", "h.csv")
    got = read_history(path)
    assert np.isnan(got["amount"].iloc[0]) and got["amount"].iloc[1] == 5
    assert got["timestamp"].iloc[0] == pd.Timestamp("2027-01-01 10:00")
    said = problems(write(tmp_path, "opportunity_id,stage\n1,A\n", "h2.csv"), read_history)
    assert said[0].startswith("no column for 'timestamp'")


# -- the command line -----------------------------------------------------------------------
def test_bad_rows_through_the_command_line_exit_2_without_a_traceback(tmp_path, capsys):
    path = write(tmp_path, "id,stage,amount,expected_close\n1,A,ten,2027-01-01\n"
                           "2,A,5,someday\n")
    status = main(["movement", str(path), "--history", str(SF_HIST), "--period", "2027-Q1"])
    out, err = capsys.readouterr()
    assert status == 2 and out == "" and "Traceback" not in err
    assert err.splitlines() == [
        f"error: {path}: line 2, column 'amount': value 'ten': {_AMOUNT_RULE}",
        f"error: {path}: line 3, column 'expected_close': value 'someday': not an ISO date "
        "(YYYY-MM-DD, optionally with a time): give the file's form with --date-format, "
        "e.g. --date-format %m/%d/%Y"]


@pytest.mark.parametrize("argv, words", [
    (["--map", "Deal Size=amount"], "column 'Deal Size' is not in the files"),
    (["--map", "oops"], "COLUMN=FIELD"),
    (["--date-format", "mm/dd"], "strptime pattern"),
    (["--period", "2027-Q5"], "is not a period"),
    (["--from", "2027-01-01"], "--from: needs --to too"),
    (["--from", "2027-03-01", "--to", "2027-01-01"], "it is before --from"),
    (["--period", "2027", "--from", "2027-01-01"], "not allowed with argument"),
])
def test_bad_options_exit_2(capsys, argv, words):
    status = main(["movement", str(SF_OPPS), "--history", str(SF_HIST), *argv])
    out, err = capsys.readouterr()
    assert status == 2 and words in err and "Traceback" not in err and out == ""


def test_period_options():
    parser = argparse.ArgumentParser()
    crm_options.add_period_options(parser)
    assert crm_options.period_of(parser.parse_args(["--period", "2027-Q2"])) == \
        period_bounds("2027-Q2")
    span = crm_options.period_of(parser.parse_args(["--from", "2027-01-15", "--to",
                                                    "2027-02-14"]))
    assert span == (pd.Timestamp("2027-01-15"), pd.Timestamp("2027-02-15"))  # --to included
    assert crm_options.period_of(parser.parse_args([]), default_from="2027-05-20") == \
        period_bounds("2027-Q2")
    with pytest.raises(UsageError, match="give a period"):
        crm_options.period_of(parser.parse_args([]))


@pytest.mark.parametrize("text, start, end", [
    ("2027-Q1", "2027-01-01", "2027-04-01"), ("2027q4", "2027-10-01", "2028-01-01"),
    ("2026Q2", "2026-04-01", "2026-07-01"), ("2027-02", "2027-02-01", "2027-03-01"),
    ("2027-12", "2027-12-01", "2028-01-01"), ("2027", "2027-01-01", "2028-01-01")])
def test_period_bounds(text, start, end):
    assert period_bounds(text) == (pd.Timestamp(start), pd.Timestamp(end))


@pytest.mark.parametrize("text", ["2027-13", "2027-Q0", "27", "Q1", "", "2027-1"])
def test_period_bounds_refuses(text):
    with pytest.raises(ValueError, match="give a quarter"):
        period_bounds(text)


def test_movement_json_on_the_salesforce_fixture(capsys):
    status = main(["movement", str(SF_OPPS), "--history", str(SF_HIST), "--period",
                   "2027-Q2", "--json"])
    out, err = capsys.readouterr()
    assert status == 0, err
    data = json.loads(out)
    assert (data["start"], data["end"]) == ("2027-04-01", "2027-07-01")
    moves = {row["movement"]: row for row in data["movement"]}
    assert sum(r["amount"] for r in data["movement"][:-1]) == pytest.approx(
        moves["Closing"]["amount"])
