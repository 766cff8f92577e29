"""User text (file, column and category names) shown as typed, never as Markdown or HTML."""

import re

_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:&=^\"'])")


def literal(value) -> str:
    """`value` with every Markdown character backslash-escaped, for st.markdown/write/caption/labels.

    Streamlit renders those as Markdown (and never raw HTML without unsafe_allow_html), so a column
    named `**x**` or `<b>x</b>` would otherwise show bold or lose its brackets.
    """
    return _SPECIAL.sub(r"\\\1", str(value))
