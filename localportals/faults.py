"""Misbehaviour a real portal shows, switched on per site so each crawler defence can be tested.

Paths in these sets are server paths without the query (``/gkmlpt/content/1/1000/post_1000001.html``);
``error_500`` and ``truncated`` also accept document ids. Truncation comes in two kinds
(``Faults.truncation``):

* ``"dataloss"`` (default) — what a real server does when a worker dies or a proxy times out
  mid-transfer: it announces the whole page's Content-Length, sends the first half and closes
  the connection. The HTTP exchange itself is broken; Scrapy reports data loss.
* ``"short"`` — an honest Content-Length for half a page, the way a CMS that crashed
  mid-template answers: the HTTP exchange is valid, only the HTML shows the cut.
"""

from __future__ import annotations

from dataclasses import dataclass, field

CHALLENGE_COOKIE = "FSSBBIl1UgzbN7NO"  # 瑞数 first-visit cookie name (T-cookie pair: …O / …P)
WAF_COOKIE = "HWWAFSESID"  # a cloud WAF's session cookie, set by a 302 to the same URL


@dataclass
class Faults:
    challenge: bool = False  # every request answers the 瑞数 challenge (412)
    challenge_paths: set[str] = field(default_factory=set)  # …or only these paths
    challenge_status: int = 412  # some installs answer 200 with the same page
    flaky: dict[str, int] = field(default_factory=dict)  # path -> first N requests answer 503
    error_500: set[object] = field(default_factory=set)  # paths or doc ids answering 500
    truncated: set[object] = field(default_factory=set)  # paths (any page or file) or doc ids cut in half
    truncation: str = "dataloss"  # "dataloss": full Content-Length, half the bytes | "short": honest length
    # A WAF in front of the portal: a request without its cookie gets a 302 to the same URL that
    # sets it. "once": the cookie lets the next request through | "per_path": the first request
    # for every path is redirected (a fresh cookie each time) | "loop": the cookie never helps.
    cookie_redirect: str = ""

    def challenged(self, path: str) -> bool:
        return self.challenge or path in self.challenge_paths


def challenge_page() -> str:
    """The page a 瑞数-protected site returns before the browser has run its script."""
    return (
        "<!DOCTYPE html>\n<html><head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n"
        "<meta content=\"{qqqqqqhF.QBiHq7YuBqkcCQqqqqql5120~RDbyRkl9kUfS1A1mltPpyJTSrsVTdr17LKsYN1nmJ11TS1TTW3lp7_2B"
        ".FHmWXPovteRT6TD684JA01OqUIJK5PoZQXrnSV6dMFN3CbhlIe2zunomVdRedlnzAtmju1vX3zzM_co1F8TdbYstV8egZ6Ol1JJcvoU\" r='m'>"
        "<!--[if lt IE 9]><script r='m'>document.createElement(\"section\")</script><![endif]-->"
        "<script type=\"text/javascript\" r='m'>$_ts=window['$_ts'];if(!$_ts)$_ts={};$_ts.nsd=82016;"
        "$_ts.cd=\"qEcmrrAlDGWlrGAmrAVqcrQrDGWlmsl9qq3mqaAmcaQrrsWFpGQlmPVqcaQlrGQrra3mrsAmDGLlmsQqcaVmrGVFrGAmHql\";</script>"
        "<script type=\"text/javascript\" charset=\"iso-8859-1\" src=\"/ZvbYc1RuNkYg/6LweYeYIFMkG.a670748.js\" r='m'></script>\n"
        "</head><body></body></html>\n"
    )
