"""Byte-reproducible Office packages.

A plain save is not reproducible: every zip member carries the time of the save and
openpyxl stamps ``dcterms:modified`` with the clock. The same run must give the same
bytes, so members are rewritten with a fixed time stamp and the core properties get the
run's own time.
"""

import io
import re
import zipfile
from datetime import datetime

_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(
    rb"(<dcterms:(created|modified)\b[^>]*>)[^<]*(</dcterms:(created|modified)>)"
)


def _core_with_dates(xml: bytes, stamp: datetime) -> bytes:
    text = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    return _CORE_DATES.sub(lambda m: m.group(1) + text + m.group(3), xml)


def normalize_package(data: bytes, *, stamp: datetime) -> bytes:
    """``data`` with fixed member times and core-property dates ``stamp`` (UTC)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    output = io.BytesIO()
    with source, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for member in source.infolist():
            content = source.read(member.filename)
            if member.filename == "docProps/core.xml":
                content = _core_with_dates(content, stamp)
            info = zipfile.ZipInfo(member.filename, date_time=_ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            target.writestr(info, content, compresslevel=6)
    return output.getvalue()
