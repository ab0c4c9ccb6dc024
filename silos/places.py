"""Fictional but plausible geography, trades and names for the sample bank's customers."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class City:
    province: str
    city: str
    region_code: str
    """Six-digit administrative division code of today, the start of credit codes."""
    area_code: str
    english: str
    districts: tuple[str, ...]
    birth_code: str
    """A division code of decades ago, as resident ID numbers of people born here carry it."""


CITIES = (
    City("北京市", "北京市", "110105", "010", "Beijing", ("朝阳区", "海淀区", "东城区", "丰台区"), "110105"),
    City("上海市", "上海市", "310115", "021", "Shanghai", ("浦东新区", "徐汇区", "静安区", "闵行区"), "310104"),
    City("广东省", "深圳市", "440305", "0755", "Shenzhen", ("南山区", "福田区", "宝安区", "龙岗区"), "440300"),
    City("广东省", "广州市", "440106", "020", "Guangzhou", ("天河区", "越秀区", "海珠区", "番禺区"), "440100"),
    City("浙江省", "杭州市", "330106", "0571", "Hangzhou", ("西湖区", "滨江区", "余杭区", "拱墅区"), "330122"),
    City("江苏省", "南京市", "320102", "025", "Nanjing", ("玄武区", "鼓楼区", "建邺区", "江宁区"), "320121"),
    City("江苏省", "苏州市", "320505", "0512", "Suzhou", ("虎丘区", "吴中区", "姑苏区", "工业园区"), "320500"),
    City("四川省", "成都市", "510107", "028", "Chengdu", ("武侯区", "锦江区", "青羊区", "高新区"), "510121"),
    City("湖北省", "武汉市", "420106", "027", "Wuhan", ("武昌区", "江汉区", "洪山区", "汉阳区"), "420100"),
    City("陕西省", "西安市", "610113", "029", "Xi'an", ("雁塔区", "碑林区", "未央区", "长安区"), "610121"),
    City("天津市", "天津市", "120101", "022", "Tianjin", ("和平区", "河西区", "南开区", "滨海新区"), "120101"),
    City("山东省", "青岛市", "370202", "0532", "Qingdao", ("市南区", "市北区", "黄岛区", "崂山区"), "370200"),
)

ROADS = (
    "人民路",
    "建设路",
    "解放路",
    "中山路",
    "科技路",
    "创业大道",
    "长江路",
    "和平街",
    "学府路",
    "金融街",
    "滨河路",
    "光华路",
)


@dataclass(frozen=True)
class Trade:
    chinese: str
    english: str
    industry_code: str
    """GB/T 4754-2017 section letter and four-digit class, for example ``C3411``."""


TRADES = (
    Trade("科技", "Technology", "I6510"),
    Trade("信息技术", "Information Technology", "I6520"),
    Trade("软件", "Software", "I6513"),
    Trade("机械制造", "Machinery", "C3411"),
    Trade("电子", "Electronics", "C3982"),
    Trade("化工", "Chemical", "C2614"),
    Trade("医药", "Pharmaceutical", "C2720"),
    Trade("食品", "Food", "C1391"),
    Trade("新能源", "New Energy", "D4415"),
    Trade("电力", "Power", "D4411"),
    Trade("建设工程", "Construction Engineering", "E4811"),
    Trade("建筑", "Construction", "E4710"),
    Trade("物流", "Logistics", "G5990"),
    Trade("运输", "Transportation", "G5430"),
    Trade("贸易", "Trading", "F5191"),
    Trade("商贸", "Commerce", "F5199"),
    Trade("房地产开发", "Real Estate Development", "K7010"),
    Trade("农业", "Agriculture", "A0111"),
    Trade("矿业", "Mining", "B0610"),
    Trade("环保", "Environmental", "N7722"),
    Trade("投资", "Investment", "L7212"),
    Trade("酒店管理", "Hotel Management", "H6110"),
)

BRAND_CHARACTERS = (
    "华信宏达中科远航鼎盛恒通瑞丰金桥新能海川博远长风天宇盛世东方永泰国嘉禾明德润安和世纪联创夏正大万龙腾凯旋锦程"
    "祥云启辰弘毅汇智鸿运兴隆昌瑞泽众诚德胜春晖旭日星辉宝利晟卓越银河振亚富源光耀百合同仁致远合力中天"
)
"""Characters companies pick for their trade names; two of them make a brand."""

FOREIGN_SYLLABLES = (
    ("Nor", "诺"),
    ("Vex", "维克"),
    ("Al", "奥"),
    ("Tri", "特里"),
    ("Ma", "玛"),
    ("Kes", "凯斯"),
    ("Ver", "维"),
    ("Lin", "林"),
    ("Bright", "布莱"),
    ("Sol", "索"),
    ("Tar", "塔"),
    ("Hel", "赫"),
    ("Mark", "马克"),
    ("Dor", "多"),
    ("Zen", "泽恩"),
    ("Rho", "罗"),
    ("Cal", "卡"),
    ("Ven", "文"),
    ("Ost", "奥斯"),
    ("Ber", "伯"),
)
"""Syllables of fictional foreign brands and their usual Chinese transliteration."""

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜"
    "崔钟谭陆汪范金石廖贾夏韦方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴莫孔汤"
)
GIVEN_NAMES = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红鹏辉建国文斌宇浩凯健俊帆帅旭宁龙林欣颖婷雪琳晨曦瑞博"
)
RELATIONSHIP_MANAGERS = ("王芳", "李强", "张伟", "刘洋", "陈静", "杨磊", "赵敏", "周杰", "吴婷", "孙浩")
