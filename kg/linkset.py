"""The reviewed Wikidata links: ``ontology/reference/wikidata_links.tsv``, written by ``kg link``, edited by people.

One row per (entity, candidate QID): the entity's IRI and name, the candidate's Wikidata label and
description, its score and the reason, the status (``accepted``, ``rejected`` or ``review``) and the
evidence (endpoint, query date, the matching statements). ``kg build`` reads only this table: an accepted
row gives its entity an ``owl:sameAs`` (no network, so builds stay deterministic). Rows are keyed by
the IRI's path from ``id/`` on, so a table made on one base applies to a build under another.
"""

from __future__ import annotations

import csv
import re
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from kg.paths import REFERENCE_DIR
from kg.publish import write_atomic

LINKS_FILE = REFERENCE_DIR / "wikidata_links.tsv"
STATUSES = ("accepted", "review", "rejected")
_QID = re.compile(r"Q[1-9][0-9]*")
_LOCAL = re.compile(r"^.*?/(id/.+)$")


class LinkTableError(ValueError):
    """A links table that cannot be read; the message names the line and the reason."""


@dataclass(frozen=True)
class Link:
    """One row of the table: a candidate QID for one entity, with its score, status and evidence."""

    entity: str          # the entity's IRI in the build the link was made on
    kind: str            # person | organisation | place
    name: str
    qid: str
    wikidata_label: str
    wikidata_description: str
    score: int           # 0-100, see kg.link
    status: str          # accepted | review | rejected
    reason: str          # why this score: the statements that fit or do not
    endpoint: str
    query_date: str      # ISO date of the query
    statements: str      # the candidate's statements the score used (P39 …, P27 …), ``|``-separated

    @property
    def key(self) -> tuple[str, str]:
        return local(self.entity), self.qid


COLUMNS = tuple(f.name for f in fields(Link))


def local(iri: str) -> str:
    """``https://w3id.org/osce-kg/id/person/ian-borg`` → ``id/person/ian-borg`` (base-independent key)."""
    m = _LOCAL.match(iri)
    return m[1] if m else iri


def _clean(text: str) -> str:
    return re.sub(r"[\t\r\n]+", " ", text).strip()


def read_links(path: Path = LINKS_FILE) -> list[Link]:
    """The table's rows (none when the file does not exist); a malformed row raises LinkTableError."""
    if not path.is_file():
        return []
    out = []
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f, delimiter="\t", quoting=csv.QUOTE_NONE)
        header = tuple(next(reader, ()))
        if header != COLUMNS:
            raise LinkTableError(f"{path.name}:1: header is not {'/'.join(COLUMNS)}")
        for number, cells in enumerate(reader, 2):
            if not any(cells):
                continue
            if len(cells) != len(COLUMNS):
                raise LinkTableError(f"{path.name}:{number}: {len(cells)} cells, header has {len(COLUMNS)}")
            row = dict(zip(COLUMNS, cells))
            if row["status"] not in STATUSES:
                raise LinkTableError(f"{path.name}:{number}: status {row['status']!r} is not one of {', '.join(STATUSES)}")
            if not _QID.fullmatch(row["qid"]):
                raise LinkTableError(f"{path.name}:{number}: {row['qid']!r} is not a Wikidata QID")
            try:
                out.append(Link(**{**row, "score": int(row["score"])}))
            except ValueError:
                raise LinkTableError(f"{path.name}:{number}: score {row['score']!r} is not an integer") from None
    return out


def write_links(links: list[Link], path: Path = LINKS_FILE) -> None:
    """Write the table atomically, rows by entity, then status (accepted first), then score."""
    order = sorted(links, key=lambda k: (local(k.entity), STATUSES.index(k.status), -k.score, k.qid))
    lines = ["\t".join(COLUMNS)]
    lines += ["\t".join(_clean(str(v)) for v in asdict(k).values()) for k in order]
    write_atomic(path, ("\n".join(lines) + "\n").encode("utf-8"))


def accepted(path: Path = LINKS_FILE) -> dict[str, tuple[str, str]]:
    """Entity key (``id/...``) → (QID, evidence) of the accepted rows; an entity with two accepted QIDs is
    a reviewing mistake and raises LinkTableError."""
    out: dict[str, tuple[str, str]] = {}
    for k in read_links(path):
        if k.status != "accepted":
            continue
        key = local(k.entity)
        if key in out and out[key][0] != k.qid:
            raise LinkTableError(f"{path.name}: {key} has two accepted QIDs ({out[key][0]}, {k.qid})")
        out[key] = (k.qid, f"{path.name}: accepted {k.qid} (score {k.score}; {k.reason}; "
                           f"{k.endpoint}, {k.query_date})")
    return out
