"""Noise normalisation: what must never count as a change, and what must stay content."""

from __future__ import annotations

import pytest

from monitor.changes.textnorm import clean_text, comparison_key

PARAGRAPH = "（一）加强组织领导。建立工作推进机制，确定重点项目清单。"


@pytest.mark.parametrize(
    "noisy",
    [
        "浏览次数：123",
        "浏览次数: 45 次",
        "【浏览次数：12】",
        "访问量 45",
        "阅读：6",
        "阅读 12",
        "阅读 12 次",
        "点击数：1,024",
        "浏览次数：-",
        "今天是：2026年11月22日 星期日",
        "当前时间：2026-11-22 10:00:03",
        "2026年11月22日 星期日",
        "当前位置：首页 > 政务公开 > 通知公告",
        "【字体：大 中 小】",
        "字号：大 中 小",
        "【打印】 【关闭】",
        "分享到：微信 微博 QQ空间",
        "主办单位：桓台县人民政府　承办单位：桓台县人民政府办公室",
        "网站标识码：3703210001　ICP备05012345号-1　公网安备 37030302000123号",
        "建议使用1280×800分辨率浏览　网站地图　联系我们",
    ],
)
def test_noise_lines_disappear(noisy: str) -> None:
    assert clean_text(f"{PARAGRAPH}\n{noisy}\n{PARAGRAPH}") == f"{PARAGRAPH}\n{PARAGRAPH}"


def test_counter_inside_a_line_is_cut_out_and_the_rest_kept() -> None:
    assert clean_text("发布日期：2023-09-18　浏览次数：318　【字体：大 中 小】") == "发布日期：2023-09-18"


@pytest.mark.parametrize(
    "content",
    [
        "要求每名学生每学期阅读3本书。",  # 阅读 followed by a number is a counter only at a boundary
        "阅读 12本书",
        "每学期阅读 12 篇文章",
        "今天开会研究乡村学校布局。",  # 今天 without a date is an ordinary word
        "到2027年，所有镇驻地学校相关生均指标达到省定Ⅱ类以上办学条件标准。",
        "2023年9月18日",  # a signature date without a weekday is content
        "建议使用财政资金支持乡村学校建设。",  # 建议使用 without 分辨率/浏览器 is content
        "点击率不是本文的内容，访问量是。",
    ],
)
def test_content_is_kept(content: str) -> None:
    assert clean_text(content) == content


def test_whitespace_is_tidied_per_line_and_blank_lines_dropped() -> None:
    raw = "  一、工作目标 \r\n\r\n\u3000\u3000到2027年，\t城乡一体 \n\n\n三、组织保障\u00a0"
    assert clean_text(raw) == "一、工作目标\n到2027年， 城乡一体\n三、组织保障"


def test_width_and_whitespace_do_not_change_the_comparison_key() -> None:
    printed = "各镇人民政府，街道办事处：\n到２０２７年，县域内４５周岁以下（含副校长）"
    reflowed = "各镇人民政府,街道办事处:到2027年, 县域内45周岁以下 (含副校长)"
    assert comparison_key(printed) == comparison_key(reflowed)
    assert comparison_key(printed) == "各镇人民政府,街道办事处:到2027年,县域内45周岁以下(含副校长)"


def test_a_real_edit_changes_the_comparison_key() -> None:
    assert comparison_key("组建3个教育集团") != comparison_key("组建5个教育集团")
    assert comparison_key("浏览次数：3\n组建3个教育集团") == comparison_key("浏览次数：9\n组建3个教育集团")


def test_empty_and_none() -> None:
    assert clean_text(None) == "" and clean_text("") == "" and comparison_key(None) == ""
    assert clean_text("浏览次数：5\n\n") == ""
