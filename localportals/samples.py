"""The demo portals (one or more per family, built around the real seed documents) and synthetic ones.

``sample_sites()`` is what ``eduwatch demo`` and the crawler tests serve; ``synthetic_site()``
makes benchmark portals of any size, deterministically from a seed number.
"""

from __future__ import annotations

import datetime as dt

from localportals.content import FILLERS, docx_attachment, filler_docs, pdf_attachment, seed_text
from localportals.model import Doc, Site

D = dt.date

HUILAI_TITLE = "惠来县人民政府办公室关于印发惠来县“百县千镇万村高质量发展工程”教育行动方案(2023-2027年)的通知"
HUANTAI_TITLE = "桓台县人民政府办公室关于印发桓台县推进乡村教育振兴工作方案的通知"
LONGCHUAN_TITLE = "关于印发《龙川县加快推进城乡教育优质均衡发展全力提升乡镇教育教学水平实施方案》的通知"
QINGDAO_TITLE = "青岛提出优质学校与乡村薄弱学校结对率100%"


def huilai_plan(doc_id: int = 1931056) -> Doc:
    """Seed 001 as published by 惠来县 (gkmlpt)."""
    return Doc(
        id=doc_id, title=HUILAI_TITLE, body=seed_text("huilai_2023_260"),
        index_no="114452240070359782/2023-00093", doc_no="惠府办函〔2023〕260号",
        publisher="惠来县人民政府办公室", category="教育", written_date=D(2023, 10, 12),
        published_date=D(2023, 11, 10), validity="有效",
    )


def huantai_plan(doc_id: int = 5001) -> Doc:
    """Seed 000 as published on the 桓台 gongkai platform, 文号 split across inline tags in the body."""
    return Doc(
        id=doc_id, title=HUANTAI_TITLE, body=seed_text("huantai_2023_18"),
        index_no="113703210043917651/2023-00118", doc_no="桓政办字〔2023〕18号",
        publisher="桓台县人民政府办公室", category="教育", written_date=D(2023, 9, 18),
        published_date=D(2023, 9, 18), validity="有效",
        flags={"doc_no_split_markup": True, "hex_id": "6507ff1ce7f79f1832269fe0"},
    )


def huilai_site() -> Site:
    docs = filler_docs("惠来县", "惠来县人民政府办公室", 11, 1917003, D(2023, 7, 3), seed=1,
                       index_prefix="114452240070359782", day_step=18)
    docs.append(huilai_plan())
    old = Doc(id=1702114, title="惠来县农村义务教育学生营养改善计划实施办法（试行）", category="教育",
              body="为贯彻落实国家农村义务教育学生营养改善计划，结合我县实际，制定本办法。\n第一条 营养改善计划覆盖全县农村义务教育阶段学校。\n"
                   "第二条 本办法自印发之日起施行，有效期三年。",
              index_no="114452240070359782/2020-00041", doc_no="惠府办〔2020〕9号", publisher="惠来县人民政府办公室",
              written_date=D(2020, 3, 2), published_date=D(2020, 3, 6), validity="废止", abolished=True)
    docs.append(old)
    return Site("gkmlpt", "huilai", "惠来县人民政府", docs, page_size=5, site_domain="www.huilai.gov.cn",
                site_id_code="4452240001", options={"sid": "755041", "region": "广东省揭阳市惠来县"})


def longchuan_site() -> Site:
    """龙川县教育局 on gkmlpt under a department prefix; seed 003 as an attachment-only post (.docx)."""
    docs = filler_docs("龙川县", "龙川县教育局", 8, 1205560, D(2021, 10, 8), seed=3,
                       index_prefix="11441622007184052X", day_step=14)
    plan_body = seed_text("longchuan_2022_12")
    plan = Doc(id=1214872, title=LONGCHUAN_TITLE, body=plan_body, index_no="11441622007184052X/2022-00012",
               doc_no="龙教〔2022〕12号", publisher="龙川县教育局", category="教育", written_date=D(2022, 2, 17),
               published_date=D(2022, 2, 17), flags={"attachment_only": True})
    plan.attachments.append(docx_attachment(
        1216530, "龙川县加快推进城乡教育优质均衡发展全力提升乡镇教育教学水平实施方案.docx", LONGCHUAN_TITLE, plan_body))
    docs.append(plan)
    return Site("gkmlpt", "longchuan_jyj", "龙川县教育局", docs, prefix="/lcxjyj", page_size=5,
                site_domain="www.longchuan.gov.cn", site_id_code="4416220002",
                options={"sid": "756233", "category_base": 3301, "region": "广东省河源市龙川县"})


def jieyang_site() -> Site:
    """揭阳市教育局 reposts the 惠来 plan: same title, 文号 written messily, its own 索引号 and URL."""
    docs = filler_docs("揭阳市", "揭阳市教育局", 5, 2101300, D(2023, 9, 4), seed=5,
                       index_prefix="11445200007035941M", day_step=16)
    repost = huilai_plan(2104417)
    repost.doc_no = "惠府办函[2023]260号"
    repost.index_no = "11445200007035941M/2023-00215"
    repost.publisher = "揭阳市教育局"
    repost.published_date = D(2023, 11, 14)
    repost.flags["source"] = "惠来县人民政府办公室"
    docs.append(repost)
    return Site("gkmlpt", "jieyang_jyj", "揭阳市教育局", docs, prefix="/jyj", page_size=5,
                site_domain="www.jieyang.gov.cn", site_id_code="4452000026",
                options={"sid": "761002", "category_base": 5101, "region": "广东省揭阳市"})


def huantai_jyt_site(encoding: str = "utf-8") -> Site:
    """桓台县教育和体育局 on Hanweb: the 桓台 plan reposted as an attachment-only PDF, listed twice."""
    docs = filler_docs("桓台县", "桓台县教育和体育局", 15, 3410021, D(2023, 3, 6), seed=7,
                       index_prefix="11370321MB28525678", day_step=14)
    body = seed_text("huantai_2023_18")
    repost = Doc(id=3428810, title=HUANTAI_TITLE, body=body, index_no="11370321MB28525678/2023-00041",
                 doc_no="桓政办字[2023]18号", publisher="桓台县教育和体育局", category="教育",
                 written_date=D(2023, 9, 18), published_date=D(2023, 9, 25),
                 flags={"attachment_only": True, "duplicate_column": 18574})
    repost.attachments.append(pdf_attachment(88213, "桓台县推进乡村教育振兴工作方案.pdf", HUANTAI_TITLE, body))
    docs.append(repost)
    return Site("hanweb", "huantai_jyt", "桓台县教育和体育局", docs, encoding=encoding,
                site_domain="www.huantai.gov.cn", site_id_code="3703210010",
                options={"columnid": 18573, "unitid": 72143, "webid": 61, "webname": "桓台县教育和体育局",
                         "perpage": 5, "region": "山东省淄博市桓台县"})


def qingdao_site() -> Site:
    """青岛市教育局 catalogue on TRS WCM with seed 004 (news page + the plan as a PDF beside it)."""
    docs = filler_docs("青岛市", "青岛市教育局", 11, 6301200, D(2020, 6, 2), seed=11,
                       index_prefix="qdjyj000", day_step=20)
    body = seed_text("qingdao_rural_support")
    plan_text = body.split("附:", 1)[-1].strip()
    news = Doc(id=6310466, title=QINGDAO_TITLE, body=body, publisher="青岛市教育局", category="教育",
               published_date=D(2020, 11, 12), index_no="qdjyj000/2020-00371",
               doc_no="", flags={"source": "青岛日报"})
    news.attachments.append(pdf_attachment(
        4521, "实施乡村教育支持行动工作方案(2020-2022).pdf", "关于印发《实施乡村教育支持行动工作方案(2020-2022)》的通知", plan_text))
    docs.append(news)
    return Site("trs", "qingdao_jyj", "青岛市教育局", docs, page_size=5, site_domain="edu.qingdao.gov.cn",
                site_id_code="3702000051",
                options={"list_path": "/zwgk/xxgk/jyj/gkml/gwfg", "column": "公文法规", "region": "山东省青岛市"})


GOVCN_FILLERS = (
    ("国务院关于同意在{place}设立综合保税区的批复", "商贸、海关、旅游"),
    ("国务院办公厅关于印发{place}统筹推进重点领域改革实施方案的通知", "综合政务"),
    ("国务院关于{place}城市总体规划的批复", "城乡建设、环境保护"),
    ("国务院办公厅关于进一步优化{place}营商环境的意见", "综合政务"),
    ("国务院关于修改和废止部分行政法规的决定", "综合政务"),
    ("国务院办公厅关于做好{place}防汛抗旱工作的通知", "水利"),
)


def govcn_site() -> Site:
    docs = [
        Doc(id=5353307, title="国务院关于在海南博鳌乐城国际医疗旅游先行区暂时调整实施《中华人民共和国药品管理法实施条例》有关规定的决定",
            body=seed_text("govcn_guofa_2018_43"), index_no="000014349/2018-00222", doc_no="国发〔2018〕43号",
            publisher="国务院", category="卫生、体育\\医药管理", written_date=D(2018, 12, 21), published_date=D(2018, 12, 29)),
        Doc(id=5351707, title="国务院办公厅关于辽宁省在曾培炎副总理考察工作时所提问题和建议办理情况的函",
            body=seed_text("govcn_guobanhan_2004_57"), index_no="000014349/2004-00209", doc_no="国办函〔2004〕57号",
            publisher="国务院办公厅", category="其他", keywords="经济管理　考察　措施　函",
            written_date=D(2004, 8, 12), published_date=D(2018, 12, 24)),
    ]
    places = ("河北省", "四川省", "云南省", "江西省", "甘肃省", "贵州省")
    day, doc_id = D(2023, 3, 14), 6900000
    for i, (title, category) in enumerate(GOVCN_FILLERS):
        t = title.format(place=places[i])
        docs.append(Doc(id=doc_id, title=t, body=f"{places[i]}人民政府：\n你省关于有关事项的请示收悉。现批复如下：\n一、同意所请。\n二、请认真组织实施。\n国务院",
                        index_no=f"000014349/{day.year}-{i + 101:05d}", doc_no=f"国函〔{day.year}〕{i + 21}号",
                        publisher="国务院", category=category, written_date=day - dt.timedelta(days=5), published_date=day))
        day += dt.timedelta(days=47)
        doc_id += 41723
    return Site("govcn", "govcn", "中国政府网", docs, site_domain="www.gov.cn", site_id_code="bm01000001",
                options={"region": "全国"})


def huantai_site() -> Site:
    """桓台县人民政府 on the Shandong gongkai platform, served as a generic site (list pages + pattern)."""
    docs = filler_docs("桓台县", "桓台县人民政府办公室", 12, 5101, D(2023, 5, 8), seed=13,
                       index_prefix="113703210043917651", day_step=12)
    for n, doc in enumerate(docs):
        if n % 3 == 1:
            doc.flags["no_labels"] = True
    docs.append(huantai_plan())
    return Site("generic", "huantai", "桓台县人民政府", docs, page_size=6, site_domain="www.huantai.gov.cn",
                site_id_code="3703210001", options={"region": "山东省淄博市桓台县", "column": "政府文件"})


def sample_sites() -> dict[str, Site]:
    """The demo set, keyed by site name: every family, the five seed plans, one repost pair each."""
    sites = [huilai_site(), longchuan_site(), jieyang_site(), huantai_jyt_site(), qingdao_site(), govcn_site(),
             huantai_site()]
    return {site.name: site for site in sites}


FAMILY_OPTIONS = {
    "gkmlpt": lambda seed: {"sid": str(700000 + seed), "category_base": 2000 + 10 * seed},
    "hanweb": lambda seed: {"columnid": 10000 + seed, "unitid": 50000 + seed, "webid": seed,
                            "webname": f"示范{seed}县人民政府", "perpage": 15},
    "trs": lambda seed: {"list_path": f"/zwgk/xxgk/c{seed}/gkml"},
    "govcn": lambda seed: {},
    "generic": lambda seed: {"site_slug": f"s{seed}", "channel": f"c_{seed:024x}_n_1605682832.2693"},
}
EDU_SEEDS = ("huilai_2023_260", "huantai_2023_18", "longchuan_2022_12", "qingdao_rural_support")


def synthetic_site(family: str, n_docs: int, seed: int = 0, *, edu_every: int = 20, page_size: int = 20) -> Site:
    """A benchmark portal of ``n_docs`` documents; every ``edu_every``-th is an education plan (real seed body)."""
    county = f"示范{seed}县"
    unit = f"{county}人民政府办公室"
    first = max(D(2024, 12, 31) - dt.timedelta(days=2 * n_docs), D(2000, 1, 3))
    docs = filler_docs(county, unit, n_docs, 1_000_000 + seed * 10_000 + 1, first, seed=seed,
                       index_prefix=f"1137{seed:014d}", id_step=3, day_step=0)
    for n, doc in enumerate(docs):
        doc.index_no = f"1137{seed:014d}/{doc.published_date.year}-{n + 1:05d}"
        if edu_every and n % edu_every == edu_every - 1:
            doc.title = f"{county}关于印发{county}推进乡村教育振兴工作方案（第{n}号）的通知"
            doc.body = seed_text(EDU_SEEDS[n % len(EDU_SEEDS)])
            doc.category = "教育"
            doc.doc_no = f"示政办字〔{doc.published_date.year}〕{n}号"
    return Site(family, f"synthetic_{family}_{seed}", f"{county}人民政府", docs, page_size=page_size,
                site_domain=f"www.s{seed}.gov.cn", site_id_code=f"{seed:010d}",
                options={**FAMILY_OPTIONS[family](seed), "region": county})


__all__ = ["sample_sites", "synthetic_site", "FILLERS"]
