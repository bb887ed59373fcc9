"""DocumentRecords shaped like county-portal notices, with reposts, for the store benchmark.

Real portals repost: a county re-publishes the city's notice under its own URL, sometimes
with the 文号 (doc_no) and sometimes with only the title. So a fraction of sightings are
reposts of an earlier document on another portal, found by doc_no or by fingerprint — the
store's dedupe does real work, as it does in the field.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterator

from storage.records import AttachmentRecord, DocumentRecord

_PHRASES = (
    "为深入贯彻落实党的二十大精神", "全面推进乡村振兴", "加快推进教育现代化", "巩固拓展义务教育基本均衡成果",
    "加强乡村小规模学校和乡镇寄宿制学校建设", "推动城乡教育一体化发展", "切实减轻学生过重作业负担",
    "统筹推进县域内城乡义务教育学校建设", "完善控辍保学工作机制", "落实教师工资待遇保障政策",
    "各乡镇人民政府、县直有关单位要高度重视", "结合本地实际，制定本实施方案", "现将有关事项通知如下",
    "加强组织领导，明确责任分工", "强化经费保障，建立健全投入机制", "严格督导考核，确保各项任务落到实处",
    "到2025年，全县学前教育毛入园率达到92%以上", "优化农村学校布局", "提升农村教师队伍整体素质",
    "开展校园安全隐患排查整治", "做好农村留守儿童关爱保护工作", "推进智慧教育平台建设与应用",
)
_TOPICS = ("乡村教育振兴", "义务教育优质均衡发展", "学前教育普及普惠", "校园安全专项整治", "教师队伍建设",
           "农村学校建设", "营商环境优化", "防汛抗旱工作", "人居环境整治", "高标准农田建设")
_GENRES = ("实施方案", "工作方案", "行动计划", "通知", "意见", "规划（2023—2025年）")


@dataclass(frozen=True)
class Sighting:
    portal: str  # which portal's crawl run saw it
    record: DocumentRecord
    repost_of: int | None  # index of the original sighting, for reposts


def _line(rng: random.Random) -> str:
    if rng.random() < 0.12:
        return f"{rng.choice('一二三四五六七八九十')}、{rng.choice(_PHRASES)}"
    return "，".join(rng.choices(_PHRASES, k=rng.randint(3, 7))) + "。"


# Bodies are drawn from a pool of lines: phrase by phrase, 200,000 bodies took most of the
# benchmark's set-up time, and the store does not care how a body's lines were made.
def _line_pool(size: int, seed: int = 0) -> list[str]:
    rng = random.Random(seed)
    return [_line(rng) for _ in range(size)]


_LINE_POOL = _line_pool(5_000)


def _body(rng: random.Random, chars: int) -> str:
    lines: list[str] = []
    total = 0
    while total < chars:
        for line in rng.choices(_LINE_POOL, k=4):
            lines.append(line)
            total += len(line)
    return "\n".join(lines)


def _original(rng: random.Random, n: int, portal: str, county: str) -> DocumentRecord:
    year = 2015 + n % 10
    written = date(year, 1, 1) + timedelta(days=rng.randint(0, 360))
    title = f"{county}人民政府办公室关于印发{county}{rng.choice(_TOPICS)}{rng.choice(_GENRES)}的通知（第{n}号）"
    doc_no = f"{county[:1]}府办〔{year}〕{n}号" if rng.random() < 0.8 else None
    index_no = f"11{n % 9000 + 1000:04d}-{year}-{n:06d}" if rng.random() < 0.7 else None
    attachments = []
    if rng.random() < 0.2:
        attachments.append(AttachmentRecord(name="附件1.docx", url=f"https://{portal}.example.gov.cn/att/{n}.docx",
                                            type="docx", size=20_000, text=_body(rng, 800)))
    return DocumentRecord(
        portal=portal,
        url=f"https://{portal}.example.gov.cn/zwgk/{year}/{n}.html",
        title=title,
        title_raw=title,
        title_key=title,
        body=_body(rng, rng.randint(800, 4000)),
        index_no=index_no,
        index_no_raw=index_no,
        doc_no=doc_no,
        doc_no_raw=doc_no,
        publisher=f"{county}人民政府办公室",
        category="教育",
        written_date=written,
        published_date=written + timedelta(days=rng.randint(0, 10)),
        site=f"{portal}.example.gov.cn",
        attachments=attachments,
        list_title=title,
        list_date=written.isoformat(),
    )


def _repost(rng: random.Random, original: DocumentRecord, n: int, portal: str) -> DocumentRecord:
    """Another portal's copy: own URL and site, so only doc_no or the fingerprint can match."""
    keep_doc_no = rng.random() < 0.5
    return DocumentRecord(
        portal=portal,
        url=f"https://{portal}.example.gov.cn/xxgk/repost/{n}.html",
        title=original.title,
        title_key=original.title_key,
        body=original.body if rng.random() < 0.7 else "",
        doc_no=original.doc_no if keep_doc_no else None,
        doc_no_raw=original.doc_no_raw if keep_doc_no else None,
        publisher=original.publisher,
        written_date=original.written_date,
        site=f"{portal}.example.gov.cn",
        list_title=original.title,
    )


def portal_names(count: int) -> list[str]:
    return [f"county{i:04d}" for i in range(count)]


def sightings(total: int, *, portals: int = 200, repost_share: float = 0.2, seed: int = 7) -> Iterator[Sighting]:
    """``total`` sightings, about ``repost_share`` of them reposts of an earlier original."""
    rng = random.Random(seed)
    names = portal_names(portals)
    originals: list[tuple[int, DocumentRecord]] = []
    for n in range(total):
        portal = names[n % portals]
        if originals and rng.random() < repost_share:
            index, original = rng.choice(originals)
            other = names[(names.index(original.portal) + 1 + rng.randrange(portals - 1)) % portals]
            yield Sighting(other, _repost(rng, original, n, other), index)
        else:
            record = _original(rng, n, portal, f"县{n % portals:04d}")
            originals.append((n, record))
            yield Sighting(portal, record, None)
