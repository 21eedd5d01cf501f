"""The text index of a build: every published release's title, body, quotations and names, in SQLite FTS5.

``kg build`` writes ``search/index.sqlite`` into the build (``write``): a copy of the previous build's index
from which the releases no longer published are deleted and to which the new ones are added, or a new
index when there is none made under the same fingerprint. Words are stemmed (Porter) and folded
(case, diacritics: ``Chisinau`` finds ``Chişinău``); a query (``to_match``) is words (all must match),
``"phrases"``, ``prefix*``, ``AND``/``OR``/``NOT``, parentheses and ``title:``/``body:``/``quotes:``/
``names:`` column filters; hits are ranked by BM25 with a title match weighing most. Each release also
carries facet values (year, content type, source unit, States and Partners mentioned, field of work,
and every entity it names, for the entity pages), counted over a query's hits by ``search``.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import threading
from array import array
from collections import Counter
from dataclasses import dataclass, field
from itertools import chain, islice
from pathlib import Path
from typing import Any, Callable, Iterable
from urllib.parse import quote

from kg.iris import slug

INDEX = "search/index.sqlite"  # in a build folder (not in SHA256SUMS, like store/ and cache/)
VERSION = "1"  # of the schema below: an index of another version is made anew
TOKENIZE = "porter unicode61 remove_diacritics 2"
COLUMNS = ("title", "body", "quotes", "names")
WEIGHTS = (10.0, 1.0, 2.0, 4.0)  # bm25 weight per column: a title match first
FACETS = ("year", "type", "source", "country", "field")  # shown with counts; "entity" narrows only
FACET_LABELS = {"year": "Year", "type": "Content type", "source": "Source", "country": "States and Partners",
                "field": "Field of work", "entity": "Names"}
SORTS = ("relevance", "newest", "oldest")
# Ranking computes BM25 for every hit (FTS5 has no top-k): above this many hits (a word in most releases)
# the hits come newest first instead, and the answer says so (narrow the query to rank by relevance).
RANK_LIMIT = 2500
MARK = ("\ue000", "\ue001")  # snippet highlight markers (private use: never in a release's text)

SCHEMA = f"""
CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT) WITHOUT ROWID;
CREATE TABLE release(rowid INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, iri TEXT NOT NULL, title TEXT NOT NULL,
    date TEXT NOT NULL, place TEXT, type TEXT, sources TEXT, shown BLOB NOT NULL, named BLOB NOT NULL);
CREATE VIRTUAL TABLE text USING fts5({", ".join(COLUMNS)}, tokenize='{TOKENIZE}');
CREATE TABLE value(id INTEGER PRIMARY KEY, facet TEXT NOT NULL, value TEXT NOT NULL, label TEXT NOT NULL,
    UNIQUE(facet, value));
CREATE TABLE facet(value INTEGER NOT NULL, rowid INTEGER NOT NULL, PRIMARY KEY(value, rowid)) WITHOUT ROWID;
"""


class SearchError(ValueError):
    """A query the index cannot answer (bad syntax, unknown facet or sort): the one-line reason."""

    status = 400


class NoIndex(SearchError):
    """The build has no search index (or one of another version)."""

    status = 503


# --- what is indexed ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Names:
    """What indexing needs of the reference data: entities' labels by IRI, and the data's base (facet
    values of entities are their paths under ``{base}id/``)."""

    base: str
    labels: dict[str, str]

    @classmethod
    def of(cls, gazetteer: Any, base: str) -> "Names":
        return cls(base, {e.iri: e.label for e in gazetteer.entities})

    def path(self, iri: str) -> str:
        """``country/malta`` for ``{base}id/country/malta``; other IRIs as they are."""
        prefix = self.base + "id/"
        return iri[len(prefix):] if iri.startswith(prefix) else iri


def _person(name: str) -> str:
    return f"person/{slug(name)}"


@dataclass(frozen=True)
class Listing:
    """What a list of releases shows of one."""

    iri: str
    title: str
    date: str
    place: str | None
    type: str
    sources: str


@dataclass(frozen=True)
class Doc(Listing):
    """One release as the index holds it."""

    key: str
    text: tuple[str, str, str, str]       # COLUMNS
    facets: tuple[tuple[str, str, str], ...]  # (facet, value, label)


def document(key: str, iri: str, record: dict[str, Any], names: Names) -> Doc:
    """The indexed form of one release record (``kg extract``'s JSON)."""
    date = record["date"]
    facets: list[tuple[str, str, str]] = [("year", date[:4], date[:4])]
    if record.get("content_type"):
        facets.append(("type", record["content_type"], record["content_type"]))
    units = record.get("sources", [])  # as the page names them (the mentions hold the resolved units)
    facets += [("source", value, value) for value in units]
    for m in record.get("mentions", []):
        label = names.labels.get(m["iri"], m["name"])
        if m["kind"] in ("state", "partner") and names.path(m["iri"]).startswith("country/"):  # not a partner group
            facets.append(("country", names.path(m["iri"]), label))
        facets.append(("entity", names.path(m["iri"]), label))
    people = [p["name"] for p in record.get("people", [])] + [q["speaker"] for q in record.get("quotes", [])
                                                                if q.get("speaker")]
    facets += [("entity", _person(name), name) for name in people if _person(name) != "person/"]
    facets += [("field", f, f) for f in record.get("fields_of_work", [])]
    named = chain((m["name"] for m in record.get("mentions", [])),
                  (names.labels.get(m["iri"], "") for m in record.get("mentions", [])),
                  (f"{p['name']} {p.get('role') or ''}" for p in record.get("people", [])),
                  people, [record.get("place") or ""], units)
    text = (record["title"], "\n\n".join(record.get("paragraphs", [])),
            "\n\n".join(q["text"] for q in record.get("quotes", [])), " · ".join(dict.fromkeys(n for n in named if n)))
    return Doc(iri, record["title"], date, record.get("place"), record.get("content_type") or "",
               "; ".join(dict.fromkeys(units)), key, text, tuple(dict.fromkeys(facets)))


# --- writing -----------------------------------------------------------------------------------------

def fts5_missing() -> str | None:
    """Why this Python's SQLite cannot hold the index (no FTS5 or no porter tokenizer), or None."""
    con = sqlite3.connect(":memory:")
    try:
        con.execute(f"CREATE VIRTUAL TABLE t USING fts5(x, tokenize='{TOKENIZE}')")
    except sqlite3.OperationalError as e:
        return f"SQLite {sqlite3.sqlite_version} cannot make the text index ({e})"
    finally:
        con.close()
    return None


@dataclass(frozen=True)
class Written:
    added: int
    removed: int
    kept: int
    anew: bool
    seconds: float = 0.0


def _meta(con: sqlite3.Connection) -> dict[str, str]:
    try:
        return dict(con.execute("SELECT key, value FROM meta"))
    except sqlite3.DatabaseError:
        return {}


def _reusable(previous: Path | None, fingerprint: str) -> bool:
    if previous is None or not previous.is_file():
        return False
    try:
        con = sqlite3.connect(f"file:{quote(str(previous))}?mode=ro", uri=True)
        try:
            return _meta(con) == {"version": VERSION, "fingerprint": fingerprint}
        finally:
            con.close()
    except sqlite3.Error:
        return False


def write(path: Path, releases: Iterable[tuple[str, str, bytes]], fingerprint: str,
          names: Callable[[], Names], previous: Path | None = None) -> Written:
    """Write the index of ``releases`` (cache key, IRI, record as JSON) to ``path``: the ``previous``
    index updated (releases gone deleted, new ones added) when it was made under ``fingerprint``, else
    a new one. ``names`` is called only when a release is to be added."""
    import json

    wanted = {key: (iri, record) for key, iri, record in releases}
    anew = not _reusable(previous, fingerprint)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    if not anew:
        shutil.copyfile(previous, path)  # type: ignore[arg-type]
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        if anew:
            con.executescript(SCHEMA)
        con.execute("BEGIN")
        if anew:
            con.executemany("INSERT INTO meta VALUES (?, ?)", [("version", VERSION), ("fingerprint", fingerprint)])
        have = dict(con.execute("SELECT key, rowid FROM release"))
        gone = [rowid for key, rowid in have.items() if key not in wanted]
        for rowid in gone:
            _delete(con, rowid)
        new = [key for key in wanted if key not in have]
        if new:
            index = _Writer(con, names())
            for key in new:
                iri, record = wanted[key]
                index.add(document(key, iri, json.loads(record), index.names))
        con.execute("COMMIT")
        if anew:
            con.execute("INSERT INTO text(text) VALUES ('optimize')")
    finally:
        con.close()
    return Written(len(new), len(gone), len(have) - len(gone), anew)


def _delete(con: sqlite3.Connection, rowid: int) -> None:
    shown, named = con.execute("SELECT shown, named FROM release WHERE rowid = ?", (rowid,)).fetchone()
    con.executemany("DELETE FROM facet WHERE value = ? AND rowid = ?",
                    [(v, rowid) for v in chain(_ids(shown), _ids(named))])
    con.execute("DELETE FROM text WHERE rowid = ?", (rowid,))
    con.execute("DELETE FROM release WHERE rowid = ?", (rowid,))


def _ids(blob: bytes) -> array:
    out = array("i")
    out.frombytes(blob)
    return out


class _Writer:
    def __init__(self, con: sqlite3.Connection, names: Names) -> None:
        self.con, self.names = con, names
        self.values = {(f, v): i for i, f, v in con.execute("SELECT id, facet, value FROM value")}

    def _value(self, facet: str, value: str, label: str) -> int:
        found = self.values.get((facet, value))
        if found is None:
            found = self.con.execute("INSERT INTO value(facet, value, label) VALUES (?, ?, ?)",
                                     (facet, value, label)).lastrowid
            self.values[(facet, value)] = found
        return found

    def add(self, doc: Doc) -> None:
        ids = [(facet, self._value(facet, value, label)) for facet, value, label in doc.facets]
        shown = array("i", (i for facet, i in ids if facet != "entity"))
        named = array("i", (i for facet, i in ids if facet == "entity"))
        rowid = self.con.execute(
            "INSERT INTO release(key, iri, title, date, place, type, sources, shown, named) VALUES (?,?,?,?,?,?,?,?,?)",
            (doc.key, doc.iri, doc.title, doc.date, doc.place, doc.type, doc.sources, shown.tobytes(),
             named.tobytes())).lastrowid
        self.con.execute("INSERT INTO text(rowid, title, body, quotes, names) VALUES (?, ?, ?, ?, ?)", (rowid, *doc.text))
        self.con.executemany("INSERT INTO facet(value, rowid) VALUES (?, ?)", ((i, rowid) for _, i in ids))


# --- querying ----------------------------------------------------------------------------------------

_TOKEN = re.compile(r'"[^"]*"?|[()]|[^\s()"]+')
_COLUMN = re.compile(rf"({'|'.join(COLUMNS)}):(.*)", re.IGNORECASE)
OPERATORS = ("AND", "OR", "NOT")


def to_match(q: str) -> str:
    """A user's query as an FTS5 expression: words and prefixes (``word*``) quoted, so punctuation
    (``co-operation``, ``U.S.``) never breaks the syntax; ``"phrases"``, ``AND``/``OR``/``NOT``,
    parentheses and ``column:`` kept. A lone quotation mark is an error."""
    out: list[str] = []
    for tok in _TOKEN.findall(q):
        column = ""
        if m := _COLUMN.fullmatch(tok):
            column, tok = m.group(1).lower() + " : ", m.group(2)
        if tok.startswith('"'):
            if len(tok) < 2 or not tok.endswith('"'):
                raise SearchError('a quotation mark is not closed: write phrases as "border police"')
            out.append(column + tok)
        elif tok in ("(", ")", *OPERATORS) and not column:
            out.append(tok)
        elif re.search(r"\w", tok):
            core = tok.rstrip("*")
            out.append(column + '"' + core.replace('"', '""') + '"' + ("*" if core != tok else ""))
    return " ".join(out)


@dataclass(frozen=True)
class Catalogue:
    """What ``search`` keeps in memory per index file (read once: the file never changes once published):
    the releases newest first, each shown facet value's releases as a bitmask of rowids (counting a
    value among hits is one AND), the entities each release names, and each facet value."""

    newest: list[int]
    masks: dict[int, int]                     # shown facet value id → bitmask of rowids
    named: dict[int, tuple[int, ...]]         # rowid → entity value ids
    values: dict[int, tuple[str, str, str]]   # id → (facet, value, label)
    ids: dict[tuple[str, str], int]


def _mask(rowids: Iterable[int]) -> int:
    rows = list(rowids)
    if not rows:
        return 0
    bits = bytearray((max(rows) >> 3) + 1)
    for r in rows:
        bits[r >> 3] |= 1 << (r & 7)
    return int.from_bytes(bits, "little")


def connect(path: Path) -> sqlite3.Connection:
    """The index opened read-only (``NoIndex`` when it is missing or not an index of this version)."""
    if not Path(path).is_file():
        raise NoIndex(f"no search index at {path}: run kg build")
    con = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True, check_same_thread=False)
    if _meta(con).get("version") != VERSION:
        con.close()
        raise NoIndex(f"{path} is not a search index of this version: run kg build")
    return con


_CATALOGUES: dict[tuple[str, int, int], Catalogue] = {}
_CATALOGUES_LOCK = threading.Lock()  # requests are answered in threads


def open_index(path: Path) -> tuple[sqlite3.Connection, Catalogue]:
    """The index at ``path`` opened read-only, and its catalogue (kept in memory for the two latest files)."""
    for _ in range(3):
        before = _identity(path)
        con = connect(path)
        key = _identity(path)
        if key == before:  # the file was not replaced meanwhile (a build swaps the folder)
            with _CATALOGUES_LOCK:
                if key not in _CATALOGUES:
                    while len(_CATALOGUES) >= 2:
                        del _CATALOGUES[next(iter(_CATALOGUES))]
                    _CATALOGUES[key] = _read_catalogue(con)
                return con, _CATALOGUES[key]
        con.close()
    raise SearchError(f"{path} keeps changing: try again")


def _identity(path: Path) -> tuple[str, int, int]:
    try:
        st = Path(path).stat()
    except OSError:
        raise NoIndex(f"no search index at {path}: run kg build") from None
    return str(path), st.st_ino, st.st_mtime_ns


def _read_catalogue(con: sqlite3.Connection) -> Catalogue:
    rows = con.execute("SELECT rowid, date, shown, named FROM release").fetchall()
    members: dict[int, list[int]] = {}
    for rowid, _, shown, _ in rows:
        for vid in _ids(shown):
            members.setdefault(vid, []).append(rowid)
    values = {i: (f, v, label) for i, f, v, label in con.execute("SELECT id, facet, value, label FROM value")}
    return Catalogue([r[0] for r in sorted(rows, key=lambda r: (r[1], r[0]), reverse=True)],
                     {vid: _mask(rs) for vid, rs in members.items()}, {r[0]: tuple(_ids(r[3])) for r in rows},
                     values, {(f, v): i for i, (f, v, _) in values.items()})


@dataclass(frozen=True)
class Query:
    q: str = ""
    filters: tuple[tuple[str, str], ...] = ()   # (facet, value): every one must hold
    sort: str = "relevance"
    page: int = 1
    size: int = 20


@dataclass(frozen=True)
class Hit(Listing):
    snippet: str          # the best passage, matched words between MARK characters
    score: float | None   # minus BM25 (higher is better), None when not ranked


@dataclass
class FacetValue:
    value: str
    label: str
    count: int
    selected: bool = False


@dataclass
class Results:
    query: Query
    total: int
    hits: list[Hit]
    facets: dict[str, list[FacetValue]]
    names: list[FacetValue] = field(default_factory=list)  # the entities most often named in the hits
    order: str = "relevance"  # what the hits are in: relevance, newest or oldest (see RANK_LIMIT)
    labels: dict[tuple[str, str], str] = field(default_factory=dict)  # (facet, value) → label of the filters

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.size))


def search(con: sqlite3.Connection, cat: Catalogue, query: Query, facet_limit: int = 10,
           names: int = 0) -> Results:
    """The page of hits ``query`` asks for, the count of all hits, each facet's most frequent values
    among them (``facet_limit``; selected values always shown) and, when ``names``, the ``names``
    entities most often named in them."""
    if query.sort not in SORTS:
        raise SearchError(f"unknown sort {query.sort!r}: use one of {', '.join(SORTS)}")
    if query.page < 1 or not 1 <= query.size <= 500:
        raise SearchError("page must be 1 or more and size between 1 and 500")
    match = to_match(query.q)
    hits: set[int] | None = None  # None: every release
    if match:
        try:
            hits = {r for r, in con.execute("SELECT rowid FROM text WHERE text MATCH ?", (match,))}
        except sqlite3.OperationalError as e:
            raise _unreadable(query.q, e) from None
    for facet, value in query.filters:
        if facet not in (*FACETS, "entity"):
            raise SearchError(f"unknown facet {facet!r}: use one of {', '.join((*FACETS, 'entity'))}")
        vid = cat.ids.get((facet, value))
        rows = set() if vid is None else {r for r, in con.execute("SELECT rowid FROM facet WHERE value = ?", (vid,))}
        hits = rows if hits is None else hits & rows
    start = (query.page - 1) * query.size
    scores: dict[int, float] = {}
    ranked = query.sort == "relevance" and bool(match) and hits is not None and len(hits) <= RANK_LIMIT
    if ranked:
        scores = _ranked(con, match, hits if query.filters else None, start, query.size)
        page = list(scores)
    else:
        order = reversed(cat.newest) if query.sort == "oldest" else cat.newest  # relevance without words: newest
        page = list(islice(order if hits is None else (r for r in order if r in hits), start, start + query.size))
    mask = None if hits is None else _mask(hits)
    return Results(query, len(cat.newest) if hits is None else len(hits), _hits(con, page, match, scores),
                   _facets(cat, mask, set(query.filters), facet_limit),
                   _names(cat, cat.newest if hits is None else hits, set(query.filters), names) if names else [],
                   "relevance" if ranked else "oldest" if query.sort == "oldest" else "newest",
                   {f: cat.values[cat.ids[f]][2] for f in query.filters if f in cat.ids})


def _ranked(con: sqlite3.Connection, match: str, among: set[int] | None, start: int, size: int) -> dict[int, float]:
    """rowid → score (minus BM25: higher is better) of the hits ``start`` to ``start + size`` by relevance
    (only those ``among``, if given)."""
    ranked = f"SELECT rowid, -bm25(text, {', '.join(map(str, WEIGHTS))}) FROM text WHERE text MATCH ? ORDER BY 2 DESC, 1"
    if among is None:
        return dict(con.execute(ranked + " LIMIT ? OFFSET ?", (match, size, start)))
    return dict(islice((row for row in con.execute(ranked, (match,)) if row[0] in among), start, start + size))


def matches(con: sqlite3.Connection, q: str) -> list[tuple[str, float]]:
    """Every release matching ``q``, as (IRI, score): the score is minus BM25, so higher is better."""
    match = to_match(q)
    if not match:
        raise SearchError("the text to match has no word")
    try:
        rows = con.execute(f"SELECT iri, -bm25(text, {', '.join(map(str, WEIGHTS))}) AS score FROM text "
                           f"JOIN release ON release.rowid = text.rowid WHERE text MATCH ? ORDER BY score DESC, text.rowid", (match,))
        return [(iri, score) for iri, score in rows]
    except sqlite3.OperationalError as e:
        raise _unreadable(q, e) from None


def _unreadable(q: str, e: sqlite3.OperationalError) -> SearchError:
    return SearchError(f"cannot read the query {q!r} ({str(e).removeprefix('fts5: ')}): use words, "
                       f"\"phrases\", prefix*, AND, OR, NOT and parentheses")


def _hits(con: sqlite3.Connection, rowids: list[int], match: str, scores: dict[int, float]) -> list[Hit]:
    if not rowids:
        return []
    marks = ", ".join(f"'{m}'" for m in MARK)
    where = ",".join(map(str, rowids))
    if match:  # the body's best passage, else the quotations', else the body's start
        snippets = dict(con.execute(f"SELECT rowid, snippet(text, 1, {marks}, '…', 24) FROM text "
                                    f"WHERE text MATCH ? AND rowid IN ({where})", (match,)))
        elsewhere = ",".join(str(r) for r, s in snippets.items() if MARK[0] not in s)
        if elsewhere:
            for r, quotes, body in con.execute(f"SELECT rowid, snippet(text, 2, {marks}, '…', 24), body FROM text "
                                               f"WHERE text MATCH ? AND rowid IN ({elsewhere})", (match,)):
                snippets[r] = quotes if MARK[0] in quotes else _lead(body)
    else:
        snippets = {r: _lead(body) for r, body in con.execute(f"SELECT rowid, body FROM text WHERE rowid IN ({where})")}
    rows = {r[0]: r[1:] for r in con.execute(
        f"SELECT rowid, iri, title, date, place, type, sources FROM release WHERE rowid IN ({where})")}
    return [Hit(*rows[r], snippets.get(r, ""), scores.get(r)) for r in rowids]


def _lead(body: str, words: int = 40) -> str:
    parts = body.split()
    return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


def _facets(cat: Catalogue, hits: int | None, selected: set[tuple[str, str]],
            limit: int) -> dict[str, list[FacetValue]]:
    """Each shown facet's values by their count among ``hits`` (a bitmask; None: every release)."""
    counts = [(m.bit_count() if hits is None else (m & hits).bit_count(), vid) for vid, m in cat.masks.items()]
    out: dict[str, list[FacetValue]] = {f: [] for f in FACETS}
    for n, vid in sorted(counts, key=lambda c: (-c[0], cat.values[c[1]][2])):
        facet, value, label = cat.values[vid]
        chosen = (facet, value) in selected
        if n and (len(out[facet]) < limit or chosen):
            out[facet].append(FacetValue(value, label, n, chosen))
    out["year"].sort(key=lambda v: v.value, reverse=True)
    return out


def _names(cat: Catalogue, hits: Iterable[int], selected: set[tuple[str, str]], limit: int) -> list[FacetValue]:
    counts = Counter(chain.from_iterable(map(cat.named.__getitem__, hits)))
    out = []
    for vid, n in sorted(counts.items(), key=lambda c: (-c[1], cat.values[c[0]][2])):
        _, value, label = cat.values[vid]
        if ("entity", value) not in selected:
            out.append(FacetValue(value, label, n))
            if len(out) == limit:
                break
    return out


def as_json(results: Results, link: Callable[[str], str] = lambda iri: iri) -> dict[str, Any]:
    """``results`` as ``/search.json`` and ``kg search --format json`` give them; the snippet's matched
    words are between ``<mark>`` and ``</mark>`` (the rest HTML-escaped)."""
    q = results.query
    return {
        "query": {"q": q.q, "filters": [{"facet": f, "value": v, "label": results.labels.get((f, v), v)}
                                        for f, v in q.filters], "sort": q.sort,
                  "page": q.page, "size": q.size},
        "total": results.total, "pages": results.pages, "order": results.order,
        "results": [{"iri": h.iri, "url": link(h.iri), "title": h.title, "date": h.date, "place": h.place,
                     "type": h.type, "sources": h.sources, "snippet": marked(h.snippet), "score": h.score}
                    for h in results.hits],
        "facets": {name: [{"value": v.value, "label": v.label, "count": v.count, "selected": v.selected}
                          for v in values] for name, values in results.facets.items()},
    }


def marked(snippet: str) -> str:
    """A snippet as HTML: escaped, its matched words in ``<mark>``."""
    from html import escape
    return escape(snippet).replace(MARK[0], "<mark>").replace(MARK[1], "</mark>")
