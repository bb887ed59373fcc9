"""Document content: the real seed texts shipped with the package and deterministic filler notices.

Real portals are mostly 公告/公示/招标/总结 that eduwatch must skip; the fillers make lists
paginate and give the classifier true negatives. Everything is derived from a seed number, so
two runs (and two machines) build identical portals.
"""

from __future__ import annotations

import datetime as dt
import random
from functools import lru_cache
from pathlib import Path

from localportals.attachments import docx_bytes, pdf_bytes
from localportals.model import Attachment, Doc

SEEDS = Path(__file__).with_name("seeds")


@lru_cache(maxsize=None)
def seed_text(name: str) -> str:
    """A seed body shipped in localportals/seeds/ (copy-site chrome already stripped)."""
    return (SEEDS / f"{name}.txt").read_text(encoding="utf-8").strip()


def docx_attachment(att_id: int, name: str, title: str, body: str) -> Attachment:
    return Attachment(att_id, name, "docx", lambda: docx_bytes(title, body))


def pdf_attachment(att_id: int, name: str, title: str, body: str) -> Attachment:
    return Attachment(att_id, name, "pdf", lambda: pdf_bytes(title, body))


# (title template, category, body template). {county}, {unit}, {year}, {month}, {n}, {road}, {town} are filled in.
FILLERS: tuple[tuple[str, str, str], ...] = (
    ("{county}{year}年{month}月份城乡公益性岗位拟聘用人员公示", "人事信息",
     "根据《{county}城乡公益性岗位开发管理办法》，经个人申请、资格审查、综合评定，拟聘用以下人员为城乡公益性岗位人员，现予以公示。\n"
     "公示期为5个工作日。公示期间如有异议，请以书面形式向{unit}反映。\n联系电话：0{n}-8{n}2{n}1\n{unit}"),
    ("{county}{road}改造工程施工期间交通管制的通告", "通知公告",
     "因{road}改造工程施工需要，自{year}年{month}月10日起至{year}年{month2}月30日止，对该路段实行半幅封闭施工。\n"
     "请过往车辆和行人按照现场交通标志绕行。施工期间给您带来的不便，敬请谅解。\n特此通告。\n{county}交通运输局"),
    ("{county}{town}农村生活污水治理项目招标公告", "招标采购",
     "{county}{town}农村生活污水治理项目已由{county}发展和改革局批准建设，项目业主为{town}人民政府，建设资金来自财政资金。\n"
     "一、项目概况与招标范围：本项目包括管网铺设约{n}公里及终端处理设施建设。\n二、投标人资格要求：具备市政公用工程施工总承包三级及以上资质。\n"
     "三、招标文件的获取：请于{year}年{month}月15日至20日登录公共资源交易平台下载。"),
    ("{unit}{year}年上半年工作总结和下半年工作计划", "计划总结",
     "{year}年上半年，{unit}在县委、县政府的坚强领导下，紧紧围绕年度目标任务，扎实推进各项工作。\n"
     "一、上半年工作完成情况\n（一）重点项目建设有序推进。（二）营商环境持续优化。\n二、存在的问题\n部分项目推进较慢，要素保障压力较大。\n"
     "三、下半年工作计划\n聚焦重点任务，强化统筹调度，确保全年目标任务圆满完成。"),
    ("关于{year}年度{county}政府信息公开工作年度报告", "政府信息公开年报",
     "本报告根据《中华人民共和国政府信息公开条例》要求编制。全文包括总体情况、主动公开政府信息情况、收到和处理政府信息公开申请情况、"
     "政府信息公开行政复议和行政诉讼情况、存在的主要问题及改进情况、其他需要报告的事项。\n一、总体情况\n{year}年，{county}坚持以公开为常态、不公开为例外。"),
    ("{county}关于开展{year}年森林防火专项检查的通知", "通知公告",
     "各镇人民政府（街道办事处），县直有关单位：\n当前正值森林防火关键期，为切实做好森林防火工作，经研究，决定开展森林防火专项检查。\n"
     "一、检查时间：{year}年{month}月至{month2}月。\n二、检查内容：防火责任落实、隐患排查整治、应急物资储备情况。\n{unit}"),
    ("{county}{year}年第{n}批次建设用地征收土地预公告", "国土资源",
     "因{county}{year}年第{n}批次城市建设需要，拟征收{town}部分集体土地。现将有关事项预公告如下：\n"
     "一、征收范围：{town}村集体土地约{n}.{n}公顷。\n二、自本公告发布之日起，任何单位和个人不得在拟征收范围内抢栽抢建。"),
    ("关于{county}{year}年度高标准农田建设项目的公示", "农业农村",
     "根据省、市关于高标准农田建设的工作部署，{county}{year}年度高标准农田建设项目初步设计已完成，现将项目建设地点、建设内容等予以公示。\n"
     "建设地点：{town}。建设规模：{n}千亩。公示期7天。"),
    ("{county}人民政府关于{road}沿线环境综合整治的实施意见", "城乡建设",
     "为进一步改善{road}沿线人居环境，提升城市品质，结合我县实际，提出如下实施意见。\n一、整治范围\n二、整治内容\n三、保障措施\n{county}人民政府"),
    ("{county}{year}年{month}月份重点项目建设进展情况", "计划总结",
     "{year}年{month}月，全县{n}个重点项目完成投资{n}.{n}亿元，占年度计划的{n}{n}%。\n其中，新开工项目{n}个，续建项目{n}个。"),
    ("{unit}行政执法公示（{year}年第{n}期）", "行政执法",
     "根据《关于全面推行行政执法公示制度执法全过程记录制度重大执法决定法制审核制度的指导意见》，现将我单位{year}年第{n}期行政执法信息公示如下。"),
    ("关于征集{county}“十五五”规划编制意见建议的公告", "通知公告",
     "为充分听取社会各界意见，现面向社会公开征集“十五五”规划编制意见建议。\n征集时间：{year}年{month}月1日至{month2}月30日。\n{county}发展和改革局"),
)
ROADS = ("人民路", "建设路", "中山大道", "滨河东路", "工业大道", "新华街")
TOWNS = ("城关镇", "新安镇", "东海镇", "田西镇", "马山镇", "果田镇")


def filler_docs(county: str, unit: str, count: int, start_id: int, first_date: dt.date, seed: int,
                *, index_prefix: str = "", id_step: int = 37, day_step: int = 9) -> list[Doc]:
    """``count`` non-education notices, oldest first, ids rising with dates as on real CMSs."""
    rng = random.Random(seed)
    docs: list[Doc] = []
    used: set[str] = set()
    day, doc_id = first_date, start_id
    for i in range(count):
        title_t, category, body_t = FILLERS[(seed + i) % len(FILLERS)]
        n = rng.randint(2, 9)
        month2 = min(day.month + 2, 12)
        values = dict(county=county, unit=unit, year=day.year, month=day.month, month2=month2, n=n,
                      road=rng.choice(ROADS), town=rng.choice(TOWNS))
        title = title_t.format(**values)
        if title in used:  # a recurring notice: real sites number the batches
            title += f"（第{i // len(FILLERS) + 1}批）"
        used.add(title)
        index_no = f"{index_prefix}/{day.year}-{(i * 7 + seed) % 800 + 100:05d}" if index_prefix else ""
        docs.append(Doc(
            id=doc_id, title=title, body=body_t.format(**values), published_date=day,
            written_date=day - dt.timedelta(days=rng.randint(0, 4)), index_no=index_no, publisher=unit,
            category=category, validity="有效" if i % 3 == 0 else None,
        ))
        day += dt.timedelta(days=rng.randint(max(day_step - 4, 0), day_step + 4))
        doc_id += rng.randint(id_step // 2 + 1, id_step * 2)
    return docs
