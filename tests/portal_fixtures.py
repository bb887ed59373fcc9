"""pytest fixtures serving the local imitation portals (registered from tests/conftest.py).

Every fixture builds fresh sites, so a test may mutate its portal freely.

* ``serve_portal(site) -> PortalServer``  factory: starts a server for any Site, stops it at teardown
* ``gkmlpt_portal``   惠来县人民政府 (gkmlpt at the root, seed 001)
* ``gkmlpt_prefixed_portal``  龙川县教育局 under /lcxjyj (seed 003 as attachment-only .docx)
* ``gkmlpt_repost_portal``    揭阳市教育局 under /jyj (repost of seed 001, messy 文号)
* ``hanweb_portal``   桓台县教育和体育局 (hanweb, perpage 3 so dataproxy paging is exercised; PDF repost of seed 000)
* ``hanweb_gbk_portal``  the same site served in GBK
* ``trs_portal``      青岛市教育局 (TRS, seed 004)
* ``govcn_portal``    www.gov.cn policy library
* ``generic_portal``  桓台县人民政府 gongkai (seed 000)
* ``sample_portals``  dict name -> PortalServer for all of the above (UTF-8 hanweb)
"""

from __future__ import annotations

from typing import Callable, Iterator

import pytest

from localportals import PortalServer, Site, sample_sites
from localportals import samples


@pytest.fixture
def serve_portal() -> Iterator[Callable[[Site], PortalServer]]:
    servers: list[PortalServer] = []

    def serve(site: Site) -> PortalServer:
        server = PortalServer(site).start()
        servers.append(server)
        return server

    yield serve
    for server in servers:
        server.stop()


@pytest.fixture
def gkmlpt_portal(serve_portal: Callable[[Site], PortalServer]) -> PortalServer:
    return serve_portal(samples.huilai_site())


@pytest.fixture
def gkmlpt_prefixed_portal(serve_portal: Callable[[Site], PortalServer]) -> PortalServer:
    return serve_portal(samples.longchuan_site())


@pytest.fixture
def gkmlpt_repost_portal(serve_portal: Callable[[Site], PortalServer]) -> PortalServer:
    return serve_portal(samples.jieyang_site())


@pytest.fixture
def hanweb_portal(serve_portal: Callable[[Site], PortalServer]) -> PortalServer:
    site = samples.huantai_jyt_site()
    site.options["perpage"] = 3
    return serve_portal(site)


@pytest.fixture
def hanweb_gbk_portal(serve_portal: Callable[[Site], PortalServer]) -> PortalServer:
    site = samples.huantai_jyt_site(encoding="gbk")
    site.options["perpage"] = 3
    return serve_portal(site)


@pytest.fixture
def trs_portal(serve_portal: Callable[[Site], PortalServer]) -> PortalServer:
    return serve_portal(samples.qingdao_site())


@pytest.fixture
def govcn_portal(serve_portal: Callable[[Site], PortalServer]) -> PortalServer:
    return serve_portal(samples.govcn_site())


@pytest.fixture
def generic_portal(serve_portal: Callable[[Site], PortalServer]) -> PortalServer:
    return serve_portal(samples.huantai_site())


@pytest.fixture
def sample_portals(serve_portal: Callable[[Site], PortalServer]) -> dict[str, PortalServer]:
    return {name: serve_portal(site) for name, site in sample_sites().items()}
