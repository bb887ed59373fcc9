"""Local imitations of the Chinese government portal families eduwatch crawls, served on 127.0.0.1.

Used by the crawler/monitor/shell/daemon tests, by ``eduwatch demo`` (no internet) and by the
benchmarks. Stdlib only, plus python-docx for .docx attachments.

    from localportals import PortalServer, sample_sites
    site = sample_sites()["huilai"]
    with PortalServer(site) as server:
        site.list_urls(), site.url(1931056), server.log
"""

from localportals.faults import Faults
from localportals.model import Attachment, Doc, RequestRecord, Site
from localportals.samples import sample_sites, synthetic_site
from localportals.server import MultiSiteServer, PortalServer, loopback_address
from localportals.wecom import WecomServer

__all__ = [
    "Attachment", "Doc", "Faults", "MultiSiteServer", "PortalServer", "RequestRecord", "Site",
    "WecomServer", "loopback_address", "sample_sites", "synthetic_site",
]
