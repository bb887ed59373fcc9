"""``python -m crawler.distributed [--config F] [--idle-exit S]``: a worker without the CLI."""

from crawler.distributed.process import main

raise SystemExit(main())
