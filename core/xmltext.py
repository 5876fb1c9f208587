"""Characters XML 1.0 cannot hold, and one function that drops them.

Stored text ends up in XML (the errata Atom feed) and HTML; a single control character there
makes the whole document unparsable (issue #11). ``core.db`` drops these from every bound string
before it reaches the database, and the feed serializer drops them again on the way out.
"""

from __future__ import annotations

import re

# C0 controls except tab, newline and carriage return; lone surrogates; U+FFFE and U+FFFF.
# (Each alternative is a single character class: linear time on any input.)
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot hold."""
    return XML_INVALID.sub("", text)
