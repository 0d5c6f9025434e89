"""The text catalogue: every label, heading and sentence a user reads in the report, the
figures and the lessons' panels, in English and Chinese.

One home for the words. The English text is its own key (as in gettext): the code says
``text("Win rate")`` and reads as before, and :data:`ZH` holds the Chinese of every key.
A key missing from the catalogue raises :class:`MissingText` in *both* languages, so an
English test run catches a sentence nobody translated. Values go in through
``{placeholders}``, which each Chinese text keeps (a test checks).

The Chinese words are the courseware's where it names the concept (``../shared/domain/
course_original_zh.txt``): 销售线索 (lead), 销售机会 (opportunity), 销售漏斗 (funnel),
阶段赢率 (stage win rate), 跟踪 (tracking), 销售机会视图 (opportunity view), 销售预测
(forecast), 销售合同 / 销售订单 (contract / order), 销售周期 (sales cycle), 米勒漏斗模型
(Miller Heiman), 回款 (collection), 开票 (invoicing), 负责人 (owner), 预计签单日期
(expected close).

The language is chosen per call (``lang=``) or for a block of code with
:func:`using`; the report and the panels set it from the scenario's ``language``, the
figures read it from there. Stage, channel and rep names are the user's and are never
translated; numbers and dates keep one format in both languages.

>>> text("Win rate", "zh")
'赢单率'
>>> with using("zh"):
...     text("{n} days", n="12")
'12 天'
>>> text("Win rate")
'Win rate'
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import string
from collections.abc import Callable, Iterator
from typing import TypeVar

LANGUAGES = ("en", "zh")
"""The languages of the catalogue; ``en`` is the default."""

HTML_LANG = {"en": "en", "zh": "zh-Hans"}
"""The ``<html lang>`` of a page in each language (Chinese in simplified characters)."""

_CURRENT: contextvars.ContextVar[str | None] = contextvars.ContextVar("funnel_language",
                                                                       default=None)


T = TypeVar("T")


class MissingText(KeyError):
    """A text that is not in the catalogue (or a language that is not in it)."""


def current() -> str:
    """The language of the block being run (``en`` unless inside :func:`using`)."""
    return _CURRENT.get() or "en"


def chosen() -> str | None:
    """The language of the enclosing :func:`using` block; None outside any."""
    return _CURRENT.get()


def check_language(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`; else :class:`MissingText`."""
    if lang not in LANGUAGES:
        raise MissingText(f"no language {lang!r}; the catalogue has {', '.join(LANGUAGES)}")
    return lang


@contextlib.contextmanager
def using(lang: str) -> Iterator[str]:
    """Run a block in ``lang``: :func:`text` without ``lang=`` speaks it."""
    token = _CURRENT.set(check_language(lang))
    try:
        yield lang
    finally:
        _CURRENT.reset(token)


def in_scenario_language(build: Callable[..., T]) -> Callable[..., T]:
    """Run ``build(result, ...)``, a function of one run, in the language of the enclosing
    :func:`using` block, or else in the run's scenario's ``language``."""

    @functools.wraps(build)
    def wrapper(result, *args, **kwargs) -> T:
        with using(chosen() or result.scenario.language):
            return build(result, *args, **kwargs)

    return wrapper


def text(key: str, lang: str | None = None, **values) -> str:
    """The text of ``key`` in ``lang`` (default: :func:`current`), its ``{placeholders}``
    filled from ``values``.

    Raises
    ------
    MissingText
        ``key`` is not in the catalogue, whatever the language.
    """
    lang = check_language(lang or current())
    if key not in ZH:
        raise MissingText(f"{key!r} is not in the text catalogue (sim/presentation/i18n.py)")
    return (key if lang == "en" else ZH[key]).format(**values)


def label(value, lang: str | None = None) -> str:
    """A value the model names in English (a status, a level, a forecast category...) as
    the reader's language shows it. ``text(str(value))``."""
    return text(str(value), lang)


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a text is filled with.

    >>> sorted(placeholders("{n} of {m:,} rows"))
    ['m', 'n']
    """
    return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}


def known(sentence: str, templates) -> str:
    """``sentence``, which a lower layer wrote in English, in the reader's language when it
    is one of ``templates`` (catalogue keys) filled in; else as it came.

    >>> with using("zh"):
    ...     known("3 reps", ["{n} reps"]), known("3 cats", ["{n} reps"])
    ('3 名销售代表', '3 cats')
    """
    for template in templates:
        pattern = re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>.+?)", re.escape(template))
        found = re.fullmatch(pattern, sentence, flags=re.S)
        if found:
            return text(template, **found.groupdict())
    return sentence


ZH: dict[str, str] = {
    # -- words the model names (statuses, levels, categories...), shown in cells and legends
    "tracking": "跟踪", "won": "赢单", "lost": "丢单", "closed": "已关闭",
    "strategic": "战略性", "tactical": "战术性", "contract": "销售合同", "order": "销售订单",
    "high": "高", "medium": "中", "low": "低",
    "in_funnel": "漏斗之中", "best_few": "最佳少数", "orders": "订单",
    "commit": "承诺", "best_case": "最佳情况", "pipeline": "管道",
    "design": "设计时间", "procurement": "采购时间", "transaction": "交易时间",
    "collection": "货款回收时间", "total": "合计",
    "paid": "已回款", "bad_debt": "坏账", "delivered": "已交付", "in_delivery": "交付中",
    "awaiting_handover": "待移交",
    "joins": "入职", "ramp": "爬坡", "full": "满负荷", "leaves": "离职", "leave": "休假",
    "Opening": "期初", "New": "新增", "Pulled in": "提前", "Pushed out": "推迟",
    "Won": "赢单", "Lost": "丢单", "Amount up": "金额上调", "Amount down": "金额下调",
    "Closing": "期末",
    "Above the Funnel": "漏斗之上", "In the Funnel": "漏斗之中", "Best Few": "最佳少数",
    "Orders": "订单",
    "month": "月", "quarter": "季度", "period": "期间",
    "Month": "月份", "Quarter": "季度", "Period": "期间",
    "Date": "日期", "Day (days from start date)": "天（自开始日期起）",
    "yes": "是", "no": "否", "n/a": "不适用", "No data": "无数据",
    "{n} days": "{n} 天", "Team": "团队", "team": "团队",
    # -- the report's sections
    "Headline figures": "关键指标", "Opportunity view": "销售机会视图", "Forecast": "销售预测",
    "Diagnostics": "诊断", "After the win: contracts, invoices and cash":
        "赢单之后：合约、开票与回款",
    "Scenario used": "所用情景",
    "Funnel Sandbox report: {name}": "销售漏斗沙盘报告：{name}",
    "{description} Results period {start} to {end}.{warmup} {headcount}, policy {policy}, "
    "seed {seed}, replication {replication}. Made {today}.":
        "{description} 结果期 {start} 至 {end}。{warmup} {headcount}，策略 {policy}，"
        "随机种子 {seed}，第 {replication} 次重复。生成于 {today}。",
    " A warm-up of {days} days before it filled the pipeline; its deals count only where a "
    "table says so.":
        "此前 {days} 天的预热期填充了管道；其中的机会只在表格注明时计入。",
    "{n} reps": "{n} 名销售代表",
    "{n} reps and {hired} hired during the run": "{n} 名销售代表，运行期间另招聘 {hired} 名",
    "Run it again with <code>funnel run scenario.toml</code> to get the same tables.":
        "用 <code>funnel run scenario.toml</code> 再次运行，可得到相同的表格。",
    "the results period": "结果期",
    "The pipeline at the end of the run: every deal still tracking then, whenever it was "
    "created (deals from the warm-up included).":
        "运行结束时的管道：当时仍在跟踪的每个销售机会，不论何时创建（包括预热期的机会）。",
    "not defined for that row": "该行无定义",
    "not defined": "无定义",
    "{na} under “{column}”: {why}.": "“{column}”中的{na}：{why}。",
    "Showing {shown} of {total} rows; the CSV files hold them all.":
        "显示 {total} 行中的 {shown} 行；CSV 文件包含全部。",
    # -- headline figures
    "Leads": "销售线索", "Opportunities": "销售机会",
    "Leads that became opportunities": "转为销售机会的线索",
    "Deals won": "赢单数", "Deals lost": "丢单数", "Win rate": "赢单率",
    "Open (tracking) at the end": "期末在跟踪的机会", "Bookings": "签单金额",
    "Billings (invoiced)": "开票金额", "Cash collected": "回款金额",
    "Days sales outstanding": "应收账款周转天数", "Receivables overdue": "逾期应收账款",
    "Average deal size": "平均单笔金额", "Average sales cycle": "平均销售周期",
    "Deals lost to neglect": "因疏于跟进而丢单", "Rep utilisation": "销售代表工作饱和度",
    "Bookings swing per quarter (CV)": "季度签单波动（变异系数）",
    "no lead arrived in the period": "本期没有新的销售线索",
    "no deal was won or lost in the period": "本期没有赢单或丢单",
    "nothing was invoiced in the period": "本期没有开票",
    "no deal was won in the period": "本期没有赢单",
    "the reps had no selling hours": "销售代表没有销售工时",
    "the period holds 1 whole quarter; a swing needs two":
        "结果期只有 1 个完整季度；计算波动需要两个",
    "the period holds {whole} whole quarters; a swing needs two":
        "结果期只有 {whole} 个完整季度；计算波动需要两个",
    "nothing was booked in the whole quarters": "完整季度中没有签单",
    "Counts of leads and opportunities are those created in the results period; won, lost, "
    "bookings, the win rate, deal size and cycle count deals closed in it (some of them "
    "created in the warm-up); open counts the pipeline at the end of the run, whenever its "
    "deals were created; billings and cash count money invoiced and paid in the period.":
        "线索数和销售机会数统计结果期内创建的；赢单、丢单、签单金额、赢单率、单笔金额和周期统计"
        "结果期内关闭的机会（其中有些创建于预热期）；在跟踪的机会统计运行结束时的管道，不论何时"
        "创建；开票和回款统计本期开出的发票和收到的款项。",
    "Bookings per whole {period} of {results}.": "{results}中每个完整{period}的签单金额。",
    "Bookings per period": "每期签单金额",
    # -- opportunity view
    "What a CRM's opportunity view shows at the end of the period. The funnel counts only "
    "opportunities still in <em>tracking</em> status: won and lost deals have left it.":
        "期末时 CRM 的销售机会视图。销售漏斗仅统计状态为<em>跟踪</em>的销售机会："
        "赢单和丢单的机会已离开漏斗。",
    "Funnel by count and amount": "按数量和金额的销售漏斗",
    "Stage": "阶段", "Open deals": "在跟踪的机会", "Amount": "金额",
    "Weighted amount": "加权金额", "Stage win rate": "阶段赢率", "Rotting": "停滞",
    "no deal was tracking at the end of the run.": "运行结束时没有在跟踪的销售机会。",
    "The pipeline over time": "管道随时间的变化",
    "Open deals per stage every week of {results}, whenever created.":
        "{results}中每周各阶段在跟踪的机会，不论何时创建。",
    "Open deals per stage over time": "各阶段在跟踪的机会随时间的变化",
    "Miller Heiman levels over time": "米勒漏斗各层级随时间的变化",
    "Above the Funnel: unverified leads. In the Funnel: verified opportunities. Best Few: "
    "likely to close soon. Orders: won, hand-over pending. A shrinking Above-the-Funnel "
    "stock warns of a bookings slump about one sales cycle later.":
        "漏斗之上：未经验证的销售线索。漏斗之中：已核实的销售机会。最佳少数：即将成交的机会。"
        "订单：已赢单、待移交。漏斗之上的存量减少，预示约一个销售周期后签单下滑。",
    "The stock of each level every week of {results}, whenever created.":
        "{results}中每周各层级的存量，不论何时创建。",
    "Miller Heiman level stock over time": "米勒漏斗各层级存量随时间的变化",
    "Where the reps' time went": "销售代表的时间用在了哪里",
    "Hours worked in {results}.": "{results}中的工作时数。",
    "Rep time by level": "销售代表按层级的时间分配",
    "Open opportunities, by expected close": "在跟踪的销售机会，按预计签单日期",
    "Subject": "机会主题", "Customer": "客户", "Priority": "优先", "Star": "星标",
    "Type": "类型", "Owner": "负责人", "Expected close": "预计签单日期",
    "Days in stage": "阶段停留天数", "Level": "层级",
    "Distribution: {what}": "分布统计：{what}",
    "By type": "按类型", "Contracts and orders": "销售合同与销售订单",
    "By channel": "按渠道", "Channel": "渠道", "By status": "按状态", "Status": "状态",
    "By quarter created": "按创建季度", "Quarter created": "创建季度",
    "Deals": "机会数", "Share": "占比", "Share of amount": "金额占比",
    "Deals created in {results} (the headline's {n} opportunities), with their status at "
    "the end of the run; deals created in the warm-up are left out.":
        "{results}中创建的机会（即关键指标中的 {n} 个销售机会）及其运行结束时的状态；"
        "预热期创建的机会不计入。",
    "no opportunity was created in the results period.": "结果期内没有创建销售机会。",
    "no deal to share out": "没有可分配的机会",
    "the deals have no amount to share out": "这些机会没有可分配的金额",
    "Cohort funnel": "同期群漏斗", "Cohort": "同期群",
    "Of the opportunities created in each quarter, how many reached each stage. Unlike the "
    "funnel on a date, a stuck deal cannot make the top look fat.":
        "每季度创建的销售机会中，有多少到达了各阶段。与某一日期的漏斗不同，"
        "卡住的机会不会让漏斗顶部显得臃肿。",
    "Deals created in {results}, by quarter created; a stage counts as reached by the end "
    "of the run.":
        "{results}中创建的机会，按创建季度；到运行结束时到达的阶段计为已到达。",
    # -- forecast
    "the true stage win rates": "真实的阶段赢率",
    "assumed win rates of {rates}": "假定的阶段赢率 {rates}",
    "the results period holds no whole {period}, so no forecast can be scored yet":
        "结果期内没有完整的{period}，因此还无法评估销售预测",
    "Bias, mean absolute error and the share within 5%: {na}, since no whole {period} had "
    "any bookings to measure an error against.":
        "偏差、平均绝对误差和误差在 5% 以内的占比：{na}，因为没有任何完整的{period}有签单"
        "可用来衡量误差。",
    "Bias {bias} (the average signed error), mean absolute error {mape}; {within} of the "
    "{n} {period}s with bookings within 5% (in industry surveys only about a quarter of "
    "forecasts are).":
        "偏差 {bias}（带符号误差的平均值），平均绝对误差 {mape}；在 {n} 个有签单的{period}中，"
        "{within} 的误差在 5% 以内（行业调查中只有约四分之一的预测做到）。",
    "Each {period} the manager forecasts bookings on its first day: deals already won plus "
    "every open deal expected to close in the {period}, weighted by {believed}. The deals' "
    "owners put each one in a category: commit (they expect it this {period} and believe it "
    "will be won), best case (expected this period, less sure) or pipeline (the rest).":
        "每个{period}的第一天，经理预测本{period}的签单金额：已赢单的机会，加上预计在本{period}"
        "签单的每个在跟踪机会，按{believed}加权。机会的负责人把每个机会归入一个类别：承诺"
        "（预计本{period}签单并相信会赢单）、最佳情况（预计本期签单，但把握较小）或管道（其余）。",
    "Whole {period}s of {results}; a part {period} at the end is not scored.":
        "{results}中的完整{period}；末尾不完整的{period}不参与评估。",
    "Forecast against actual": "销售预测与实际",
    "Quota": "销售定额", "Commit": "承诺", "Best case": "最佳情况", "Pipeline": "管道",
    "Actual": "实际", "Error": "误差", "Quota attained": "定额完成率",
    "Whole {period}s of {results}: the forecast made on each one's first day, from the "
    "pipeline then (deals from the warm-up included), against the deals won in the "
    "{period}.":
        "{results}中的完整{period}：每个{period}第一天根据当时的管道（包括预热期的机会）所做的"
        "预测，与该{period}内的赢单对比。",
    "no quota is set (forecast.quota_per_period)": "未设定销售定额（forecast.quota_per_period）",
    "nothing was won in the {period}, and an error in percent of nothing is not defined":
        "该{period}没有赢单，相对于零的百分比误差无定义",
    "Forecast categories against what happened": "预测类别与实际结果",
    "Category": "类别", "Slipped (still open)": "延误（仍在跟踪）",
    "The deals their owners had in each category at the forecasts of the whole {period}s of "
    "{results}, expected to close in the {period}, and what became of them by its end "
    "(shares of the amount).":
        "在{results}各完整{period}的预测中，负责人归入各类别、预计在该{period}签单的机会，"
        "以及到该{period}结束时它们的结果（金额占比）。",
    "no deal was in the category": "该类别中没有机会",
    "Slipped deals ({n})": "延误的机会（{n}）",
    "Open deals that have passed the expected close date their owner gave them on entering "
    "their stage (owners re-date them when they do).":
        "已超过负责人在进入当前阶段时给出的预计签单日期、仍在跟踪的机会（进入新阶段时负责人会"
        "重新填写日期）。",
    "Deal": "机会", "Days overdue": "逾期天数",
    "no open deal had passed the expected close date of its stage at the end of the run.":
        "运行结束时没有超过预计签单日期的在跟踪机会。",
    "Pipeline movement": "管道变动", "Pipeline movement in {period}": "{period} 的管道变动",
    "The deals open and expected to close in the period, from the period's first day to "
    "its end: what came in (new deals, deals pulled in from a later date), what went out "
    "(pushed to another period, won, lost) and how amounts changed. Opening plus the moves "
    "gives Closing; the CRM files (crm/opportunities.csv, crm/history.csv) hold the history "
    "it is built from.":
        "本期内在跟踪且预计在本期签单的机会，从期初到期末：流入了什么（新机会、从更晚日期提前"
        "的机会），流出了什么（推迟到其他期间、赢单、丢单），以及金额如何变化。期初加上各项变动"
        "等于期末；CRM 文件（crm/opportunities.csv、crm/history.csv）保存了所依据的历史记录。",
    "Pipeline movement waterfall": "管道变动瀑布图", "Movement": "变动", "Changes": "变更次数",
    "The last whole {period} of {results}, from the opportunity history (deals from the "
    "warm-up included).":
        "{results}中最后一个完整的{period}，依据销售机会历史（包括预热期的机会）。",
    "the results period holds no whole {period}, so there is no period to follow.":
        "结果期内没有完整的{period}，因此没有可跟踪的期间。",
    # -- diagnostics
    "No capability test: no rep and stage had enough decisions in the period (at least 10 "
    "for the rep and 10 for the rest of the team).":
        "未做销售能力检验：没有哪位销售代表在哪个阶段有足够的决策（该代表至少 10 个，"
        "团队其他成员至少 10 个）。",
    "No rep converts significantly worse than the rest of the team at any stage.":
        "没有销售代表在任何阶段的转化率显著低于团队其他成员。",
    "Capability gaps: {gaps}.": "销售能力的缺陷：{gaps}。",
    "{rep} at {stage} ({rate} vs {rest} for the rest)":
        "{rep} 在 {stage}（{rate}，其他成员 {rest}）",
    "no lead arrived in the results period: the top of the funnel was empty throughout, "
    "with no flow to compare against.":
        "结果期内没有新的销售线索：漏斗顶部始终为空，没有可比较的流量。",
    "No dry-top warning: leads kept arriving at every rep.":
        "没有漏斗顶部干涸的预警：每位销售代表都持续收到线索。",
    "Dry top: {n} rep-weeks with too few new leads, first on {date} ({rep}). Expect a "
    "bookings slump about one sales cycle later.":
        "漏斗顶部干涸：{n} 个代表周的新线索过少，首次出现在 {date}（{rep}）。"
        "预计约一个销售周期后签单下滑。",
    "no deal was decided at this stage in the period": "本期该阶段没有机会做出决策",
    "no deal was decided at this stage in the period after its work had started":
        "本期该阶段没有在工作开始后做出决策的机会",
    "Capability: stage conversion": "销售能力：阶段转化",
    "Decided": "已决策", "Advanced": "已推进", "Conversion": "转化率",
    "Waiting for the rep": "等待销售代表",
    "Decisions made in {results}, whenever the deal entered the stage.":
        "{results}中做出的决策，不论机会何时进入该阶段。",
    "no deal was decided at any stage in the results period.":
        "结果期内没有任何阶段的机会做出决策。",
    "Anomalies: the top of the funnel": "发现销售机会异常：漏斗顶部",
    "Leads arriving at each rep, reviewed weekly over {results}.":
        "每位销售代表收到的线索，在{results}中每周检查。",
    "Preventing lost customers: rotting and neglect": "防范客户资源流失：停滞与疏于跟进",
    "Rep": "销售代表", "Open": "在跟踪", "Rotting amount": "停滞金额", "Stuck": "卡住",
    "Lost to neglect": "因疏于跟进而丢单",
    "Open, rotting and stuck: the pipeline at the end of the run (deals from the warm-up "
    "included); lost: deals closed in {results}.":
        "在跟踪、停滞和卡住：运行结束时的管道（包括预热期的机会）；丢单：{results}中关闭的机会。",
    "the team has no reps.": "团队没有销售代表。",
    "Days idle": "闲置天数", "Waiting on": "等待方",
    "no open deal was rotting at the end of the run.": "运行结束时没有停滞的在跟踪机会。",
    "Balancing the load": "平衡客户资源分配",
    "Open pipeline": "在跟踪的管道", "Utilisation": "工作饱和度",
    "Leads and opportunities created in {results}, deals won in it, hours worked in it; "
    "open pipeline: at the end of the run, whenever created.":
        "{results}中创建的线索和销售机会、赢单和工作时数；在跟踪的管道：运行结束时，"
        "不论何时创建。",
    "the rep had no selling hours": "该销售代表没有销售工时",
    "Why deals were lost": "丢单原因", "Reason": "原因",
    "Deals lost in {results}, whenever they were created.": "{results}中丢单的机会，不论何时创建。",
    "no deal was lost in the results period.": "结果期内没有丢单。",
    "Channel economics: inbound against outbound": "渠道经济性：集客营销与推播营销",
    "Cost": "成本", "Per lead": "每条线索", "Per opportunity": "每个销售机会",
    "Per won deal": "每笔赢单", "Bookings per unit of cost": "每单位成本的签单金额",
    "Cost over {results}; leads and opportunities created in it; deals won in it (some from "
    "leads of the warm-up).":
        "{results}中的成本；其中创建的线索和销售机会；其中的赢单（有些来自预热期的线索）。",
    "the scenario has no channels.": "情景中没有渠道。",
    "no lead from the channel in the period": "本期该渠道没有线索",
    "no opportunity from the channel in the period": "本期该渠道没有销售机会",
    "no deal from the channel won in the period": "本期该渠道没有赢单",
    "the channel cost nothing in the period": "本期该渠道没有成本",
    "Pipeline velocity": "管道速度",
    "Open deals x win rate x average deal size / cycle length: the money the pipeline turns "
    "into per day.":
        "在跟踪的机会数 × 赢单率 × 平均单笔金额 / 周期长度：管道每天转化成的金额。",
    "Deal size": "单笔金额", "Cycle": "周期", "Velocity per day": "每日速度",
    "Booked per day": "每日签单",
    "Over {results}: open deals on an average day, and the win rate, deal size and cycle of "
    "the deals closed in it.":
        "在{results}中：平均每天在跟踪的机会，以及其中关闭的机会的赢单率、单笔金额和周期。",
    "no deal of the rep (or team) was won or lost in the period":
        "本期该销售代表（或团队）没有赢单或丢单",
    "no deal of the rep (or team) was won in the period": "本期该销售代表（或团队）没有赢单",
    "it needs a win rate, a deal size and a cycle": "需要赢单率、单笔金额和周期",
    # -- the team plan
    "The team over time": "团队随时间的变化",
    "The team's plan: hires work the ramp's share of a full rep's hours in their first "
    "months; a leaver's open deals and leads go to the reps still working ({rule}); on leave "
    "a rep works no hours and their waiting work waits.":
        "团队计划：新员工在最初几个月按爬坡比例工作一名满负荷代表的工时；离职者在跟踪的机会和"
        "线索转给仍在职的代表（{rule}）；休假的代表不工作，其待办工作等待。",
    "Change": "变化", "From": "自", "To": "至", "Share of full hours": "满工时占比",
    "Every change the scenario plans, by date.": "情景计划的每项变化，按日期。",
    "the plan is empty.": "计划为空。",
    "only a leave has a last day": "只有休假有最后一天",
    "Full-time reps": "全职当量代表", "Hours available": "可用工时", "Hours worked": "工作时数",
    "The team in each month of {results}: full-time equivalents (hours available over a full "
    "rep's), and the hours the plan gave and were worked.":
        "{results}中每月的团队：全职当量（可用工时除以一名满负荷代表的工时），"
        "以及计划给出的工时和实际工作时数。",
    "the results period has no month.": "结果期内没有月份。",
    "no rep had any hours that month": "该月没有销售代表有工时",
    # -- after the win
    " (part)": "（不完整）",
    "Contracts and orders signed in {results}; invoiced and collected: to the end of the run.":
        "{results}中签订的销售合同和销售订单；开票和回款：截至运行结束。",
    "no contract or order was signed in the results period.":
        "结果期内没有签订销售合同或销售订单。",
    "Bookings count a deal when the customer signs, billings when it is invoiced at the "
    "milestones of its payment plan, and cash when the customer pays, often late. Days "
    "sales outstanding (DSO) measures how long the money stays out.":
        "签单金额在客户签约时计入，开票金额在按回款计划的里程碑开票时计入，回款在客户付款时"
        "计入，付款常常延迟。应收账款周转天数（DSO）衡量资金在外停留多久。",
    "Money booked, invoiced and paid in each {period} of {results}.":
        "{results}中每个{period}的签单、开票和回款金额。",
    "Bookings, billings and cash": "签单、开票与回款",
    "Billings": "开票金额", "Cash": "回款", "Receivables at the end": "期末应收账款",
    "DSO": "应收账款周转天数",
    "Each {period} of {results}, by its first day (a part {period} is marked); receivables "
    "at its end include invoices from the warm-up still unpaid.":
        "{results}中的每个{period}，以其第一天表示（不完整的{period}会标出）；期末应收账款包括"
        "预热期开出、尚未付款的发票。",
    "the results period is empty.": "结果期为空。",
    "nothing was invoiced in the {period}": "该{period}没有开票",
    "Receivables ageing at the end": "期末应收账款账龄",
    "Days since invoiced": "开票后天数", "Invoices": "发票数", "Owed": "欠款",
    "Of which overdue": "其中逾期",
    "Invoices still owed at the end of the run, whenever they were issued (the warm-up's "
    "included).":
        "运行结束时仍未付款的发票，不论何时开出（包括预热期的）。",
    "nothing was owed at the end of the run.": "运行结束时没有欠款。",
    "Contract statistics": "销售合约的数据统计", "Kind": "种类", "Count": "数量",
    "Invoiced": "已开票", "Collected": "已回款",
    "The sales cycle in four parts": "销售周期的四个部分", "Part": "部分",
    "Average days": "平均天数",
    "Deals won in {results}, whenever created; collection: those fully paid by the end of "
    "the run.":
        "{results}中赢单的机会，不论何时创建；货款回收时间：到运行结束时已全额付款的机会。",
    "no deal was won in the results period.": "结果期内没有赢单。",
    "none of the deals won in the period was fully paid by the end":
        "本期赢单的机会到期末都未全额付款",
    # -- figures
    "{amount} ({currency})": "{amount}（{currency}）",
    "Quota met": "达到定额", "Below quota": "低于定额",
    "Bookings per {period}: amount of deals won": "每{period}签单金额：赢单的金额",
    "on {date} (end of the run)": "于 {date}（运行结束时）", "on {date}": "于 {date}",
    "Open deals: count": "在跟踪的机会：数量",
    "Open deals: amount ({currency})": "在跟踪的机会：金额（{currency}）",
    "Sales funnel: open deals by stage": "销售漏斗：各阶段在跟踪的机会",
    "Number of open deals": "在跟踪的机会数",
    "Amount of open deals ({currency})": "在跟踪的机会金额（{currency}）",
    "Pipeline by stage: number of open deals": "各阶段管道：在跟踪的机会数",
    "Pipeline by stage: amount of open deals": "各阶段管道：在跟踪的机会金额",
    "Number of leads and deals": "线索和机会数",
    "Miller Heiman levels per rep": "每位销售代表的米勒漏斗层级",
    "Miller Heiman levels: the team's stock over time": "米勒漏斗层级：团队存量随时间的变化",
    "Share of working hours (%)": "工作时间占比（%）",
    "Where the reps' time went, by Miller Heiman level": "销售代表的时间分配，按米勒漏斗层级",
    "Forecast at the period's start": "期初的销售预测", "Actual bookings": "实际签单金额",
    "Forecast range": "预测范围", "not\nclosed": "尚未\n结束",
    "Forecast against actual bookings per {period}": "每{period}销售预测与实际签单金额",
    "Bookings (deals won)": "签单金额（赢单）", "Cash (payments received)": "回款（收到的付款）",
    "How the pipeline of {period} moved: opening, moves, closing":
        "{period} 的管道如何变动：期初、变动、期末",
    "How the pipeline moved: opening, moves, closing": "管道如何变动：期初、变动、期末",
    "{n} deal": "{n} 个机会", "{n} deals": "{n} 个机会",
    "{n} change": "{n} 次变更", "{n} changes": "{n} 次变更",
    "Pipeline amount ({currency})": "管道金额（{currency}）",
    "Into it / up": "流入 / 上调", "Out of it / down": "流出 / 下调",
    "no whole period in the run yet": "运行中还没有完整的期间",
    "no deal was won in these periods": "这些期间没有赢单",
    "no open deals": "没有在跟踪的机会",
    "no open deals in this period": "本期没有在跟踪的机会",
    "one snapshot only (the funnel shows it)": "只有一个快照（见销售漏斗图）",
    "no leads or deals at any level": "各层级都没有线索或机会",
    "nothing was forecast and nothing won": "没有预测，也没有赢单",
    "no working hours recorded": "没有记录到工作时数",
    "no bookings, billings or cash in these periods": "这些期间没有签单、开票或回款",
    "no period in the run": "运行中没有期间",
    "no whole period to show": "没有可显示的完整期间",
    "no deal was in the period's pipeline or moved through it":
        "本期管道中没有机会，也没有机会经过",
    # -- the lessons' panels
    "running…": "运行中…",
    "Reps": "销售代表人数", "Proposal win rate": "方案阶段赢率",
    "{channel} budget per month": "{channel} 每月预算", "Policy": "策略",
    "Prospecting target (hours/week)": "开发客户目标（小时/周）",
    "Share of invoices paid late": "延迟付款的发票占比", "Payment terms (days)": "付款期限（天）",
    "Leads {leads}, opportunities {opportunities}, won {won}, win rate {win_rate}, bookings "
    "{bookings} {currency}":
        "销售线索 {leads}，销售机会 {opportunities}，赢单 {won}，赢单率 {win_rate}，"
        "签单金额 {bookings} {currency}",
    "total bookings {bookings} {currency} | swing of prospecting hours {swing} | deals lost to "
    "neglect {neglect}":
        "签单总额 {bookings} {currency} | 开发客户工时波动 {swing} | 因疏于跟进而丢单 {neglect}",
    "DSO: {dso} days; cash collected over the year: {cash} {currency}":
        "应收账款周转天数：{dso} 天；全年回款：{cash} {currency}",
    # -- the lessons' exercises
    "Check": "检查", "Show a hint": "显示提示", "Your answer": "你的答案",
    "Choose an answer first.": "请先选择一个答案。", "Right.": "正确。", "Not quite.": "不太对。",
    "This run gives {answer}.": "本次运行的结果是 {answer}。",
    "Try again, or open the hint.": "请再试一次，或打开提示。",
    "Too high: try again, or open the hint.": "太高了：请再试一次，或打开提示。",
    "Too low: try again, or open the hint.": "太低了：请再试一次，或打开提示。",
    # -- pages: the stress report, the debrief page, funnel forecast's text
    "{start} to {end}": "{start} 至 {end}",
    "{days}-day results period ({start} to {end})": "{days} 天的结果期（{start} 至 {end}）",
    # the stress report (funnel stress --out) and its figure
    "Stress test: {name}": "压力测试：{name}",
    "{n} open deals expected to close from {start} to {end}; {draws} Monte Carlo draws "
    "(seed {seed}). Already won in the period: {booked}. Made {today}.":
        "{n} 个在跟踪的机会预计在 {start} 至 {end} 签单；{draws} 次蒙特卡洛抽样（随机种子 "
        "{seed}）。本期已赢单：{booked}。生成于 {today}。",
    "Distribution of the period's bookings": "本期签单金额的分布",
    "Figures": "数据", "Figure": "指标", "As given": "按原样",
    "Win rates {shift} points": "赢单率 {shift} 个百分点",
    "Expected bookings (mean of the draws)": "预期签单金额（抽样平均值）",
    "Weighted forecast: booked + Σ amount × chance": "加权预测：已签单 + Σ 金额 × 签单概率",
    "P10: a bad period (one draw in ten books less)": "P10：不好的一期（十次抽样中有一次签得更少）",
    "P50: the median": "P50：中位数",
    "P90: a good period (one draw in ten books more)": "P90：好的一期（十次抽样中有一次签得更多）",
    "Chance to reach the quota": "达到销售定额的概率",
    "Bookings of the period: won so far plus the draws over the open deals.":
        "本期签单金额：目前已赢单的金额，加上对在跟踪机会的抽样。",
    "no figures": "没有数据", "Share of draws reaching the quota.": "达到销售定额的抽样占比。",
    "no quota": "没有销售定额", "no quota given": "未给出销售定额",
    "Monte Carlo error of the expected bookings: {error}.": "预期签单金额的蒙特卡洛误差：{error}。",
    "The deals that carry the risk": "承载风险的机会", "Chance to book": "签单概率",
    "Share of the variance": "方差占比",
    "Open deals expected in the period, largest share of the variance (amount² × p × "
    "(1 - p)) first.":
        "预计在本期签单的在跟踪机会，方差占比（金额² × p × (1 - p)）最大的排在前面。",
    "no open deal is expected to close in the period": "没有在跟踪的机会预计在本期签单",
    "What the history says": "历史记录说明了什么", "Closed deals": "已关闭的机会",
    "from": "下限", "to": "上限",
    "Expected in past periods": "过去各期的预计签单数", "Slipped": "延误",
    "Stages in funnel order; rates are Beta posteriors (uniform prior) with their 95% "
    "interval.":
        "各阶段按漏斗顺序排列；比率为 Beta 后验（均匀先验）及其 95% 区间。",
    "no stage": "没有阶段",
    "no closed deal reached the stage": "没有已关闭的机会到达该阶段",
    "no finished stay in the history": "历史记录中没有已结束的阶段停留",
    "no deal expected in a past period": "过去各期没有预计签单的机会",
    "Notes": "说明",
    "{n} open deal(s) expected to close before {date} (overdue) left out: re-date them to "
    "count them":
        "{n} 个预计在 {date} 之前签单的在跟踪机会（已逾期）未计入：重新填写其预计签单日期即可计入",
    "{n} open deal(s) without an expected close left out":
        "{n} 个没有预计签单日期的在跟踪机会未计入",
    "{n} open deal(s) expected to close after the period": "{n} 个在跟踪的机会预计在本期之后签单",
    "{n} deal(s) without a probability use their stage's win rate from the closed deals":
        "{n} 个没有签单概率的机会使用已关闭机会得出的所在阶段赢率",
    "{n} deal(s) in a stage no closed deal reached keep the file's probability":
        "{n} 个机会所在的阶段没有已关闭的机会到达过，沿用文件中的签单概率",
    "slip: stage(s) {stages} had no deal expected in a past period; they use the slip of all "
    "stages together":
        "延误：阶段 {stages} 在过去各期没有预计签单的机会；这些阶段使用全部阶段合计的延误率",
    "slip: no past period in the history to measure it; deals do not slip":
        "延误：历史记录中没有过去的期间可供衡量；机会不会延误",
    "Bookings as given": "按原样的签单金额",
    "Win rates {shift} points (same draws)": "赢单率 {shift} 个百分点（相同抽样）",
    "Weighted forecast": "加权预测", "Bookings in the period": "本期签单金额",
    "Share of the draws": "抽样占比",
    "What the pipeline may book: {n} draws": "管道可能签下的金额：{n} 次抽样",
    # the tournament's debrief (funnel tournament --out) and its figures
    "Tournament debrief: {name}": "竞赛复盘：{name}",
    "{teams} teams, {n} paired replications, results period {start} to {end}. Seed "
    "SHA-256 <code>{hash}</code> (of the text <code>{prefix}&lt;seed&gt;</code>). Made "
    "{today}.":
        "{teams} 个小组，{n} 次配对重复，结果期 {start} 至 {end}。随机种子的 SHA-256 为 "
        "<code>{hash}</code>（文本 <code>{prefix}&lt;seed&gt;</code> 的哈希）。生成于 {today}。",
    "Leaderboard": "排行榜", "Rank": "名次", "reference": "基准",
    "Composite score [95% CI]": "综合得分 [95% 置信区间]",
    "Bookings [95% CI]": "签单金额 [95% 置信区间]",
    "Cash collected [95% CI]": "回款金额 [95% 置信区间]",
    "Forecast error [95% CI]": "预测误差 [95% 置信区间]",
    "Means over {n} paired replications, each with its 95% confidence interval; amounts in "
    "{currency}.":
        "{n} 次配对重复的平均值，各附 95% 置信区间；金额单位 {currency}。",
    "no team ran.": "没有小组参赛。",
    "The composite score is the weighted mean of z-scores across the teams in each "
    "replication: bookings {bookings}, cash collected {cash}, forecast error {forecast} "
    "(lower error scores higher). A rank marked = is shared: the 95% CI of the paired "
    "difference in composite with the team above contains 0, so the replications cannot "
    "tell them apart. One lucky quarter does not decide this ranking: every team met the "
    "same leads in every replication.":
        "综合得分是每次重复中各小组 z 分数的加权平均：签单金额 {bookings}，回款金额 {cash}，"
        "预测误差 {forecast}（误差越小得分越高）。标有 = 的名次为并列：与上一名小组综合得分的"
        "配对差的 95% 置信区间包含 0，各次重复无法区分二者。一个幸运的季度决定不了这个排名："
        "每个小组在每次重复中遇到的都是相同的销售线索。",
    "Against the reference ({reference})": "与基准（{reference}）对比",
    "Bookings minus the reference's [95% CI]": "签单金额减基准 [95% 置信区间]",
    "Cash minus the reference's [95% CI]": "回款减基准 [95% 置信区间]",
    "Hours spent prospecting": "开发客户所用工时", " (stopped)": "（已停止）",
    "Paired differences: each replication's team figure minus the reference's on the same "
    "leads, mean and 95% CI.":
        "配对差：每次重复中小组的数值减去基准在相同线索上的数值，平均值及 95% 置信区间。",
    "Bookings over time": "签单金额随时间的变化",
    "Bookings per quarter per team": "每个小组每季度的签单金额",
    "The roller-coaster": "过山车",
    "A team stopped prospecting when, in at least {share} of the 4-week windows, a rep "
    "spent less than {hours} hour prospecting.":
        "若在至少 {share} 的 4 周窗口中，销售代表用于开发客户的时间少于 {hours} 小时，"
        "则该小组视为停止了开发客户。",
    "no team stopped prospecting, so there is no roller-coaster to show":
        "没有小组停止开发客户，因此没有过山车可显示",
    "They are {teams}.": "它们是 {teams}。",
    " For contrast, {team}, which kept prospecting.": "作为对比，{team} 坚持了开发客户。",
    " The first rep of each, in the first replication: a rep who stops prospecting while "
    "late deals need closing finds the top of the funnel dry, prospects in a rush, and about "
    "one sales cycle later bookings slump.":
        "图中是各小组第一位销售代表在第一次重复中的情况：忙于收尾后期机会而停止开发客户的"
        "代表会发现漏斗顶部干涸，于是仓促开发客户，约一个销售周期后签单下滑。",
    "Prospecting hours and Above-the-Funnel stock over time":
        "开发客户工时与漏斗之上存量随时间的变化",
    "Submissions left out": "未纳入的提交",
    "no forecast from {teams}: forecast error n/a, and the composite weighs the other terms "
    "alone":
        "{teams} 没有提交预测：预测误差不适用，综合得分只按其他各项加权",
    "one team only: its composite is 0 (it is compared with itself); read its metrics and "
    "its difference to the reference":
        "只有一个小组：其综合得分为 0（与自身比较）；请看它的各项指标及其与基准的差",
    "teams marked = share a rank: the 95% CI of the paired difference in composite with the "
    "team above contains 0":
        "标有 = 的小组名次并列：与上一名小组综合得分的配对差的 95% 置信区间包含 0",
    "the results period was raised from {days} to {need} days to cover {quarters} whole "
    "quarters":
        "结果期从 {days} 天延长到 {need} 天，以覆盖 {quarters} 个完整季度",
    "{team} (reference)": "{team}（基准）",
    "Bookings ({currency})": "签单金额（{currency}）",
    "Bookings per quarter, mean over the replications": "每季度签单金额，各次重复的平均值",
    "Prospecting hours\nper 4 weeks": "每 4 周\n开发客户工时",
    "Leads Above\nthe Funnel": "漏斗之上的\n销售线索",
    "Day of the results period": "结果期的第几天",
    "The roller-coaster: one rep's prospecting and top of the funnel (first replication)":
        "过山车：一位销售代表的开发客户与漏斗顶部（第一次重复）",
    # funnel forecast's printed text
    "Funnel Sandbox: {name}, forecast per {period} made on its first day with {believed} "
    "(seed {seed})":
        "销售漏斗沙盘：{name}，每{period}第一天所做的销售预测，按{believed}（随机种子 {seed}）",
    "the true win rates": "真实的赢单率", "assumed win rates {rates}": "假定的赢单率 {rates}",
    "  n/a: no whole {period} lies in the {results}, so there is no forecast to score\n  "
    "(a {period} counts once it starts and ends inside the results period; a longer --days "
    "gives some)":
        "  不适用：{results}内没有完整的{period}，因此没有可评估的销售预测\n"
        "  （{period}的起止都在结果期内才计入；更长的 --days 会有）",
    "quota": "定额", "forecast": "预测", "best case": "最佳情况", "actual": "实际",
    "error": "误差", "attained": "完成率", "category": "类别", "deals": "机会数",
    "amount": "金额", "slipped": "延误",
    "quota and attained n/a: the scenario sets no quota (forecast.quota_per_period = 0)":
        "定额和完成率不适用：情景未设定销售定额（forecast.quota_per_period = 0）",
    "error n/a: nothing was booked in that {period}, so an error in percent of the bookings "
    "is undefined":
        "误差不适用：该{period}没有签单，相对于签单金额的百分比误差无定义",
    "  amounts in {currency}; ": "  金额单位 {currency}；",
    "bias {bias} (mean signed error), mean absolute error {mape}, {within} of periods within "
    "5%":
        "偏差 {bias}（带符号误差的平均值），平均绝对误差 {mape}，{within} 的期间误差在 5% 以内",
    "bias, mean absolute error and periods within 5% n/a: no whole {period} had bookings to "
    "score the forecast against":
        "偏差、平均绝对误差和误差在 5% 以内的期间不适用：没有任何完整的{period}有签单可用来"
        "评估销售预测",
    "  the owners' categories at those forecasts, and what became of them by the {period}'s "
    "end:":
        "  这些预测时负责人所归的类别，以及到{period}结束时它们的结果：",
    "  (won, slipped: still open at the end, lost: shares of the amount; commit deals that "
    "missed their\n  expected close: {missed}, against 20-44% in industry surveys)":
        "  （赢单、延误：期末仍在跟踪、丢单：均为金额占比；错过预计签单日期的承诺类机会：\n"
        "  {missed}，行业调查中为 20-44%）",
    "n/a, no commit deal": "不适用，没有承诺类机会",
    # (end of pages)
    # -- lesson 00: start here
    # (end of lesson 00)
    # -- lesson 01: leads and channels
    "Leads and opportunities": "销售线索与销售机会",
    "Cost per won deal ({currency})": "每笔赢单的成本（{currency}）",
    "{amount} a lead": "每条线索 {amount}", "no deal won": "没有赢单",
    "Became opportunities (%)": "转为销售机会（%）",
    "Speed to lead: wait for a first contact (leads)": "线索响应速度（线索数）",
    "Opportunities: inbound (pull)": "销售机会：集客营销（拉）",
    "Opportunities: outbound (push)": "销售机会：推播营销（推）",
    "Leads by channel: what they cost and how fast they were answered":
        "各渠道的销售线索：成本与响应速度",
    "within 1 hour": "1小时内", "1 to 4 hours": "1-4小时", "4 to 24 hours": "4-24小时",
    "over a day": "超过一天", "never answered": "未响应",
    "Leads {leads}: {fast} answered within an hour, median wait {hours} h; {share} became "
    "opportunities. Cost per won deal: inbound {inbound}, outbound {outbound} {currency}.":
        "销售线索 {leads} 条：{fast} 在 1 小时内得到响应，等待时间中位数 {hours} 小时；{share} "
        "转为销售机会。每笔赢单的成本：集客营销 {inbound}，推播营销 {outbound} {currency}。",
    "Share of leads that became opportunities": "转为销售机会的线索占比",
    "Today the team has {n} reps. Choose another team size and predict: will the <b>share "
    "of leads that become opportunities</b> be higher or lower?":
        "现在团队有 {n} 名销售代表。请选择另一个团队规模并预测：<b>转为销售机会的线索占比</b>"
        "会更高还是更低？",
    # (end of lesson 01)
    # -- lesson 02: stages and win rates
    "Planned: w[k] / w[k+1]": "计划：w[k] / w[k+1]", "Seen in the run": "本次运行所见",
    "Chance to move on to the next stage (after the last: the signature)":
        "进入下一阶段的机会（最后阶段之后：签约）",
    "Where deals drop out: the plan and the run": "机会在哪里流失：计划与运行",
    "Wrong: every deal ever created, tracked or not": "错误：所有创建过的机会，不论是否在跟踪",
    "Every deal: count": "所有机会：数量", "Overall win rate": "总体赢单率",
    "Every deal: amount ({currency})": "所有机会：金额（{currency}）",
    "Your prediction": "你的预测", "it goes up": "上升", "it goes down": "下降",
    "it stays the same, up to luck": "不变（差异在运气范围内）",
    "{metric}: {today} today, {yours} with your setting ({n} paired runs). The 95% interval of "
    "the difference runs from {low} to {high}: {went}.":
        "{metric}：现在 {today}，按你的设置 {yours}（{n} 次配对运行）。差异的 95% 区间为 "
        "{low} 至 {high}：{went}。",
    # (end of lesson 02)
    # -- lesson 03: the sales cycle and velocity
    "Plan (selling time)": "计划（销售时间）", "Won deals": "赢单",
    "Days (mean per deal)": "天数（每笔机会平均）", "untagged": "未归类",
    "The sales cycle in four parts: plan and won deals": "销售周期的四个部分：计划与赢单",
    "{stage}: the rep's work (hours)": "{stage}：销售代表工作量（小时）",
    "{stage}: days a waiting deal takes to rot": "{stage}：等待中的机会停滞所需天数",
    "Won deals' cycle {cycle} days (plan {plan}) | velocity {velocity} {currency} a day | "
    "rotting deals {rotting} | lost to neglect {neglect} ({amount} {currency})":
        "赢单的销售周期 {cycle} 天（计划 {plan}）| 销售速度 每天 {velocity} {currency} | "
        "停滞的机会 {rotting} | 因疏于跟进而丢单 {neglect}（{amount} {currency}）",
    "Sales velocity ({currency} a day)": "销售速度（每天 {currency}）",
    # (end of lesson 03)
    # -- lesson 04: the opportunity view and the forecast
    "Owners' optimism": "负责人的乐观程度", "{stage} win rate": "{stage} 赢率",
    "first-day forecast bias {bias} | deals called commit / best case / pipeline {commit} / "
    "{best} / {pipeline} | commit deals that missed their date {slipped} | commit amount won "
    "in its {period} {won}":
        "期初预测偏差 {bias} | 承诺 / 最佳情况 / 管道的机会数 {commit} / {best} / {pipeline} | "
        "错过预计签单日期的承诺机会 {slipped} | 承诺金额在本{period}赢单 {won}",
    "won in the period": "在本期赢单", "slipped out of it": "推迟出本期",
    "no deals in this category": "此类别没有机会",
    "Share of the category's amount (%)": "占该类别金额的比例（%）",
    "What became of each forecast category": "各预测类别的结果",
    # (end of lesson 04)
    # -- lesson 05: the limits of the classic funnel
    "Days in the results period": "结果期天数",
    "team: win rate {team} over {n} deals (luck alone: {team_luck} points) | reps: from "
    "{low} to {high}, about {per_rep} deals each (luck alone: {rep_luck} points)":
        "团队：{n} 个机会的赢单率 {team}（仅凭运气：{team_luck} 个百分点）| 销售代表：从 {low} "
        "到 {high}，每人约 {per_rep} 个机会（仅凭运气：{rep_luck} 个百分点）",
    "Where luck alone puts a rate (95%)": "仅凭运气赢单率会落在的范围（95%）",
    "Win rate seen": "观察到的赢单率", "Team's win rate": "团队赢单率",
    "{rate}% of {n}": "{n} 个中的 {rate}%",
    "Win rate: won of the deals decided in the period (%)": "赢单率：本期已决机会中赢单的比例（%）",
    "Each rep's win rate against the team's": "每位销售代表的赢单率与团队赢单率对比",
    "Belief: points above the true win rates": "认定的赢率：比真实阶段赢率高出的百分点",
    "it errs higher than with the true win rates": "比用真实赢率时偏高",
    "it errs lower than with the true win rates": "比用真实赢率时偏低",
    "about the same": "大致相同",
    "The forecast on a quarter's first day": "季度第一天的销售预测",
    "With your belief the forecast made on each quarter's first day errs by {mine}% on "
    "average, against {truth}% with the true win rates: a paired difference of {diff} points "
    "(95% interval {low} to {high}) over {n} replications. The manager believes the chance of "
    "making quota is {believed}; the team made it in {made} of the quarters.":
        "按你认定的赢率，每季度第一天做出的销售预测平均偏差 {mine}%，用真实赢率时为 {truth}%："
        "在 {n} 次重复运行中，配对差为 {diff} 个百分点（95% 置信区间 {low} 至 {high}）。"
        "经理认为完成定额的概率是 {believed}；团队实际在 {made} 的季度完成了定额。",
    # (end of lesson 05)
    # -- lesson 06: Miller Heiman and the roller-coaster
    "Bookings per quarter": "每季度签单金额",
    "Each rep's levels, and the team's bookings": "每位销售代表的层级，以及团队的签单金额",
    "Day of the results period (start of each 4 weeks)": "结果期中的天数（每 4 周的起点）",
    "Prospecting hours": "开发客户工时", "Prospecting hours per 4 weeks": "每 4 周的开发客户工时",
    "Bookings per quarter, side by side": "每季度签单金额对比",
    "{order}, with no limit on closing effort": "{order}，不限制成交投入",
    "Way of working": "工作方式",
    "Prospecting hours, against Miller Heiman": "开发客户工时，与米勒漏斗模型相比",
    "Total bookings, against Miller Heiman": "签单总额，与米勒漏斗模型相比",
    "steadier": "更平稳", "more erratic": "更不稳定", "no clear difference": "没有明显差别",
    "more": "更多", "fewer": "更少",
    "Over {n} paired replications: swing of each rep's prospecting hours {mine} against "
    "{theirs} with Miller Heiman (95% interval of the difference {low} to {high}): "
    "{steadiness}. Total bookings {booked} against {mh} (interval {blow} to {bhigh}): {more}.":
        "在 {n} 次配对的重复运行中：每位销售代表开发客户工时的波动为 {mine}，米勒漏斗模型为 "
        "{theirs}（差值的 95% 置信区间 {low} 至 {high}）：{steadiness}。签单总额 {booked}，"
        "米勒漏斗模型为 {mh}（区间 {blow} 至 {bhigh}）：{more}。",
    # (end of lesson 06)
    # -- lesson 07: contracts, orders and collections
    "Cash collected over the year": "全年回款",
    # (end of lesson 07)
    # -- lesson 08: the manager's stress test
    "{deals} open deals expected this quarter | CRM's weighted forecast {forecast} "
    "{currency} | fitted to the history: P10 {p10}, P50 {p50}, P90 {p90} | chance of "
    "quota {chance}":
        "本季度预计签单的跟踪中销售机会 {deals} 个 | CRM 加权销售预测 {forecast} {currency} | "
        "按历史拟合：P10 {p10}，P50 {p50}，P90 {p90} | 完成销售定额的概率 {chance}",
    # (end of lesson 08)
    # -- lesson 09: trusting a simulation
    "Deals arriving per week": "每周到达的销售机会",
    "one replication": "一次重复运行",
    "mean and 95% CI": "均值及 95% 置信区间",
    "Erlang C: {wait} hours": "Erlang C 公式：{wait} 小时",
    "Mean wait (hours)": "平均等待（小时）",
    "{reps} reps of {hours} hours a day, {load} of them busy on average":
        "{reps} 名销售代表，每天 {hours} 小时，平均 {load} 名在忙",
    "simulated mean wait {mean} hours (95% CI {lo} to {hi}) | Erlang C {exact} hours | "
    "reps busy {busy}":
        "模拟的平均等待 {mean} 小时（95% 置信区间 {lo} 至 {hi}）| Erlang C 公式 {exact} 小时 | "
        "销售代表忙碌 {busy}",
    # (end of lesson 09)
}
"""The Chinese of every text, by its English (the key)."""
