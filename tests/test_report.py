"""The HTML report: self-contained, complete, and reproducible from what it shows."""

import re
import tomllib
from pathlib import Path

import pytest

from sim.analysis.views import distribution
from sim.experiments.runner import simulate
from sim.presentation import cli
from sim.presentation.report import SECTIONS, build_report, write_report
from sim.scenario.files import load_scenario, parse_scenario
from sim.scenario.variants import vary

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def result():
    sc = vary(load_scenario(ROOT / "scenarios" / "baseline.toml"), {"horizon_days": 180})
    return simulate(sc)


@pytest.fixture(scope="module")
def page(result):
    return build_report(result)


def test_report_needs_no_network(page):
    # no external address of any kind: links, images, scripts, styles or fonts
    assert not re.search(r"(?i)\b(?:https?|ftp)://", page)
    assert not re.search(r"(?i)(?:src|href)\s*=\s*[\"']//", page)
    assert not re.search(r"(?i)<(?:script|link|iframe)\b", page)
    assert "@import" not in page and "url(" not in page
    images = re.findall(r'<img [^>]*src="([^"]*)"', page)
    assert len(images) >= 7 and all(src.startswith("data:image/png;base64,") for src in images)


def test_report_has_every_section_and_the_kpis(page, result):
    for key, title in SECTIONS:
        assert f'id="{key}"' in page and title in page
    k = result.kpis()
    assert f"{k['won']:,}" in page and f"{k['leads']:,}" in page
    for words in ("Open opportunities", "Cohort funnel", "Commit", "Slipped deals",
                  "Forecast categories against what happened", "Slipped (still open)",
                  "Capability", "Channel economics", "Pipeline velocity", "Why deals were lost",
                  "Receivables ageing", "The sales cycle in four parts", "Contract statistics"):
        assert words in page, words


def test_report_shows_the_scenario_it_came_from(page, result):
    toml = re.search(r"<pre>(.*?)</pre>", page, flags=re.S).group(1)
    text = (toml.replace("&quot;", '"').replace("&#x27;", "'").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))
    assert tomllib.loads(text)["name"] == result.scenario.name
    assert parse_scenario(text) == result.scenario


def test_the_distribution_by_status_reconciles_with_the_headline(page, result):
    """The report's "Distribution: by status" counts the deals *created* in the results
    period, with their status at the end of the run; the headline counts opportunities
    *created* in the period, but won and lost deals *closed* in it (whenever created) and
    open deals at the end (whenever created). So, exactly:

    - the table's total is the headline's opportunities;
    - the headline's won (lost) is the table's won (lost) plus the deals created in the
      warm-up and won (lost) in the period: a deal created in the period and decided by
      its end was closed in it;
    - the headline's open is the table's tracking plus the warm-up's deals still open.

    Before, the table counted every deal since the warm-up began (588 deals, 128 won,
    400 lost on the baseline's year against a headline of 433, 110 and 315).
    """
    k = result.kpis()
    horizon = result.scenario.horizon_days
    table = page.split("Distribution: by status")[1].split("</table>")[0]
    shown = {status: int(count.replace(",", "")) for status, count in re.findall(
        r'<td class="text">(tracking|won|lost)</td><td class="">([\d,]+)</td>', table)}
    created = distribution(result, "status", include_warmup=False)
    assert shown == dict(zip(created["status"], created["count"], strict=True))
    assert sum(shown.values()) == k["opportunities"]
    opps = result.opportunities
    warm = opps[opps["created_day"] < 0]
    closed_in_period = (warm["closed_day"] >= 0) & (warm["closed_day"] < horizon)
    for status in ("won", "lost"):
        assert k[status] == shown[status] + ((warm["status"] == status) & closed_in_period).sum()
    assert k["open"] == shown["tracking"] + (warm["status"] == "tracking").sum()
    assert f"the headline&#x27;s {k['opportunities']:,} opportunities" in table
    # the whole list, warm-up included, holds more deals than the headline counts
    assert distribution(result, "status")["count"].sum() == len(opps) > k["opportunities"]


def test_every_table_says_what_it_counts_and_nothing_shows_nan(page):
    tables = page.count("<table>")
    assert tables >= 20
    assert len(re.findall(r'<p class="note scope">[^<]+</p><table>', page)) == tables
    text = re.sub(r"<[^>]+>", " ", re.sub(r"<(style|pre)>.*?</\1>", " ", page, flags=re.S))
    assert not re.search(r"\b(nan|NaN|NaT|None)\b", text)
    for scope in ("The pipeline at the end of the run", "Deals created in the results period",
                  "Decisions made in the results period", "Deals lost in the results period",
                  "Invoices still owed at the end of the run", "signed in the results period",
                  "Deals won in the results period", "Whole quarters of the results period"):
        assert scope in text, scope


def test_write_report_never_overwrites(result, tmp_path):
    path = tmp_path / "report.html"
    path.write_text("mine")
    with pytest.raises(FileExistsError):
        write_report(result, path)
    assert path.read_text() == "mine"


def test_chinese_stage_names_reach_the_report(recwarn):
    # the figures draw the names with the CJK font a dependency carries, so no system
    # font is needed (tests/test_fonts.py shows it where none can be found)
    sc = vary(load_scenario(ROOT / "scenarios" / "course_zh.toml"), {"horizon_days": 90})
    page = build_report(simulate(sc))
    for name in ("初步接洽", "确定需求", "方案报价", "谈判及签约"):
        assert name in page
    assert '<meta charset="utf-8">' in page
    assert [str(w.message) for w in recwarn] == []  # no FontWarning, no missing glyph


def test_run_open_writes_a_report_and_opens_it(monkeypatch, tmp_path, capsys):
    opened = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    monkeypatch.setattr("tempfile.mkdtemp", lambda prefix="": str(tmp_path / "tmp-report"))
    (tmp_path / "tmp-report").mkdir()
    assert cli.main(["run", "--days", "60", "--open"]) == 0
    assert opened == [(tmp_path / "tmp-report" / "report.html").resolve().as_uri()]
    assert (tmp_path / "tmp-report" / "report.html").stat().st_size > 10_000

    out = tmp_path / "out"
    assert cli.main(["run", "--days", "60", "--out", str(out), "--open"]) == 0
    assert opened[-1] == (out / "report.html").resolve().as_uri()
    assert "report.html" in {p.name for p in out.iterdir()}
