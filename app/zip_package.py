"""Checks on a zip package (.xlsx, .docx) that read no more than they must.

The central directory says how many members there are and what they expand to, so a zip
bomb is refused without decompressing anything; XML parts are then streamed, 1 MiB at a
time, looking for DOCTYPE or ENTITY declarations (billion laughs, external entities)
before any parser sees them. Callers give their limits and how to word a refusal.
"""

import io
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass

OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy Office, or an encrypted package
CHUNK_BYTES = 1 << 20
ENTITY_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
# What zipfile raises for a damaged directory or member (zip64 records, odd versions, CRC).
DAMAGED = (
    zipfile.BadZipFile,
    ValueError,
    NotImplementedError,
    RuntimeError,  # a member flagged as encrypted
    OSError,
    EOFError,
    zlib.error,
)


@dataclass(frozen=True)
class PackageLimits:
    members: int
    uncompressed_bytes: int
    # Beyond ``ratio_from_bytes`` declared, a package compressed more than this is a bomb.
    compression_ratio: float
    ratio_from_bytes: int


Refusal = Callable[[str], Exception]


def declares_entities(window: bytes) -> bool:
    """Whether ``window`` holds a DOCTYPE or ENTITY declaration (in UTF-8 or UTF-16);
    ``!`` is rare in Office XML, so one fast pass usually settles it."""
    return b"!" in window and any(marker in window for marker in ENTITY_MARKERS)


def package_members(
    data: bytes, *, limits: PackageLimits, refuse: Refusal, package: str, not_zip: str
) -> list[zipfile.ZipInfo]:
    """The zip's members, read from its central directory only; refuses a file that is
    not a zip, a damaged directory, too many members and a likely zip bomb."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise refuse(not_zip)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except DAMAGED as error:
        raise refuse(f"the {package} package is damaged: {error}") from error
    if len(members) > limits.members:
        raise refuse(f"the package holds {len(members):,} parts; refusing")
    declared = sum(member.file_size for member in members)
    compressed = sum(member.compress_size for member in members) or 1
    suspicious_ratio = (
        declared > limits.ratio_from_bytes and declared / compressed > limits.compression_ratio
    )
    if declared > limits.uncompressed_bytes or suspicious_ratio:
        raise refuse(
            f"the package expands to {declared:,} bytes from {compressed:,}: refused as a "
            "likely zip bomb"
        )
    return members


def refuse_entity_declarations(
    data: bytes,
    *,
    suffixes: tuple[str, ...],
    declaring: Callable[[str], Exception],
    damaged: Callable[[str, BaseException], Exception],
) -> None:
    """Stream every part named ``*suffixes`` (1 MiB at a time) looking for DOCTYPE or
    ENTITY declarations; ``declaring(part)`` or ``damaged(part, error)`` is raised."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if not info.filename.lower().endswith(suffixes):
                continue
            try:
                with archive.open(info) as stream:
                    carry = b""
                    while chunk := stream.read(CHUNK_BYTES):
                        if declares_entities(carry + chunk):
                            raise declaring(info.filename)
                        carry = chunk[-32:]
            except DAMAGED as error:
                raise damaged(info.filename, error) from error
