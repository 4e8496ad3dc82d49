"""UI text in Chinese and English, and locale-aware number, money and date formatting.

Templates call ``_("English text")``; Chinese comes from ``ZH``. A missing translation
shows the English text (and a test lists every msgid used by the templates that has none).
"""

from datetime import date
from decimal import Decimal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, format_percent

from app.vocabulary import Language

BABEL_LOCALES = {Language.ZH: "zh_CN", Language.EN: "en_US"}

ZH: dict[str, str] = {
    "Opportunities": "商机",
    "Opportunity": "商机",
    "Customer": "客户",
    "Bid number": "招标编号",
    "Bid deadline": "投标截止",
    "Status": "状态",
    "Estimates": "估算",
    "Estimate": "估算",
    "Latest P80 price": "最新 P80 报价",
    "No opportunities yet.": "还没有商机。",
    "New opportunity": "新建商机",
    "Name": "名称",
    "Create": "创建",
    "Save": "保存",
    "Cancel": "取消",
    "Delete": "删除",
    "Log in": "登录",
    "Log out": "退出",
    "Username": "用户名",
    "Password": "密码",
    "Language": "语言",
    "Catalogs": "工作项目录",
    "Rate cards": "费率表",
    "Users": "用户",
    "Audit log": "审计日志",
    "Something went wrong": "出错了",
    "You do not have access to this page.": "您无权访问此页面。",
    "Please log in.": "请先登录。",
    "Wrong username or password.": "用户名或密码错误。",
    "Too many failed log-ins; try again in an hour.": "登录失败次数过多，请一小时后再试。",
    "prospect": "潜在",
    "bidding": "投标中",
    "submitted": "已投标",
    "won": "中标",
    "lost": "未中标",
    "cancelled": "已取消",
    "draft": "草稿",
    "published": "已发布",
    "frozen": "已冻结",
    "admin": "管理员",
    "presales": "售前",
    "sales": "销售",
    "bid": "投标",
    "Change password": "修改密码",
    "Choose your own password before you continue.": "请先设置您自己的密码。",
    "Current password": "当前密码",
    "New password": "新密码",
    "at least 10 characters": "至少 10 个字符",
    "Wrong current password.": "当前密码错误。",
}


def translate(text: str, language: Language) -> str:
    if language == Language.ZH:
        return ZH.get(text, text)
    return text


def format_money(amount: Decimal | float | None, currency: str, language: Language) -> str:
    if amount is None:
        return "—"
    return str(format_currency(amount, currency, locale=BABEL_LOCALES[language]))


def format_number(value: float | Decimal | None, language: Language, *, digits: int = 1) -> str:
    if value is None:
        return "—"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return str(format_decimal(value, format=pattern, locale=BABEL_LOCALES[language]))


def format_ratio(value: float | None, language: Language) -> str:
    if value is None:
        return "—"
    return str(format_percent(value, format="#,##0.0%", locale=BABEL_LOCALES[language]))


def format_day(value: date | None, language: Language) -> str:
    if value is None:
        return "—"
    return str(format_date(value, format="medium", locale=BABEL_LOCALES[language]))
