"""``python -m localportals`` — serve the demo portals until Ctrl-C and print their entry points.

Handy when writing a spider by hand: the printed base_url/list_urls are what a portal config needs.
"""

from __future__ import annotations

import argparse
import time

from localportals import PortalServer, sample_sites


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m localportals", description=__doc__)
    parser.add_argument("--gbk", action="store_true", help="serve the hanweb site in GBK")
    parser.add_argument("--conditional", action="store_true", help="send ETag/Last-Modified and answer 304s")
    args = parser.parse_args(argv)
    sites = sample_sites()
    if args.gbk:
        sites["huantai_jyt"].encoding = "gbk"
    servers = []
    for site in sites.values():
        site.conditional = args.conditional
        servers.append(PortalServer(site).start())
        config = site.portal_config()
        print(f"{site.name:14} {site.family_name:8} {len(site.docs):3} docs  base_url={config['base_url']}")
        for url in config["list_urls"]:
            print(f"{'':14} list_url {url}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        for server in servers:
            server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
