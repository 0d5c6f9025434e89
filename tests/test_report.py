"""The HTML report: self-contained, complete, and reproducible from what it shows."""

import re
import tomllib
from pathlib import Path

import pytest

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
                  "Capability", "Channel economics", "Pipeline velocity", "Why deals were lost",
                  "Receivables ageing", "The sales cycle in four parts", "Contract statistics"):
        assert words in page, words


def test_report_shows_the_scenario_it_came_from(page, result):
    toml = re.search(r"<pre>(.*?)</pre>", page, flags=re.S).group(1)
    text = (toml.replace("&quot;", '"').replace("&#x27;", "'").replace("&lt;", "<")
            .replace("&gt;", ">").replace("&amp;", "&"))
    assert tomllib.loads(text)["name"] == result.scenario.name
    assert parse_scenario(text) == result.scenario


def test_write_report_never_overwrites(result, tmp_path):
    path = tmp_path / "report.html"
    path.write_text("mine")
    with pytest.raises(FileExistsError):
        write_report(result, path)
    assert path.read_text() == "mine"


def test_chinese_stage_names_reach_the_report():
    sc = vary(load_scenario(ROOT / "scenarios" / "course_zh.toml"), {"horizon_days": 90})
    page = build_report(simulate(sc))
    for name in ("初步接洽", "确定需求", "方案报价", "谈判及签约"):
        assert name in page
    assert '<meta charset="utf-8">' in page


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
