"""python-docx helpers it lacks: East-Asian fonts and language, fields (TOC, PAGE).

python-docx writes only ``w:ascii``/``w:hAnsi`` for ``font.name`` and its default template
declares ``w:eastAsia="ja-JP"`` with theme fonts, so Chinese text falls back to a Japanese
font. These helpers set ``w:eastAsia`` explicitly, drop the theme attributes and declare
zh-CN, on the document defaults and on every style.
"""

from typing import Any

from docx.oxml import OxmlElement
from docx.oxml.ns import qn

_THEME_ATTRIBUTES = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _child(parent: Any, tag: str) -> Any:
    found = parent.find(qn(tag))
    if found is None:
        found = OxmlElement(tag)
        parent.append(found)
    return found


def set_run_fonts(r_pr: Any, *, latin: str, east_asia: str) -> None:
    """Explicit fonts on a ``w:rPr`` (no theme fonts)."""
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for attribute in _THEME_ATTRIBUTES:
        fonts.attrib.pop(qn(attribute), None)
    fonts.set(qn("w:ascii"), latin)
    fonts.set(qn("w:hAnsi"), latin)
    fonts.set(qn("w:cs"), latin)
    fonts.set(qn("w:eastAsia"), east_asia)


def set_language(r_pr: Any, *, latin: str, east_asia: str = "zh-CN") -> None:
    lang = _child(r_pr, "w:lang")
    lang.set(qn("w:val"), latin)
    lang.set(qn("w:eastAsia"), east_asia)


def set_document_fonts(
    document: Any, *, latin: str, east_asia: str, heading_east_asia: str, language: str
) -> None:
    """Document defaults, every style and the theme-font language, all explicit."""
    styles = document.styles.element
    defaults = _child(_child(_child(styles, "w:docDefaults"), "w:rPrDefault"), "w:rPr")
    set_run_fonts(defaults, latin=latin, east_asia=east_asia)
    set_language(defaults, latin=language)
    for style in document.styles:
        element = style.element
        r_pr = element.find(qn("w:rPr"))
        fonts = r_pr.find(qn("w:rFonts")) if r_pr is not None else None
        is_heading = style.name.startswith(("Heading", "Title"))
        if fonts is None and not is_heading:
            continue
        if r_pr is None:
            r_pr = OxmlElement("w:rPr")
            element.append(r_pr)
        set_run_fonts(r_pr, latin=latin, east_asia=heading_east_asia if is_heading else east_asia)
    settings = document.settings.element
    theme_lang = _child(settings, "w:themeFontLang")
    theme_lang.set(qn("w:val"), language)
    theme_lang.set(qn("w:eastAsia"), "zh-CN")


def _field_runs(paragraph: Any, instruction: str, placeholder: str) -> None:
    def run_with(element: Any) -> None:
        run = paragraph.add_run()
        run._r.append(element)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")
    run_with(begin)
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run_with(text)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    paragraph.add_run(placeholder)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


def add_field(paragraph: Any, instruction: str, placeholder: str = "1") -> None:
    """A Word field (``PAGE``, ``NUMPAGES``, ``TOC \\o "1-2" \\h \\z \\u``) in ``paragraph``."""
    _field_runs(paragraph, instruction, placeholder)


def update_fields_on_open(document: Any) -> None:
    """Ask Word to refresh fields (the TOC) when the document is opened."""
    settings = document.settings.element
    update = _child(settings, "w:updateFields")
    update.set(qn("w:val"), "true")
