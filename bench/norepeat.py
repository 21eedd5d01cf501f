"""A query mix in which no query repeats, so no result cache can answer it: eight query shapes, each
filled with a random State (ISO code), year, date or headline word taken from the build's own store.

``mix(store, n, seed)`` returns ``n`` distinct queries, shape ``i % 8`` for the ``i``-th, the same for
the same store and seed. In-process on the 20,000-release store each takes 0.3–120 ms (the ASK and the
co-mentions are the slowest; the day's releases the fastest).
"""

from __future__ import annotations

import datetime as dt
import random
import re
from pathlib import Path

import pyoxigraph as ox

PREFIXES = """PREFIX schema: <https://schema.org/>
PREFIX osce: <https://w3id.org/osce-kg/ontology#>
PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>
"""

SHAPES = (
    # the releases mentioning a State in a year
    """SELECT ?date ?headline ?release WHERE {{
  ?s osce:isoAlpha2 "{iso}" . ?release schema:mentions ?s ; schema:datePublished ?date .
  FILTER (?date >= "{year}-01-01"^^xsd:date && ?date <= "{year}-12-31"^^xsd:date)
  ?release schema:headline ?headline }} ORDER BY ?date ?release""",
    # how many releases mention a State since a year
    """SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE {{
  ?s osce:isoAlpha2 "{iso}" . ?r schema:mentions ?s ; schema:datePublished ?d . FILTER (YEAR(?d) >= {year}) }}""",
    # the releases of a day
    """SELECT ?release ?headline WHERE {{
  ?release schema:datePublished "{date}"^^xsd:date ; schema:headline ?headline }} ORDER BY ?release""",
    # a month's headlines with a word
    """SELECT ?release ?headline WHERE {{
  ?release schema:datePublished ?d .
  FILTER (?d >= "{year}-{month:02d}-01"^^xsd:date && ?d < "{next_year}-{next_month:02d}-01"^^xsd:date)
  ?release schema:headline ?headline . FILTER (CONTAINS(LCASE(STR(?headline)), "{word}")) }}
ORDER BY ?release LIMIT 20""",
    # was a State mentioned on a day
    """ASK {{ ?s osce:isoAlpha2 "{iso}" . ?r schema:mentions ?s ; schema:datePublished "{date}"^^xsd:date }}""",
    # a day's releases as a graph
    """CONSTRUCT {{ ?release schema:headline ?h ; schema:mentions ?m }} WHERE {{
  ?release schema:datePublished "{date}"^^xsd:date ; schema:headline ?h ; schema:mentions ?m }}""",
    # what is mentioned with a State in a year
    """SELECT ?other (COUNT(DISTINCT ?r) AS ?n) WHERE {{
  ?s osce:isoAlpha2 "{iso}" . ?r schema:mentions ?s ; schema:datePublished ?d ; schema:mentions ?other .
  FILTER (?other != ?s && YEAR(?d) = {year}) }} GROUP BY ?other ORDER BY DESC(?n) ?other LIMIT 10""",
    # the releases of a few weeks by genre
    """SELECT ?genre (COUNT(*) AS ?n) WHERE {{
  ?r schema:datePublished ?d ; schema:genre ?genre .
  FILTER (?d >= "{date}"^^xsd:date && ?d < "{weeks_later}"^^xsd:date) }}
GROUP BY ?genre ORDER BY ?genre""",
)


def _values(store: ox.Store, query: str) -> list[str]:
    return sorted({s[0].value for s in store.query(PREFIXES + query, use_default_graph_as_union=True)})


def vocabulary(store_dir: Path) -> dict[str, list[str]]:
    """The States (ISO codes) releases mention, the dates they have, and words of their headlines."""
    store = ox.Store.read_only(str(store_dir))
    isos = _values(store, "SELECT DISTINCT ?iso WHERE { ?s osce:isoAlpha2 ?iso . ?r schema:mentions ?s }")
    dates = _values(store, "SELECT DISTINCT ?d WHERE { ?r schema:datePublished ?d }")
    headlines = _values(store, "SELECT ?h WHERE { ?r schema:headline ?h } LIMIT 5000")
    words = sorted({w for h in headlines for w in re.findall(r"[a-z]{5,}", h.lower())})
    return {"iso": isos, "date": dates, "word": words}


def mix(store_dir: Path, n: int, seed: int = 13) -> list[str]:
    """``n`` distinct queries over the store at ``store_dir`` (deterministic for ``seed``)."""
    vocab = vocabulary(store_dir)
    rng = random.Random(seed)
    years = sorted({d[:4] for d in vocab["date"]})
    out: list[str] = []
    seen: set[str] = set()
    for _ in range(n * 100):
        if len(out) == n:
            return out
        year, month, date = int(rng.choice(years)), rng.randint(1, 12), rng.choice(vocab["date"])
        weeks_later = dt.date.fromisoformat(date) + dt.timedelta(weeks=rng.randint(1, 8))
        values = {"iso": rng.choice(vocab["iso"]), "year": year, "date": date, "weeks_later": weeks_later,
                  "word": rng.choice(vocab["word"]), "month": month,
                  "next_year": year + (month == 12), "next_month": month % 12 + 1}
        query = PREFIXES + SHAPES[len(out) % len(SHAPES)].format(**values)
        if query not in seen:
            seen.add(query)
            out.append(query)
    raise ValueError(f"the store has too few distinct values for {n} distinct queries")
