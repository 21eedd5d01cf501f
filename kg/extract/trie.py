"""A regex alternation built as a trie: Python's ``re`` tries alternatives one by one, so a list of a
thousand names is slow; nesting them by common prefix makes each position cost a few steps.

``WordScanner`` finds whole-word matches of such an alternation. A leading look-behind makes ``re``
test it at every position of the text; without it ``re`` skips ahead to the characters the trie can
start with. When (nearly) every word starts with a capital (names), those are rare inside words, so the
scanner matches without the look-behind and checks the left edge itself (the gazetteer's 334 names:
twice as fast); lower-case words would be tried inside every word, so they keep the look-behind
(the topic keywords: a third faster with it).
"""

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


class WordScanner:
    """Matches of ``words`` not touching a ``edge`` character on either side, as
    ``re.compile(f"(?<!{edge})(?:{trie})(?!{edge})").finditer`` finds them."""

    def __init__(self, words: Iterable[str], edge: str = r"\w") -> None:
        words = [w for w in words if w]
        body = trie_pattern(words)
        self._exact = re.compile(rf"(?<!{edge})(?:{body})(?!{edge})" if body else "(?!)")
        capitals = bool(words) and sum(w[0].islower() for w in words) <= len(words) // 10
        self._fast = re.compile(rf"(?:{body})(?!{edge})") if capitals else None
        self._edge = re.compile(edge)

    def finditer(self, text: str) -> list[re.Match[str]]:
        if self._fast is None:
            return list(self._exact.finditer(text))
        out: list[re.Match[str]] = []
        edge = self._edge.match
        for m in self._fast.finditer(text):
            if m.start() and edge(text, m.start() - 1):  # rare: a match began inside a word
                out += self._exact.finditer(text, m.start() + 1)
                break
            out.append(m)
        return out

    def fullmatch(self, text: str) -> re.Match[str] | None:
        return self._exact.fullmatch(text)
