"""Server behaviour shared by all families: conditional GET, counters, robots, request log, faults."""

from __future__ import annotations

import email.utils
import http.client
import time

import pytest

from localportals import Faults, MultiSiteServer, PortalServer, synthetic_site
from localportals.faults import CHALLENGE_COOKIE
from tests.localportals.conftest import fetch


def test_conditional_get_etag_and_last_modified(trs_portal):
    site = trs_portal.site
    site.conditional = True
    for url in (site.list_urls()[0], site.url(6310466)):
        first = fetch(url)
        etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
        assert first.status == 200 and etag.startswith('"')
        assert fetch(url, {"If-None-Match": etag}).status == 304
        assert fetch(url, {"If-Modified-Since": modified}).status == 304
        assert fetch(url, {"If-None-Match": '"other"', "If-Modified-Since": modified}).status == 200
    statuses = [(r.status, "If-None-Match" in r.headers, "If-Modified-Since" in r.headers) for r in trs_portal.log]
    assert statuses == [(200, False, False), (304, True, False), (304, False, True), (200, True, True)] * 2


def test_edit_changes_etag_and_last_modified(trs_portal):
    site = trs_portal.site
    site.conditional = True
    url = site.url(6310466)
    first = fetch(url)
    site.edit_body(6310466, "结对率达到100%", "结对率达到95%")
    assert fetch(url, {"If-None-Match": first.headers["ETag"]}).status == 200
    changed = fetch(url, {"If-Modified-Since": first.headers["Last-Modified"]})
    assert changed.status == 200 and "结对率达到95%" in changed.text
    assert email.utils.parsedate_to_datetime(changed.headers["Last-Modified"]) > \
        email.utils.parsedate_to_datetime(first.headers["Last-Modified"])


def test_conditional_off_by_default(trs_portal):
    page = fetch(trs_portal.site.url(6310466))
    assert "ETag" not in page.headers and "Last-Modified" not in page.headers
    assert fetch(trs_portal.site.url(6310466), {"If-Modified-Since": "Sun, 01 Jan 2090 00:00:00 GMT"}).status == 200


def test_view_counter_changes_bytes_and_etag(generic_portal):
    site = generic_portal.site
    site.conditional = site.view_counter = True
    first, second = fetch(site.url(5001)), fetch(site.url(5001))
    assert '<span id="views">1</span>' in first.text and '<span id="views">2</span>' in second.text
    assert first.headers["ETag"] != second.headers["ETag"]
    site.view_counter = False
    assert fetch(site.url(5001)).body == fetch(site.url(5001)).body


def test_robots_and_request_log(gkmlpt_portal):
    site = gkmlpt_portal.site
    site.robots_disallow = ["/gkmlpt/content/1/1917/"]
    robots = fetch(gkmlpt_portal.root_url + "/robots.txt")
    assert robots.text == "User-agent: *\nDisallow: /gkmlpt/content/1/1917/\n"
    gkmlpt_portal.reset_log()
    fetch(gkmlpt_portal.base_url + "/gkmlpt/index?x=1", {"User-Agent": "eduwatch-test"})
    [record] = gkmlpt_portal.log
    assert (record.method, record.target, record.status) == ("GET", "/gkmlpt/index?x=1", 200)
    assert record.headers["User-Agent"] == "eduwatch-test"
    assert site.requests_to("/gkmlpt/index") == [record]
    assert site.requests_to(site.detail_path(1917003)) == []  # the count a robots test asserts on


def test_challenge_every_path(hanweb_portal):
    hanweb_portal.site.faults.challenge = True
    page = fetch(hanweb_portal.site.list_urls()[0])
    assert page.status == 412
    assert "$_ts" in page.text and "r='m'" in page.text
    assert page.headers["Set-Cookie"].startswith(CHALLENGE_COOKIE)
    assert fetch(hanweb_portal.root_url + "/robots.txt").status == 412


def test_challenge_listed_paths_only(govcn_portal):
    site = govcn_portal.site
    site.faults.challenge_paths.add("/zhengce/zuixin.htm")
    assert fetch(site.list_urls()[0]).status == 412
    assert fetch(site.list_urls()[1]).status == 200


def test_flaky_then_ok(trs_portal):
    index = trs_portal.site.list_urls()[0]
    path = trs_portal.site.options["list_path"] + "/index.shtml"
    trs_portal.site.faults.flaky[path] = 2
    assert [fetch(index).status for _ in range(4)] == [503, 503, 200, 200]


def test_truncated_detail_announces_the_whole_length_and_hangs_up_halfway(trs_portal):
    site = trs_portal.site
    whole = fetch(site.url(6310466)).body
    site.faults.truncated.add(6310466)
    connection = http.client.HTTPConnection("127.0.0.1", trs_portal.port, timeout=10)
    connection.request("GET", site.detail_path(6310466))
    answer = connection.getresponse()
    assert answer.status == 200 and int(answer.getheader("Content-Length")) == len(whole)
    with pytest.raises(http.client.IncompleteRead) as cut:
        answer.read()
    connection.close()
    assert cut.value.partial == whole[: len(whole) // 2]


def test_short_truncation_has_honest_length(trs_portal):
    site = trs_portal.site
    whole = fetch(site.url(6310466)).body
    site.faults.truncated.add(6310466)
    site.faults.truncation = "short"
    cut = fetch(site.url(6310466))
    assert cut.status == 200 and int(cut.headers["Content-Length"]) == len(cut.body) == len(whole) // 2
    assert whole.startswith(cut.body) and b"</html>" not in cut.body


def test_500_detail(gkmlpt_portal):
    site = gkmlpt_portal.site
    site.faults.error_500.add(site.detail_path(1931056))
    assert fetch(site.url(1931056)).status == 500
    assert fetch(site.url(1917003)).status == 200


def test_fresh_fault_objects_are_independent():
    assert Faults().flaky == {} and Faults().error_500 is not Faults().error_500


def test_multisite_server_many_sites_few_threads():
    import threading

    sites = [synthetic_site(("gkmlpt", "hanweb", "trs", "govcn", "generic")[n % 5], 12, seed=n) for n in range(260)]
    before = threading.active_count()
    with MultiSiteServer(sites, workers=8) as server:
        assert threading.active_count() - before <= 1 + 8
        assert sites[0].base_url == f"http://127.0.1.1:{server.port}"
        assert sites[254].base_url.startswith("http://127.0.2.1:")
        for site in (sites[0], sites[131], sites[259]):
            first = site.docs[0]
            page = fetch(site.url(first.id))
            assert page.status == 200 and first.title in page.text
            assert [r.status for r in site.log] == [200]
        assert sites[1].log == []


def test_synthetic_site_is_deterministic_and_has_education_docs():
    a, b = synthetic_site("trs", 200, seed=7), synthetic_site("trs", 200, seed=7)
    assert [(d.id, d.title, d.index_no) for d in a.docs] == [(d.id, d.title, d.index_no) for d in b.docs]
    assert len({d.index_no for d in a.docs}) == 200
    assert sum(d.category == "教育" for d in a.docs) == 10
    assert synthetic_site("trs", 200, seed=8).docs[0].index_no != a.docs[0].index_no
    started = time.perf_counter()
    synthetic_site("gkmlpt", 2000, seed=3)
    assert time.perf_counter() - started < 2.0


def test_waf_cookie_redirect_to_the_same_url(trs_portal):
    site = trs_portal.site
    index = site.list_urls()[0]
    site.faults.cookie_redirect = "once"
    connection = http.client.HTTPConnection("127.0.0.1", trs_portal.port, timeout=10)
    connection.request("GET", site.family.list_paths(site)[0])
    first = connection.getresponse()
    first.read()
    connection.close()
    assert first.status == 302 and first.getheader("Location") == index
    cookie = first.getheader("Set-Cookie").split(";", 1)[0]
    assert cookie.startswith("HWWAFSESID=")
    assert fetch(index, {"Cookie": cookie}).status == 200
    site.faults.cookie_redirect = "loop"
    connection = http.client.HTTPConnection("127.0.0.1", trs_portal.port, timeout=10)
    connection.request("GET", site.family.list_paths(site)[0], headers={"Cookie": cookie})
    assert connection.getresponse().status == 302
    connection.close()
