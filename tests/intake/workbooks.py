"""Customer requirement workbooks, generated in code, in the layouts bid teams receive.

openpyxl builds each workbook; what openpyxl cannot write is added to the XML afterwards,
the way Excel would have written it: cached values of formula cells, shared strings,
x14 data validations pointing at a list on a hidden sheet, x14 conditional formats, an
absurd ``<dimension>`` and formatted empty rows down to row 1,048,576. Attack files
(zip bomb, entity bomb, encrypted package, renamed files) are built here too.
"""

from __future__ import annotations

import io
import re
import struct
import zipfile
from collections.abc import Callable, Mapping
from xml.sax.saxutils import escape

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet

from app.intake.package import sheet_parts

X14_DV_URI = "{CCE6A557-97BC-4b89-ADB6-D9C93CAAB3DF}"
X14_CF_URI = "{78C0D931-6437-407d-A8EE-F0AAD8C3D6A5}"
X14 = "http://schemas.microsoft.com/office/spreadsheetml/2009/9/main"
XM = "http://schemas.microsoft.com/office/excel/2006/main"
LAST_ROW = 1_048_576
BOLD = Font(bold=True)
GREY = PatternFill("solid", fgColor="DDDDDD")
ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")

Patch = Callable[[bytes], bytes]


# ---------------------------------------------------------------- package surgery


def save(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rewrite_parts(
    data: bytes, patches: Mapping[str, Patch], *, add: Mapping[str, bytes] | None = None
) -> bytes:
    """Apply ``patches`` to the named members (and append ``add``), keeping member order."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename in patches:
                content = patches[info.filename](content)
            target.writestr(info, content, compress_type=zipfile.ZIP_DEFLATED)
        for name, content in (add or {}).items():
            target.writestr(name, content)
    return output.getvalue()


def part_of(data: bytes, sheet: str) -> str:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return next(part.part for part in sheet_parts(archive) if part.name == sheet)


def patch_sheet(data: bytes, sheet: str, patch: Patch) -> bytes:
    return rewrite_parts(data, {part_of(data, sheet): patch})


def with_cached_values(data: bytes, sheet: str, values: Mapping[str, str | float]) -> bytes:
    """Give formula cells the cached result Excel stores and openpyxl leaves empty."""

    def patch(xml: bytes) -> bytes:
        for ref, value in values.items():
            xml = _cache_one(xml, ref, value)
        return xml

    return patch_sheet(data, sheet, patch)


def _cache_one(xml: bytes, ref: str, value: str | float) -> bytes:
    pattern = re.compile(rb'<c r="' + ref.encode() + rb'"([^>]*)><f>(.*?)</f><v\s*/?>(?:</v>)?')
    kind = b' t="str"' if isinstance(value, str) else b""
    cached = escape(str(value)).encode()
    start = b'<c r="' + ref.encode() + b'"'
    xml, count = pattern.subn(
        lambda m: start + m.group(1) + kind + b"><f>" + m.group(2) + b"</f><v>" + cached + b"</v>",
        xml,
    )
    assert count == 1, f"no formula cell {ref}"
    return xml


def with_shared_strings(data: bytes) -> bytes:
    """Move every inline string into xl/sharedStrings.xml, as Excel stores text."""
    strings: dict[str, int] = {}
    inline = re.compile(
        rb'<c ([^>]*?)t="inlineStr"([^>]*)><is><t(?: xml:space="preserve")?>(.*?)</t></is></c>',
        re.S,
    )

    def index(match: re.Match[bytes]) -> bytes:
        text = match.group(3).decode()
        number = strings.setdefault(text, len(strings))
        return b"<c " + match.group(1) + b't="s"' + match.group(2) + b"><v>%d</v></c>" % number

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = [part.part for part in sheet_parts(archive)]
    patches: dict[str, Patch] = {part: lambda xml: inline.sub(index, xml) for part in sheets}
    return _with_sst_part(rewrite_parts(data, patches), list(strings))


def _with_sst_part(data: bytes, strings: list[str]) -> bytes:
    """Add xl/sharedStrings.xml holding ``strings`` (already XML-escaped) to the package."""
    items = "".join(f'<si><t xml:space="preserve">{text}</t></si>' for text in strings)
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(strings)}" uniqueCount="{len(strings)}">{items}</sst>'
    ).encode()
    override = (
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
        b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>'
    )
    relationship = (
        b'<Relationship Id="rIdShared" Type="http://schemas.openxmlformats.org/officeDocument/'
        b'2006/relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>'
    )
    return rewrite_parts(
        data,
        {
            "[Content_Types].xml": lambda xml: xml.replace(b"</Types>", override),
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
                b"</Relationships>", relationship
            ),
        },
        add={"xl/sharedStrings.xml": shared},
    )


def _append_ext(xml: bytes, ext: bytes) -> bytes:
    if b"</extLst>" in xml:
        return xml.replace(b"</extLst>", ext + b"</extLst>")
    return xml.replace(b"</worksheet>", b"<extLst>" + ext + b"</extLst></worksheet>")


def with_x14_list(data: bytes, sheet: str, sqref: str, source: str) -> bytes:
    """An Excel 2010 dropdown whose list lives on another (often hidden) sheet."""
    ext = (
        f'<ext uri="{X14_DV_URI}" xmlns:x14="{X14}"><x14:dataValidations count="1" '
        f'xmlns:xm="{XM}"><x14:dataValidation type="list" allowBlank="1" showInputMessage="1" '
        f'showErrorMessage="1"><x14:formula1><xm:f>{escape(source)}</xm:f></x14:formula1>'
        f"<xm:sqref>{sqref}</xm:sqref></x14:dataValidation></x14:dataValidations></ext>"
    ).encode()
    return patch_sheet(data, sheet, lambda xml: _append_ext(xml, ext))


def with_x14_format(data: bytes, sheet: str, sqref: str, formula: str) -> bytes:
    """An x14 conditional format (a rule referring to another sheet), lost by openpyxl."""
    ext = (
        f'<ext uri="{X14_CF_URI}" xmlns:x14="{X14}"><x14:conditionalFormattings>'
        f'<x14:conditionalFormatting xmlns:xm="{XM}"><x14:cfRule type="expression" '
        f'priority="9" id="{{6F1A7E4C-2B1D-4C5E-9F00-0000000000A1}}"><xm:f>{escape(formula)}</xm:f>'
        '<x14:dxf><fill><patternFill><bgColor rgb="FFFFC7CE"/></patternFill></fill></x14:dxf>'
        f"</x14:cfRule><xm:sqref>{sqref}</xm:sqref></x14:conditionalFormatting>"
        "</x14:conditionalFormattings></ext>"
    ).encode()
    return patch_sheet(data, sheet, lambda xml: _append_ext(xml, ext))


def with_absurd_dimension(data: bytes, sheet: str) -> bytes:
    """A print sheet declared A1:XFD847, with formatted empty cells out to column XFD."""

    def patch(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD847"/>', xml)
        styled = b'<row r="847" spans="1:16384"><c r="A847" s="1"/><c r="XFD847" s="1"/></row>'
        return xml.replace(b"</sheetData>", styled + b"</sheetData>")

    return patch_sheet(data, sheet, patch)


def with_formatted_rows_to_the_end(data: bytes, sheet: str, first_row: int) -> bytes:
    """Formatted empty rows from ``first_row`` down to row 1,048,576."""
    rows = b"".join(
        b'<row r="%d" s="1" customFormat="1"/>' % row for row in range(first_row, LAST_ROW + 1)
    )
    return patch_sheet(
        data, sheet, lambda xml: xml.replace(b"</sheetData>", rows + b"</sheetData>")
    )


# ---------------------------------------------------------------- layouts

FUNCTIONAL = [
    (
        "AC-001",
        "Security",
        "The system shall support single sign-on via SAML 2.0 and OpenID Connect.",
        "Must",
    ),
    (
        "AC-002",
        "Security",
        "The system shall lock an account after five failed log-in attempts.",
        "Must",
    ),
    ("AC-003", "Security", None, "Should"),  # formula text, cached value added afterwards
    (
        "RP-010",
        "Reporting",
        "Users shall be able to schedule reports and receive them by e-mail.",
        "Could",
    ),
    (
        "RP-011",
        "Reporting",
        "Dashboards shall refresh at least every five minutes without reloading.",
        "Should",
    ),
]
FORMULA_TEXT = "The system shall export audit logs in CSV and JSON formats."
NON_FUNCTIONAL = [
    ("NFR-01", "The platform shall be available 99.9% of each calendar month.", "Y"),
    ("NFR-02", "Page loads shall complete within two seconds for 95% of requests.", "Y"),
    ("NFR-03", "The vendor should provide a sandbox environment for testing upgrades.", "N"),
]
SERVICE = [
    (
        1,
        "The service desk shall answer priority-one calls within fifteen minutes, all day.",
        "X",
        None,
    ),
    (2, "Incidents shall be tracked in a ticketing system the customer can read.", None, None),
    (3, "The supplier shall run quarterly service reviews with a written report.", "X", "X"),
    (
        4,
        "Backups shall be kept for ninety days and restored on request within four hours.",
        None,
        None,
    ),
]
SECURITY = [
    "AAAI-01 The platform shall enforce multi-factor authentication for administrators.",
    "AAAI-02 Passwords shall be stored only as salted hashes using a modern algorithm.",
    "AAAI-03 All traffic between client and server shall use TLS 1.2 or newer.",
]


def _header(sheet: Worksheet, row: int, labels: list[str]) -> None:
    for column, label in enumerate(labels, start=1):
        cell = sheet.cell(row, column, label)
        cell.font, cell.fill = BOLD, GREY


def _cover(workbook: Workbook, name: str, title: str, lines: list[str], disclaimer: str) -> None:
    cover = workbook.active
    assert cover is not None
    cover.title = name
    cover["A1"] = title
    cover["A1"].font = Font(bold=True, size=16)
    cover.merge_cells("A1:F1")
    for row, line in enumerate(lines, start=3):
        cover.cell(row, 1, line)
    cover.cell(8, 1, disclaimer).alignment = Alignment(wrap_text=True)
    cover.merge_cells("A8:F12")


def english_rfp(*, cached_formulas: bool = True) -> bytes:
    """Cover, two tables on one sheet, X columns, embedded IDs, x14 list on a hidden sheet.

    ``cached_formulas=False`` leaves formula results empty, as openpyxl writes them, so
    that LibreOffice computes them when converting (it exports a cached text result it
    did not compute itself as 0 in .xls).
    """
    workbook = Workbook()
    _cover(
        workbook,
        "Cover",
        "ACME Corp — Request for Proposal: Service Platform",
        ["Issued: 2025-03-01", "Contact: procurement@acme.example", "Deadline: 2025-04-15"],
        "Bidders shall answer every requirement. Answers that are left blank are treated as "
        "non-compliant. The customer may verify any answer during the demonstration.",
    )
    _requirements_sheet(workbook.create_sheet("Requirements"))
    _service_sheet(workbook.create_sheet("Service"))
    _security_sheet(workbook.create_sheet("Security"))
    old = workbook.create_sheet("Old version")
    _header(old, 1, ["Req ID", "Requirement", "Compliance"])
    old.append(["OLD-1", "An outdated requirement kept by the customer for reference.", "Yes"])
    old.sheet_state = "hidden"
    lists = workbook.create_sheet("Lists")
    for row, word in enumerate(["Comply", "Partial", "Non-comply", "N/A"], start=1):
        lists.cell(row, 1, word)
    lists.sheet_state = "hidden"
    printout = workbook.create_sheet("Print")
    printout["A1"] = "Signed on behalf of the bidder:"
    printout["A3"] = "Name, title, date"
    data = save(workbook)
    if cached_formulas:
        data = with_cached_values(data, "Requirements", {"C7": FORMULA_TEXT})
    data = with_x14_list(data, "Requirements", "E5:E9", "Lists!$A$1:$A$4")
    data = with_x14_format(data, "Requirements", "E5:E9", "Lists!$A$3=E5")
    return with_absurd_dimension(data, "Print")


def _requirements_sheet(sheet: Worksheet) -> None:
    sheet["A1"] = "Functional requirements"
    sheet.merge_cells("A1:F1")
    _header(
        sheet,
        3,
        ["Req ID", "Category", "Requirement", "Priority (MoSCoW)", "Compliance", "Comments"],
    )
    sheet["A4"] = "Identity and access"
    sheet.merge_cells("A4:F4")
    for row, (key, category, text, priority) in enumerate(FUNCTIONAL, start=5):
        sheet.cell(row, 1, key)
        sheet.cell(row, 2, category)
        sheet.cell(
            row,
            3,
            text if text else '="The system shall export audit logs in "&"CSV and JSON formats."',
        )
        sheet.cell(row, 4, priority)
    for row in range(5, 10):  # answer cells shaded for the bidder, as customers do
        sheet.cell(row, 5).fill = sheet.cell(row, 6).fill = ANSWER_FILL
    sheet["E6"] = "Comply"
    sheet["C5"].comment = Comment("SAML is mandatory for the bank's IdP.", "Customer")
    sheet.conditional_formatting.add(
        "E5:E9",
        CellIsRule(
            operator="equal", formula=['"Non-comply"'], fill=PatternFill("solid", bgColor="FFC7CE")
        ),
    )
    sheet["A12"] = "Non-functional requirements"
    sheet.merge_cells("A12:E12")
    _header(sheet, 13, ["Ref", "Description", "Mandatory", "Response", "Reference"])
    for row, (key, text, mandatory) in enumerate(NON_FUNCTIONAL, start=14):
        sheet.cell(row, 1, key)
        sheet.cell(row, 2, text)
        sheet.cell(row, 3, mandatory)
    sheet["D15"] = "Our platform meets this with a CDN and caching."


def _service_sheet(sheet: Worksheet) -> None:
    """Two-row merged header: "Response" over Yes | In-Part | No | N/A, answered with X."""
    for ref, label in (
        ("A1", "No."),
        ("B1", "Requirement"),
        ("C1", "Response"),
        ("G1", "Comments"),
    ):
        sheet[ref] = label
        sheet[ref].font = BOLD
    for merged in ("A1:A2", "B1:B2", "C1:F1", "G1:G2"):
        sheet.merge_cells(merged)
    for column, label in enumerate(["Yes", "In-Part", "No", "N/A"], start=3):
        sheet.cell(2, column, label).font = BOLD
    sheet["A3"] = "Service management"
    sheet.merge_cells("A3:G3")
    for row, (number, text, yes, no) in enumerate(SERVICE, start=4):
        sheet.cell(row, 1, number)
        sheet.cell(row, 2, text)
        sheet.cell(row, 3, yes)
        sheet.cell(row, 5, no)


def _security_sheet(sheet: Worksheet) -> None:
    """No ID column: the IDs start the text. An inline dropdown on the compliance column."""
    _header(sheet, 1, ["Requirement", "Compliance", "Comments"])
    for row, text in enumerate(SECURITY, start=2):
        sheet.cell(row, 1, text)
    dropdown = DataValidation(type="list", formula1='"Yes,Partial,No"', allow_blank=True)
    sheet.add_data_validation(dropdown)
    dropdown.add("B2:B20")


DEVIATION = [
    ("一、平台功能", None),
    ("3.1.1", "★支持统一身份认证，支持单点登录（SSO），支持与现有LDAP目录对接。"),
    ("3.1.2", "▲系统应支持国密算法（SM2/SM3/SM4）对敏感数据加密存储。"),
    ("3.1.3", "支持日志审计，操作日志保存不少于6个月，支持按用户和时间检索。"),
    ("二、性能要求", None),
    ("3.2.1", "★系统并发用户数不少于5000，核心交易响应时间不超过2秒。"),
    ("3.2.2", "支持横向扩展，新增节点无需停机。"),
]
FUNCTIONS = [
    "3.2.1 系统应支持工作流自定义，可通过拖拽配置审批节点。",
    "3.2.2系统应支持移动端审批，兼容主流手机浏览器。",
    "3.2.3 系统应支持电子签章，符合《电子签名法》要求。",
]


def chinese_tender() -> bytes:
    """偏离表 with ★▲, section rows, an x14 deviation dropdown; X columns 满足|部分满足|不满足."""
    workbook = Workbook()
    _cover(
        workbook,
        "封面",
        "某市政务云平台建设项目 招标文件（技术部分）",
        ["招标编号：ZB-2025-018", "采购人：某市大数据管理局"],
        "投标人应逐条响应本招标文件技术要求，标注★的条款为实质性要求，任何一项负偏离将导致投标无效。",
    )
    _deviation_sheet(workbook.create_sheet("技术偏离表"))
    _functions_sheet(workbook.create_sheet("功能需求"))
    options = workbook.create_sheet("下拉选项")
    for row, word in enumerate(["无偏离", "正偏离", "负偏离"], start=1):
        options.cell(row, 1, word)
    options.sheet_state = "hidden"
    data = save(workbook)
    return with_x14_list(data, "技术偏离表", "E5:E11", "下拉选项!$A$1:$A$3")


def _deviation_sheet(sheet: Worksheet) -> None:
    sheet["A1"] = "技术偏离表"
    sheet.merge_cells("A1:F1")
    sheet["A2"] = "项目名称：某市政务云平台建设项目"
    sheet.merge_cells("A2:F2")
    _header(sheet, 3, ["序号", "招标文件条款号", "招标要求", "投标响应", "偏离情况", "说明"])
    number = 0
    for row, (clause, text) in enumerate(DEVIATION, start=4):
        if text is None:
            sheet.cell(row, 1, clause)
            sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=6)
            continue
        number += 1
        sheet.cell(row, 1, number)
        sheet.cell(row, 2, clause)
        sheet.cell(row, 3, text)
    sheet["E7"] = "无偏离"


def _functions_sheet(sheet: Worksheet) -> None:
    for ref, label in (("A1", "需求描述"), ("B1", "响应情况"), ("E1", "备注")):
        sheet[ref] = label
    for merged in ("A1:A2", "B1:D1", "E1:E2"):
        sheet.merge_cells(merged)
    for column, label in enumerate(["满足", "部分满足", "不满足"], start=2):
        sheet.cell(2, column, label)
    for row, text in enumerate(FUNCTIONS, start=3):
        sheet.cell(row, 1, text)
    sheet["C4"] = "√"


def formatted_to_the_end() -> bytes:
    """A short list whose formatting runs down to row 1,048,576."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Requirements"
    _header(sheet, 1, ["ID", "Requirement", "Compliance"])
    for row, (key, _, text, _) in enumerate(FUNCTIONAL[:2], start=2):
        sheet.cell(row, 1, key)
        sheet.cell(row, 2, text)
    return with_formatted_rows_to_the_end(save(workbook), "Requirements", 4)


def large_workbook(rows: int, *, sheets: int = 2) -> bytes:
    """``rows`` requirements on each of ``sheets`` sheets, stored as Excel stores them.

    Shared strings, styled empty answer cells, an x14 dropdown on a hidden list and a
    conditional format; texts alternate between English and Chinese. The rows are written
    as XML directly: openpyxl would take longer to build them than intake takes to read.
    """
    workbook = Workbook()
    for number in range(1, sheets + 1):
        sheet = workbook.active if number == 1 else workbook.create_sheet()
        assert sheet is not None
        sheet.title = f"Requirements {number}"
        _header(
            sheet, 1, ["Req ID", "Category", "Requirement", "Priority", "Compliance", "Comments"]
        )
        sheet["E2"].fill = ANSWER_FILL
        sheet.conditional_formatting.add(
            f"E2:E{rows + 1}",
            CellIsRule(
                operator="equal",
                formula=['"Non-comply"'],
                fill=PatternFill("solid", bgColor="FFC7CE"),
            ),
        )
    lists = workbook.create_sheet("Lists")
    for row, word in enumerate(["Comply", "Partial", "Non-comply", "N/A"], start=1):
        lists.cell(row, 1, word)
    lists.sheet_state = "hidden"
    data = save(workbook)
    strings: dict[str, int] = {}
    for number in range(1, sheets + 1):
        name = f"Requirements {number}"
        data = patch_sheet(data, name, lambda xml, n=number: _generated_rows(xml, n, rows, strings))
        data = with_x14_list(data, name, f"E2:E{rows + 1}", "Lists!$A$1:$A$4")
    return _with_sst_part(data, list(strings))


def _generated_rows(xml: bytes, number: int, rows: int, strings: dict[str, int]) -> bytes:
    header_style = re.search(rb'<c r="A1" s="(\d+)"', xml)
    answer_style = re.search(rb'<c r="E2" s="(\d+)"', xml)
    assert header_style is not None
    assert answer_style is not None
    head, answer = header_style.group(1).decode(), answer_style.group(1).decode()

    def text(row: int, column: str, value: str, style: str = "") -> str:
        index = strings.setdefault(escape(value), len(strings))
        styled = f' s="{style}"' if style else ""
        return f'<c r="{column}{row}"{styled} t="s"><v>{index}</v></c>'

    labels = ["Req ID", "Category", "Requirement", "Priority", "Compliance", "Comments"]
    lines = [
        '<row r="1">'
        + "".join(text(1, c, v, head) for c, v in zip("ABCDEF", labels, strict=True))
        + "</row>"
    ]
    for row in range(2, rows + 2):
        requirement = (
            f"The system shall process case {row} of sheet {number} within {row % 9 + 1} seconds."
            if row % 2
            else f"系统应支持第{row}项业务（表{number}）的审批流程，并在{row % 9 + 1}秒内完成响应。"
        )
        lines.append(
            f'<row r="{row}">'
            + text(row, "A", f"R{number}-{row:06d}")
            + text(row, "B", f"Area {row % 17}")
            + text(row, "C", requirement)
            + text(row, "D", ("Must", "Should", "Could")[row % 3])
            + f'<c r="E{row}" s="{answer}"/><c r="F{row}" s="{answer}"/></row>'
        )
    body = "".join(lines).encode()
    xml = re.sub(rb'<dimension ref="[^"]*"/>', f'<dimension ref="A1:F{rows + 1}"/>'.encode(), xml)
    return re.sub(
        rb"<sheetData>.*</sheetData>",
        lambda _: b"<sheetData>" + body + b"</sheetData>",
        xml,
        flags=re.S,
    )


def csv_bytes(encoding: str, *, delimiter: str = ",") -> bytes:
    lines = [["编号", "需求描述", "是否满足", "备注"]]
    lines += [[f"3.1.{n}", text, "", ""] for n, (_, text) in enumerate(DEVIATION[1:4], start=1)]
    lines.append(["3.1.9", '=HYPERLINK("http://x")需求以等号开头', "", ""])
    text = (
        "\r\n".join(delimiter.join(_csv_field(f, delimiter) for f in line) for line in lines)
        + "\r\n"
    )
    return text.encode(encoding)


def _csv_field(value: str, delimiter: str) -> str:
    if any(char in value for char in (delimiter, '"', "\n")):
        return '"' + value.replace('"', '""') + '"'
    return value


# ---------------------------------------------------------------- attack files


def zip_bomb(expanded_bytes: int = 1 << 30) -> bytes:
    """A valid .xlsx whose one sheet expands to ``expanded_bytes`` (a 1 GiB sheet ≈ 1 MiB)."""
    base = zipfile.ZipFile(io.BytesIO(save(Workbook())))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as target:
        for info in base.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                target.writestr(info, base.read(info.filename))
                continue
            with target.open(info.filename, "w", force_zip64=True) as stream:
                stream.write(
                    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
                )
                block = b" " * (1 << 24)
                for _ in range(expanded_bytes // len(block)):
                    stream.write(block)
                stream.write(b"</sheetData></worksheet>")
    return output.getvalue()


def entity_bomb() -> bytes:
    """Billion laughs in the shared strings: ten levels of ten references."""
    levels = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    ]
    sst = (
        '<?xml version="1.0"?><!DOCTYPE sst [' + "".join(levels) + "]>"
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
        'uniqueCount="1"><si><t>&lol9;</t></si></sst>'
    ).encode()
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "x"
    return rewrite_parts(
        with_shared_strings(save(workbook)), {"xl/sharedStrings.xml": lambda _: sst}
    )


def stray_value(ref: str) -> bytes:
    """Two values, one of them far away: calamine would allocate the whole rectangle."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet["A1"] = "Requirement"
    sheet[ref] = "x"
    return save(workbook)


def encrypted_workbook() -> bytes:
    """An OLE2 compound file holding EncryptionInfo and EncryptedPackage, as Excel writes
    a password-protected .xlsx (the streams' contents are random here)."""
    sector = 512
    info, package = b"\x04\x00\x04\x00" + bytes(4092), bytes(8192)
    streams = [("EncryptionInfo", info), ("EncryptedPackage", package)]
    fat = [0xFFFFFFFD, 0xFFFFFFFE]
    starts = []
    for _, content in streams:
        count = len(content) // sector
        starts.append(len(fat))
        fat += [len(fat) + i + 1 for i in range(count - 1)] + [0xFFFFFFFE]
    fat += [0xFFFFFFFF] * (128 - len(fat))
    header = (
        bytes.fromhex("d0cf11e0a1b11ae1")
        + bytes(16)
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + bytes(6)
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
        + struct.pack("<I", 0)
        + struct.pack("<I", 0xFFFFFFFF) * 108
    )
    entries = [_directory_entry("Root Entry", 5, child=1, start=0xFFFFFFFE, size=0)]
    entries.append(_directory_entry("EncryptionInfo", 2, right=2, start=starts[0], size=len(info)))
    entries.append(_directory_entry("EncryptedPackage", 2, start=starts[1], size=len(package)))
    entries.append(bytes(128))
    return header + struct.pack("<128I", *fat) + b"".join(entries) + info + package


def _directory_entry(
    name: str, kind: int, *, child: int = 0xFFFFFFFF, right: int = 0xFFFFFFFF, start: int, size: int
) -> bytes:
    encoded = (name + "\0").encode("utf-16-le")
    return (
        encoded.ljust(64, b"\0")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", 0xFFFFFFFF, right, child)
        + bytes(16 + 4 + 16)
        + struct.pack("<IQ", start, size)
    )


def renamed(kind: str) -> bytes:
    """Not a workbook at all, though it is called ``.xlsx``."""
    if kind == "pdf":
        return b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n"
    if kind == "docx":
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w") as archive:
            archive.writestr("[Content_Types].xml", "<Types/>")
            archive.writestr("word/document.xml", "<w:document/>")
        return output.getvalue()
    assert kind == "text"
    return "ID,Requirement\nA-1,系统应支持登录\n".encode()


def with_lying_size(data: bytes, member: str, declared: int) -> bytes:
    """Claim ``declared`` uncompressed bytes for ``member`` in its local and central headers."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo(member).header_offset
    patched = bytearray(data)
    patched[offset + 22 : offset + 26] = struct.pack("<I", declared)
    name = member.encode()
    central = data.find(b"PK\x01\x02")
    while central != -1:
        length = struct.unpack_from("<H", data, central + 28)[0]
        if data[central + 46 : central + 46 + length] == name:
            patched[central + 24 : central + 28] = struct.pack("<I", declared)
        central = data.find(b"PK\x01\x02", central + 4)
    return bytes(patched)


VBA_PROJECT = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8  # stands in for macros


def macro_workbook(data: bytes) -> bytes:
    """The workbook as .xlsm: a VBA project part, macro-enabled content type and relationship."""
    main = b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"
    macro = b"application/vnd.ms-excel.sheet.macroEnabled.main+xml"
    vba = (
        b'<Override PartName="/xl/vbaProject.bin" '
        b'ContentType="application/vnd.ms-office.vbaProject"/>'
    )
    relationship = (
        b'<Relationship Id="rIdVba" Type="http://schemas.microsoft.com/office/2006/relationships/'
        b'vbaProject" Target="vbaProject.bin"/></Relationships>'
    )
    return rewrite_parts(
        data,
        {
            "[Content_Types].xml": lambda xml: xml.replace(main, macro).replace(
                b"</Types>", vba + b"</Types>"
            ),
            "xl/_rels/workbook.xml.rels": lambda xml: xml.replace(
                b"</Relationships>", relationship
            ),
        },
        add={"xl/vbaProject.bin": VBA_PROJECT},
    )


def binary_workbook() -> bytes:
    """An .xlsb package (binary parts): calamine could read it, write-back could not."""
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.bin", b"\x83\x01\x00")
    return output.getvalue()
