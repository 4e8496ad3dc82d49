"""File downloads: the ``Content-Disposition`` header for names in any language."""

from urllib.parse import quote

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_UNSAFE_IN_QUOTES = frozenset('"\\/')


def attachment(file_name: str, *, fallback: str) -> str:
    """``attachment`` with an ASCII ``filename`` and the real name as RFC 6266 ``filename*``.

    >>> attachment("目录-v1.xlsx", fallback="catalog-v1.xlsx")
    'attachment; filename="catalog-v1.xlsx"; filename*=UTF-8\\'\\'%E7%9B%AE%E5%BD%95-v1.xlsx'
    """
    plain = "".join(
        char if char.isascii() and char.isprintable() and char not in _UNSAFE_IN_QUOTES else "_"
        for char in fallback
    )
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(file_name, safe='')}"
