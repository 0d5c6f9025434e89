"""Figures render to non-empty PNGs with the expected number of bars (sim.presentation.plots).

Each figure is rendered once to PNG bytes (rendering is the slow part) and checked for
a valid, decodable, non-blank image of the slide size; its bars are counted as the
Rectangle patches of its axes. Chinese labels are drawn with the CJK font that comes with
a dependency of the project, whether or not the system has one (tests/test_fonts.py proves
it in a process that sees no system font); the case of no CJK font at all is made by a
search that finds nothing, and gives exactly one FontWarning.
"""

from __future__ import annotations

import gc
import io
import logging
import sys
import warnings
import weakref
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib import font_manager
from matplotlib import image as mpimg
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from sim.analysis.forecast import forecast_table, snapshot_days
from sim.analysis.levels import LEVEL_COLUMNS
from sim.analysis.stage_stock import stage_stock
from sim.analysis.views import funnel
from sim.analysis.volatility import bookings_by_period
from sim.experiments.runner import simulate
from sim.presentation import plots
from sim.presentation.plots import fonts
from sim.presentation.plots.fonts import FONTS, NOT_SEARCHED, FontSetup
from sim.scenario.files import load_scenario

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
SLIDE = (round(plots.FIGSIZE[0] * plots.DPI), round(plots.FIGSIZE[1] * plots.DPI))
ZH_STAGES = ["初步接洽", "确定需求", "方案报价", "谈判及签约"]


@pytest.fixture(scope="module")
def run():
    return simulate(load_scenario("scenarios/baseline.toml"))


@pytest.fixture(scope="module")
def zh_run():
    return simulate(load_scenario("scenarios/course_zh.toml"))


@pytest.fixture
def fresh_fonts(monkeypatch):
    """Forget the font search and the once-per-process warning, and take any CJK font an
    earlier figure added out of rcParams (so that "no font" means no font); restore
    both after."""
    monkeypatch.setattr(FONTS, "family", NOT_SEARCHED)
    monkeypatch.setattr(FONTS, "warned", False)
    with matplotlib.rc_context():
        for key in ("font.family", "font.sans-serif"):
            matplotlib.rcParams[key] = [f for f in matplotlib.rcParams[key]
                                        if not fonts._is_cjk_name(f)] or ["sans-serif"]
        yield


def bars(fig) -> list[Rectangle]:
    return [p for ax in fig.axes for p in ax.patches if isinstance(p, Rectangle)]


def assert_png(data: bytes, min_kb: float = 20) -> None:
    """A valid PNG of the slide size, of some size, with something drawn on it."""
    assert data[:8] == PNG_MAGIC
    assert len(data) > min_kb * 1024
    pixels = mpimg.imread(io.BytesIO(data), format="png")  # decodes, or raises
    assert pixels.shape[1::-1] == SLIDE
    assert (pixels[..., :3].mean(axis=2) < 0.8).mean() > 0.01  # not a blank page


def made_up_funnel(stages) -> pd.DataFrame:
    return pd.DataFrame({"stage_index": range(len(stages)), "stage": stages,
                         "count": [30, 18, 9, 4][: len(stages)],
                         "amount": [9e5, 6e5, 3.5e5, 1.2e5][: len(stages)]})


# --- the figures --------------------------------------------------------------------------


def test_funnel_has_one_bar_per_stage_and_counts_only_tracking_deals(run):
    sc = run.scenario
    data = plots.funnel_data(run)
    tracking = run.opportunities[run.opportunities["status"] == "tracking"]
    assert data["stage"].tolist() == [s.name for s in sc.stages]
    assert data["count"].sum() == len(tracking)
    assert data["amount"].sum() == pytest.approx(tracking["amount"].sum())

    fig = plots.funnel_chart(run)
    patches = bars(fig)
    assert len(patches) == 2 * len(sc.stages)
    # the count panel: bar widths are the counts, the first stage on top
    count_bars = [p for p in fig.axes[0].patches if isinstance(p, Rectangle)]
    assert [p.get_width() for p in count_bars] == data["count"].tolist()
    ys = [p.get_y() for p in count_bars]
    assert fig.axes[0].yaxis_inverted() and ys == sorted(ys)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == data["stage"].tolist()
    assert_png(plots.to_png_bytes(fig))

    one = plots.plot_funnel(data, measure="amount", currency=sc.currency)
    assert len(bars(one)) == len(sc.stages)


def test_funnel_at_a_day_is_the_pipeline_that_day(run):
    sc = run.scenario
    at_end = plots.pipeline_data(run, days=[sc.horizon_days])
    assert at_end["count"].tolist() == plots.funnel_data(run)["count"].tolist()
    day = 100.0
    weekly = plots.pipeline_data(run, step_days=25.0)  # 0, 25, 50, 75, 100, ...
    assert (plots.funnel_data(run, day)["count"].to_numpy()
            == weekly.loc[weekly["day"] == day, "count"].to_numpy()).all()


def test_stage_stock_is_the_funnel_on_every_snapshot_day(run):
    # the stock rests on sim.rules.deals.in_stage (a stage row lasts until its decision);
    # the funnel on a day rebuilds the opportunity list from the stage history instead
    days = snapshot_days(run.scenario)
    stock = stage_stock(run, days=days)
    assert stock["day"].unique().tolist() == days.tolist()
    assert (stock["date"] == pd.Timestamp(run.scenario.start_date)
            + pd.to_timedelta(stock["day"], unit="D")).all()
    for day, on_day in stock.groupby("day", sort=False):
        view = funnel(run, on=day)
        assert on_day["stage"].tolist() == view["stage"].tolist()
        assert on_day["count"].tolist() == view["count"].tolist(), day
        assert on_day["amount"].to_numpy() == pytest.approx(view["amount"].to_numpy()), day
    assert stock["count"].sum() > 0


def test_pipeline_stacks_one_area_per_stage(run):
    sc = run.scenario
    data = plots.pipeline_data(run)
    weeks = len(np.arange(0, sc.horizon_days, 7.0))
    assert len(data) == weeks * len(sc.stages)
    assert set(data.columns) >= {"day", "date", "stage_index", "stage", "count", "amount"}

    fig = plots.pipeline_chart(run)
    areas = [c for c in fig.axes[0].collections if isinstance(c, PolyCollection)]
    assert len(areas) == len(sc.stages)
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [s.name for s in sc.stages]
    assert_png(plots.to_png_bytes(fig))

    money = plots.pipeline_chart(run, measure="amount")
    assert money.axes[0].get_ylabel() == f"Amount of open deals ({sc.currency})"
    assert money.axes[0].yaxis.get_major_formatter()(1.5e6, 0) == f"1.5M {sc.currency}"


def test_levels_draw_four_lines_for_the_team_and_per_rep(run):
    fig = plots.levels_chart(run)
    ax = fig.axes[0]
    assert [ln.get_label() for ln in ax.get_lines()] == [plots.LEVEL_LABELS[c]
                                                          for c in LEVEL_COLUMNS]
    assert all(ln.get_linewidth() >= 3 for ln in ax.get_lines())
    assert_png(plots.to_png_bytes(fig))

    per_rep = plots.levels_chart(run, by_rep=True)
    shown = [a for a in per_rep.axes if a.get_visible()]
    assert [a.get_title(loc="left") for a in shown] == run.rep_names
    assert all(len(a.get_lines()) == len(LEVEL_COLUMNS) for a in shown)


def test_bookings_have_one_bar_per_month_and_colour_the_quota(run):
    sc = run.scenario
    months = bookings_by_period(run, "month")
    quota = float(months["team"].median())
    fig = plots.bookings_chart(run, "month", quota=quota)
    patches = bars(fig)
    assert len(patches) == len(months) == 12
    assert [p.get_height() for p in patches] == pytest.approx(months["team"].tolist())
    met = [matplotlib.colors.to_hex(p.get_facecolor()) == plots.OKABE_ITO[0].lower()
           for p in patches]
    assert met == (months["team"] >= quota).tolist()
    assert fig.axes[0].get_ylabel() == f"Bookings ({sc.currency})"
    assert_png(plots.to_png_bytes(fig))

    quarters = plots.bookings_chart(run, "quarter")
    assert len(bars(quarters)) == 4
    labels = [t.get_text() for t in quarters.axes[0].get_xticklabels()]
    assert labels == ["Q1 2026", "Q2 2026", "Q3 2026", "Q4 2026"]


def test_forecast_has_two_bars_per_period_and_a_band(run):
    data = forecast_table(run)
    assert (data["forecast_low"] <= data["forecast"]).all()
    assert (data["forecast"] <= data["forecast_high"]).all()
    assert data["actual"].tolist() == pytest.approx(
        bookings_by_period(run, "quarter")["team"].tolist())

    fig = plots.forecast_chart(run)
    assert len(bars(fig)) == 2 * len(data)
    assert len(fig.axes[0].containers) == 3  # forecast bars, actual bars, the band
    assert_png(plots.to_png_bytes(fig))

    # a period not closed yet: its actual is NaN, still a (flat) bar; a quota line
    data.loc[len(data) - 1, "actual"] = np.nan
    with_quota = plots.plot_forecast(data.assign(quota=1e6))
    assert len(bars(with_quota)) == 2 * len(data)
    labels = [ln.get_label() for ln in with_quota.axes[0].get_lines()]
    assert [t for t in labels if not t.startswith("_")] == ["Quota"]


def test_time_by_level_has_one_bar_per_rep_and_level(run):
    fig = plots.time_by_level_chart(run)
    rows = len(run.rep_names) + 1  # and the team
    patches = bars(fig)
    assert len(patches) == rows * len(LEVEL_COLUMNS)
    # stacked shares: each row's segments add up to 100%
    ends = {}
    for p in patches:
        ends[p.get_y()] = max(ends.get(p.get_y(), 0), p.get_x() + p.get_width())
    assert list(ends.values()) == pytest.approx([100.0] * rows)
    assert_png(plots.to_png_bytes(fig))

    hours = pd.DataFrame({"rep": ["A", "B"], "above_funnel": [10, 0], "in_funnel": [30, 0],
                          "best_few": [10, 0], "orders": [0, 0]})
    assert len(bars(plots.plot_time_by_level(hours))) == 2 * len(LEVEL_COLUMNS)


def test_cash_against_bookings_with_made_up_data():
    cash = pd.DataFrame({"period": pd.period_range("2026Q1", periods=4, freq="Q"),
                         "bookings": [9e5, 1.2e6, 7e5, 1.1e6],
                         "billings": [4e5, 8e5, 9e5, 1.0e6],
                         "cash": [2e5, 6e5, 8e5, 9e5]})
    fig = plots.plot_cash(cash, currency="EUR")
    assert len(bars(fig)) == 3 * len(cash)
    assert [t.get_text() for t in fig.axes[0].get_xticklabels()][0] == "Q1 2026"
    as_text = plots.plot_cash(cash.assign(period=["2026Q1", "2026Q2", "H2", "2027"]))
    assert [t.get_text() for t in as_text.axes[0].get_xticklabels()][2] == "H2"
    monthly = plots.plot_cash(cash.assign(period=["2026-11", "2026-12", "2027-01", "2027-02"]))
    assert [t.get_text() for t in monthly.axes[0].get_xticklabels()] == [
        "Nov\n2026", "Dec", "Jan\n2027", "Feb"]
    assert_png(fig._repr_png_())  # the notebook display path

    lines = plots.plot_cash(cash, kind="lines")
    assert len(bars(lines)) == 0 and len(lines.axes[0].get_lines()) == 3


def test_a_quiet_run_with_no_deals_still_draws():
    stages = ["A", "B", "C"]
    zero = pd.DataFrame({"stage_index": range(3), "stage": stages, "count": 0, "amount": 0.0})
    assert len(bars(plots.plot_funnel(zero))) == 6
    months = pd.date_range("2026-01-01", periods=3, freq="MS")
    assert len(bars(plots.plot_bookings(pd.DataFrame({"period": months, "bookings": 0.0}),
                                        quota=1000))) == 3
    assert len(bars(plots.plot_bookings(pd.DataFrame({"period": [], "bookings": []})))) == 0
    idle = pd.DataFrame({"rep": ["R"], **{level: [0.0] for level in LEVEL_COLUMNS}})
    assert len(bars(plots.plot_time_by_level(idle))) == len(LEVEL_COLUMNS)
    flat = pd.DataFrame({"day": [0, 0, 7, 7], "stage": stages[:2] * 2, "count": 0,
                         "amount": 0.0})
    assert_png(plots.to_png_bytes(plots.plot_pipeline(flat, measure="amount")))


# --- Chinese stage names ------------------------------------------------------------------


def test_chinese_scenario_renders(zh_run, fresh_fonts):
    assert plots.setup_fonts() == fonts.packaged_cjk_font() is not None
    assert [s.name for s in zh_run.scenario.stages] == ZH_STAGES
    fig = plots.funnel_chart(zh_run)  # warnings are errors: no FontWarning, no missing glyph
    data = plots.to_png_bytes(fig)
    assert len(bars(fig)) == 2 * len(ZH_STAGES)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ZH_STAGES
    assert_png(data)


def test_chinese_glyphs_come_from_the_cjk_font(fresh_fonts):
    font = plots.setup_fonts()
    assert font == fonts.packaged_cjk_font() is not None  # the packaged font comes first
    # matplotlib falls back glyph by glyph along font.family: the first font there that
    # has the glyph draws it; for Chinese text that must be the CJK font
    families = matplotlib.rcParams["font.family"]
    assert families[-1] == font
    paths = [font_manager.findfont(font_manager.FontProperties(family=[f]),
                                   fallback_to_default=False) for f in families]
    for ch in "".join(ZH_STAGES):
        drawn_by = next(p for p in paths if font_manager.get_font(p).get_char_index(ord(ch)))
        assert font_manager.get_font(drawn_by).family_name == font
    # idempotent: a second call adds nothing
    assert plots.setup_fonts() == font
    assert matplotlib.rcParams["font.family"] == families


def test_a_system_font_installed_after_matplotlibs_cache_is_found(monkeypatch, fresh_fonts):
    # the fallback when the packaged font cannot be loaded
    if fonts.system_cjk_font() is None:
        pytest.skip("no CJK font installed on the system")
    stale = [f for f in font_manager.fontManager.ttflist if not fonts._is_cjk_name(f.name)]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", stale)
    assert fonts.system_cjk_font() is not None  # rescanned the system's font files


def test_without_a_cjk_font_one_warning_and_no_glyph_warnings(monkeypatch, fresh_fonts):
    monkeypatch.setattr(FONTS, "find", lambda: None)
    with pytest.warns(plots.FontWarning) as record:
        first = plots.plot_funnel(made_up_funnel(ZH_STAGES), currency="CNY")
        data = plots.to_png_bytes(first)
        second = plots.plot_pipeline(pd.DataFrame({
            "day": [0, 0, 7, 7], "stage": ZH_STAGES[:2] * 2, "count": [3, 1, 4, 2],
            "amount": [1.0, 2.0, 3.0, 4.0]}))
        assert len(bars(second)) == 0  # built, not drawn: the warning comes at build
    assert len(record) == 1  # one FontWarning; matplotlib's per-glyph ones are silenced
    message = str(record[0].message)
    assert fonts.CJK_FONT_PYPI in message  # first, reinstall the package that has the font
    assert "fonts-noto-cjk" in message and "fonts-wqy-zenhei" in message
    assert record[0].filename == __file__  # points at the caller, not into sim/presentation/plots/
    assert_png(data)


def _glyph_warnings(fig) -> list[str]:
    """The missing-glyph warnings drawing ``fig`` gives (warnings shown every time)."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fig.canvas.draw()
    return [str(w.message) for w in seen if "missing from font" in str(w.message)]


def _their_figure() -> Figure:
    """A plain matplotlib figure (not ours) with Chinese text."""
    fig = Figure()
    FigureCanvasAgg(fig)
    fig.text(0.5, 0.5, ZH_STAGES[0])
    return fig


def test_missing_glyphs_are_quiet_only_while_our_figures_draw(monkeypatch, fresh_fonts):
    monkeypatch.setattr(FONTS, "find", lambda: None)
    with pytest.warns(plots.FontWarning):
        saved = plots.plot_funnel(made_up_funnel(ZH_STAGES))
    shown = plots.plot_funnel(made_up_funnel(ZH_STAGES), measure="count")
    assert _glyph_warnings(_their_figure())  # no CJK font really: matplotlib warns

    before = list(warnings.filters)
    data = plots.to_png_bytes(saved)  # warnings are errors: no glyph warning got out
    assert warnings.filters == before  # the filter lived only while the figure drew
    assert_png(data)
    assert _glyph_warnings(shown) == []  # nor from a plain draw (a GUI window, say)
    assert warnings.filters == before
    assert _glyph_warnings(_their_figure())  # others' figures still warn: not process-wide


def test_glyph_warnings_are_left_alone_when_a_cjk_font_is_there(fresh_fonts):
    assert plots.setup_fonts() is not None
    fig = plots.plot_funnel(made_up_funnel(ZH_STAGES))
    assert not FONTS.lacks_font(ZH_STAGES)
    assert _glyph_warnings(fig) == []  # the font has the glyphs, nothing to hide


def test_the_font_setup_is_one_object_that_searches_once():
    calls = []
    setup = FontSetup(find=lambda: calls.append(1))  # finds nothing
    assert setup.family is NOT_SEARCHED and not setup.warned
    with matplotlib.rc_context():
        family = list(matplotlib.rcParams["font.family"])
        assert setup.setup() is None and setup.setup() is None
        assert matplotlib.rcParams["font.family"] == family  # no font, nothing added
    assert calls == [1] and setup.family is None
    assert not setup.lacks_font(["Lead", "Offer"]) and setup.lacks_font(ZH_STAGES)
    setup.check(["Lead", "Offer"])  # warnings are errors: Latin text never warns
    with pytest.warns(plots.FontWarning, match="fonts-noto-cjk"):
        setup.check(ZH_STAGES)
    setup.check(ZH_STAGES)  # once: the second time is silent
    assert setup.warned
    assert FONTS is not setup and isinstance(FONTS, FontSetup)


def test_a_font_found_goes_into_the_fallback_once():
    setup = FontSetup(find=lambda: "Made Up CJK")
    with matplotlib.rc_context():
        try:
            assert setup.setup() == "Made Up CJK"
            assert matplotlib.rcParams["font.family"][-1] == "Made Up CJK"
            assert "Made Up CJK" in matplotlib.rcParams["font.sans-serif"]
            families = list(matplotlib.rcParams["font.family"])
            assert setup.setup() == "Made Up CJK"
            assert matplotlib.rcParams["font.family"] == families
            assert not setup.lacks_font(ZH_STAGES)
        finally:
            logging.getLogger("matplotlib.font_manager").removeFilter(
                setup._quiet_weight_substitution)


def test_latin_labels_never_warn_even_without_a_cjk_font(monkeypatch, fresh_fonts):
    monkeypatch.setattr(FONTS, "find", lambda: None)
    fig = plots.plot_funnel(made_up_funnel(["Lead", "Offer", "Deal"]))  # warnings are errors
    assert len(bars(fig)) == 6


# --- helpers, output, errors -------------------------------------------------------------


@pytest.mark.parametrize(("value", "currency", "text"), [
    (0, "USD", "0"), (950, "USD", "950 USD"), (1_500, "USD", "1.5k USD"),
    (350_000, "CNY", "350k CNY"), (1_234_567, "USD", "1.2M USD"), (12_000_000, None, "12M"),
    (999_999, "USD", "1M USD"), (2.5e9, "EUR", "2.5B EUR"), (-40_000, "USD", "-40k USD"),
])
def test_format_money(value, currency, text):
    assert plots.format_money(value, currency) == text


def test_save_png_writes_the_file_and_figures_are_not_kept(tmp_path):
    pyplot = sys.modules.get("matplotlib.pyplot")
    before = pyplot.get_fignums() if pyplot else []
    fig = plots.plot_funnel(made_up_funnel(["Lead", "Offer", "Deal", "Signed"]),
                            measure="count")
    path = plots.save_png(fig, tmp_path / "figures" / "funnel.png")
    assert path.read_bytes()[:8] == PNG_MAGIC
    assert not list(path.parent.glob("*.tmp"))
    assert (pyplot.get_fignums() if pyplot else []) == before
    ref = weakref.ref(fig)
    del fig
    gc.collect()
    assert ref() is None  # nothing global holds a figure


def test_bad_input_says_what_is_missing():
    with pytest.raises(ValueError, match="missing: \\['amount'\\]"):
        plots.plot_funnel(pd.DataFrame({"stage": ["A"], "count": [1]}))
    with pytest.raises(ValueError, match="measure"):
        plots.plot_funnel(made_up_funnel(["A"]), measure="volume")
    with pytest.raises(ValueError, match="missing: \\['cash'\\]"):
        plots.plot_cash(pd.DataFrame({"period": [1], "bookings": [1], "billings": [1]}))


def test_levels_per_rep_over_two_years_draw_without_a_date_axis_warning():
    # four ticks per panel left matplotlib's date locator no interval for a two-year run:
    # it warned and fell back to half-yearly ticks (the suite turns warnings into errors)
    result = simulate(load_scenario(Path(__file__).resolve().parent.parent / "scenarios"
                                    / "roller_coaster.toml"), 0)
    assert result.scenario.horizon_days >= 730
    fig = plots.levels_chart(result, by_rep=True)
    assert plots.to_png_bytes(fig)
