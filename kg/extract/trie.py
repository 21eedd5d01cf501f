"""A regex alternation built as a trie: Python's ``re`` tries alternatives one by one, so a list of a
thousand names is slow; nesting them by common prefix makes each position cost a few steps."""

from __future__ import annotations

import re
from collections.abc import Iterable

_END = ""


def trie_pattern(words: Iterable[str]) -> str:
    """A regex (no anchors, no boundaries) matching exactly ``words``, the longest match first."""
    root: dict = {}
    for word in words:
        node = root
        for ch in word:
            node = node.setdefault(ch, {})
        node[_END] = {}
    return _node(root)


def _node(node: dict) -> str:
    branches = [re.escape(ch) + _node(child) for ch, child in sorted(node.items()) if ch != _END]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:  # a word ends here: longer words first, then the empty alternative
        return "(?:" + body + ")?" if len(branches) == 1 else body[:-1] + "|)"
    return body
