from pathlib import Path

import pytest

from crawler.challenge import detect_challenge, has_real_content

SAMPLES = Path("/work/shared/samples")
RUISHU_HEAD = (SAMPLES / "trs_nmpa_detail_head_with_ruishu_REAL_excerpt.html").read_text("utf-8")

ARTICLE = (
    "<body><div class='article'><h1>2020年09月11日药品批准证明文件待领取信息发布</h1>"
    "<div class='TRS_Editor'>"
    + "<p>以下药品批准证明文件已制作完成，请申请人携带受理通知书原件到国家药品监督管理局行政受理服务大厅领取。</p>" * 6
    + "</div></div></body></html>"
)

RUISHU_CHALLENGE_412 = (
    b"<!DOCTYPE html><html><head><meta http-equiv='Content-Type' content='text/html; charset=utf-8'>"
    b'<meta content="{qqqqqqhF.QBiHq7YuBqkcCQqqqqql5120~RDbyRkl9kUfS1A1mltPpyJTSrsVTdr17">'
    b"<script type='text/javascript' r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=12345;</script>"
    b"<script type='text/javascript' charset='iso-8859-1' src='/ZvbYc1RuNkYg/6LweYeYIFMkG.a670748.js' r='m'></script>"
    b"</head><body></body></html>"
)


def test_ruishu_412_is_a_challenge():
    reason = detect_challenge(412, {"Content-Type": "text/html"}, RUISHU_CHALLENGE_412)
    assert reason is not None and "瑞数" in reason and "412" in reason and "$_ts" in reason


def test_bare_412_is_a_challenge():
    assert "瑞数" in detect_challenge(412, {}, b"")


def test_ruishu_200_without_content_is_a_challenge():
    reason = detect_challenge(200, {}, RUISHU_CHALLENGE_412)
    assert reason is not None and "瑞数" in reason and "r='m' loader" in reason


def test_real_ruishu_residue_head_alone_has_no_content_and_is_flagged():
    reason = detect_challenge(200, {"content-type": "text/html; charset=utf-8"}, RUISHU_HEAD.encode("utf-8"))
    assert reason is not None and "{qqqq" in reason


def test_real_page_with_ruishu_residue_is_not_a_challenge():
    page = (RUISHU_HEAD + ARTICLE).encode("utf-8")
    assert has_real_content(page.decode("utf-8"))
    assert detect_challenge(200, {"Content-Type": "text/html; charset=utf-8"}, page) is None


def test_real_page_with_title_meta_and_a_short_body_is_not_a_challenge():
    short = "<body><div id='zoom'><p>2020年09月11日药品批准证明文件待领取信息发布，详见附件清单。请申请人按时领取，逾期不领取的将按规定处理。</p></div></body></html>"
    assert detect_challenge(200, {}, (RUISHU_HEAD + short).encode("utf-8")) is None


def test_jiasule_tiny_js_page_with_jsluid_cookie():
    body = b"<html><script>document.cookie=('_')+('_jsl_clearance')+('=1600000000.1|0|abc');location.href=location.pathname+location.search</script></html>"
    headers = {"SET-COOKIE": "__jsluid_h=3d2f7a; max-age=31536000; path=/; HttpOnly"}
    reason = detect_challenge(521, headers, body)
    assert reason is not None and "加速乐" in reason
    assert "加速乐" in detect_challenge(200, headers, body)


def test_jsluid_cookie_on_a_real_page_is_not_a_challenge():
    headers = {"Set-Cookie": "__jsluid_h=3d2f7a; path=/"}
    page = ("<html><head><script>var a=1;</script></head>" + ARTICLE).encode("utf-8")
    assert detect_challenge(200, headers, page) is None


def test_wzws_cookie_challenge_and_scrapy_style_headers():
    body = b"<html><head><script>var wzwschallenge='abc';window.location='/?wzwschallenge=1';</script></head><body></body></html>"
    headers = {b"Set-Cookie": [b"wzws_cid=9f8e7d; path=/; HttpOnly"]}
    reason = detect_challenge(200, headers, body)
    assert reason is not None and "wzws" in reason


def test_safedog_block_page():
    body = "<html><body><p>网站防火墙</p><p>您的请求带有不合法参数</p></body></html>".encode("utf-8")
    assert "安全狗" in detect_challenge(403, {"Server": "Safedog/4.0"}, body)


@pytest.mark.parametrize("status", [200, 404, 500])
def test_ordinary_pages_are_not_challenges(status):
    assert detect_challenge(status, {"Content-Type": "text/html"}, ("<html>" + ARTICLE).encode("utf-8")) is None
    assert detect_challenge(status, {}, b"<html><body>Not Found</body></html>") is None


def test_decoded_text_is_accepted_too():
    assert "瑞数" in detect_challenge(200, {}, RUISHU_CHALLENGE_412.decode("utf-8"))
    assert detect_challenge(200, {}, RUISHU_HEAD + ARTICLE) is None
