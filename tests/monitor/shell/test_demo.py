"""`eduwatch demo`: a newcomer's first run crawls, classifies, notices a revision and queues alerts."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.shell.cli import main


@pytest.mark.timeout(180)
def test_demo_runs_the_whole_pipeline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "--workdir", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # Every portal crawled cleanly; the summary table has one "ok" row per demo portal.
    assert len(re.findall(r"^\S+\s+\d+\s+\d+\s+\d+\s+0\s+ok\s*$", out, flags=re.M)) >= 7 * 2
    # The seed plans are found and classified as rural-education plans.
    for doc_no in ("惠府办函〔2023〕260号", "桓政办字〔2023〕18号", "龙教〔2022〕12号"):
        assert re.search(rf"^\d+\s+yes\s+\S+\s+{re.escape(doc_no)}", out, flags=re.M), doc_no
    # The edited sentence comes back as a revision of the 惠来 plan, with the changed words.
    assert re.search(r"^\d+\s+\S+ \S+\s+revised\s+\d+\s+yes\s+.*全面深入贯彻落实", out, flags=re.M)
    assert "[eduwatch] 修订: 惠来县人民政府办公室关于印发" in out
    assert (tmp_path / "demo.db").exists()
