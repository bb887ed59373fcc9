"""The demo set: every document reachable, configs valid, seed bodies clean of copy-site chrome."""

from __future__ import annotations

from eduwatch.config import PortalConfig
from localportals import sample_sites
from tests.localportals.conftest import fetch

EXPECTED = {"huilai": ("gkmlpt", 13), "longchuan_jyj": ("gkmlpt", 9), "jieyang_jyj": ("gkmlpt", 6),
            "huantai_jyt": ("hanweb", 16), "qingdao_jyj": ("trs", 12), "govcn": ("govcn", 8),
            "huantai": ("generic", 13)}


def test_sample_set_shape():
    sites = sample_sites()
    assert {name: (s.family_name, len(s.docs)) for name, s in sites.items()} == EXPECTED
    for site in sites.values():
        assert len({d.id for d in site.docs}) == len(site.docs)
        assert len({d.title for d in site.docs}) == len(site.docs)


def test_every_sample_document_is_served_with_its_title(sample_portals):
    for server in sample_portals.values():
        site = server.site
        config = PortalConfig(**site.portal_config())
        assert config.base_url == server.base_url
        for url in config.list_urls:
            assert fetch(url).status == 200
        for doc in site.docs:
            page = fetch(site.url(doc.id))
            assert page.status == 200, site.url(doc.id)
            assert f'<meta name="ArticleTitle" content="{doc.title}">' in page.text.replace("&quot;", '"')


def test_seed_bodies_carry_no_copy_site_chrome():
    bodies = [d.body for s in sample_sites().values() for d in s.docs]
    text = "\n".join(bodies)
    for chrome in ("长者助手", "浏览次数", "【打印】", "政府信息公开 规章库", "1. 首页", "上传人", "装配图网"):
        assert chrome not in text
    assert sum("乡村" in b and "教育" in b for b in bodies) >= 5
