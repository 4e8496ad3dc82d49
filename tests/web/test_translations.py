"""Every UI text the templates use has a Chinese translation."""

import re

from app.i18n import ZH
from app.web import TEMPLATE_DIR

_MSGID = re.compile(r"""_\(\s*(?:"([^"]+)"|'([^']+)')\s*\)""")


def test_every_template_msgid_has_a_chinese_translation() -> None:
    used = {
        double or single
        for path in TEMPLATE_DIR.glob("*.html")
        for double, single in _MSGID.findall(path.read_text(encoding="utf-8"))
    }
    assert used, "the scanner found no msgids at all"
    assert sorted(used - ZH.keys()) == []
