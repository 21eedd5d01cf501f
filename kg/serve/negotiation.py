"""HTTP content negotiation (RFC 9110 §12.5.1) over the media types the endpoint can write.

Each offer is matched against its most specific Accept range (``type/subtype;params`` before
``type/subtype`` before ``type/*`` before ``*/*``) and takes that range's ``q``; ``q=0`` refuses it.
The highest ``q`` wins, ties going to the server's order. A ``charset`` parameter only matches UTF-8,
the one charset written; other parameters must be equal to the offer's (offers have none).
"""

from __future__ import annotations

from dataclasses import dataclass

RESULTS = "application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"
GRAPHS = "text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml"

# Other names clients use for the same formats, mapped to the canonical media type.
ALIASES = {
    "application/json": "application/sparql-results+json",
    "text/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/tsv": "text/tab-separated-values",
    "application/x-turtle": "text/turtle",
    "application/turtle": "text/turtle",
    "text/plain": "application/n-triples",
    "application/x-json+ld": "application/ld+json",
}

# Values of the ``format`` request parameter.
FORMATS = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml", "csv": "text/csv",
    "tsv": "text/tab-separated-values", "turtle": "text/turtle", "ttl": "text/turtle",
    "ntriples": "application/n-triples", "nt": "application/n-triples", "jsonld": "application/ld+json",
    "json-ld": "application/ld+json", "rdfxml": "application/rdf+xml", "rdf": "application/rdf+xml",
}
UTF8 = frozenset({"utf-8", "utf8"})


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    params: tuple[tuple[str, str], ...]
    q: float

    def specificity(self, offer_type: str, offer_subtype: str) -> int | None:
        """How specifically this range names the offer (higher is more specific), None if it does not."""
        if self.type not in ("*", offer_type) or self.subtype not in ("*", offer_subtype):
            return None
        for name, value in self.params:
            if name != "charset" or value.lower() not in UTF8:
                return None
        return (self.type != "*") + (self.subtype != "*") + len(self.params)


def parse_accept(header: str) -> list[MediaRange]:
    """The ranges of an Accept header; malformed members are skipped, a malformed ``q`` counts as 1."""
    ranges = []
    for member in header.split(","):
        parts = [p.strip() for p in member.split(";")]
        kind, _, sub = parts[0].lower().partition("/")
        if not kind or not sub:
            continue
        q, params = 1.0, []
        for p in parts[1:]:
            name, _, value = p.partition("=")
            name, value = name.strip().lower(), value.strip().strip('"')
            if name == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 1.0
            elif name:
                params.append((name, value))
        ranges.append(MediaRange(kind, sub, tuple(params), q))
    return ranges


def _match(ranges: list[MediaRange], offer: str) -> tuple[int, float]:
    """(specificity, q) of the most specific range naming ``offer``; (-1, 0) when none does."""
    kind, _, sub = offer.partition("/")
    best = (-1, 0.0)
    for r in ranges:
        s = r.specificity(kind, sub)
        if s is not None and s > best[0]:
            best = (s, r.q)
    return best


def quality(ranges: list[MediaRange], offer: str) -> float:
    """The q the client gives ``offer``: that of its most specific matching range, 0 if none matches."""
    return _match(ranges, offer)[1]


def choose(accept: str | None, offers: tuple[str, ...]) -> str | None:
    """The canonical media type to answer with, or None when nothing offered is acceptable (406).

    A type and its aliases count as one offer, rated by whichever range names one of them most
    specifically (aliases only by name, never through ``type/*``); with no Accept header the first
    offer wins.
    """
    if not accept or not accept.strip():
        return offers[0]
    ranges = parse_accept(accept)
    if not ranges:
        return offers[0]
    matches = {o: _match(ranges, o) for o in offers}
    for alias, canonical in ALIASES.items():
        match = _match(ranges, alias)
        if canonical in offers and match[0] >= 2:  # an alias counts only where it is named, not by a wildcard
            matches[canonical] = max(matches[canonical], match)
    scores = {o: matches[o][1] for o in offers}
    best = max(offers, key=lambda o: scores[o])  # max keeps the first of equal scores: the server's order
    return best if scores[best] > 0 else None


def prefers_html(accept: str | None) -> bool:
    """True when the client (a browser) ranks HTML above every RDF and results format."""
    if not accept:
        return False
    ranges = parse_accept(accept)
    html = quality(ranges, "text/html")
    return html > 0 and all(quality(ranges, o) < html for o in (*GRAPHS, *RESULTS))
