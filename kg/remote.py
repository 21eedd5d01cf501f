"""Load a build's graph into an external SPARQL 1.1 store (Graph Store HTTP Protocol).

``kg publish --to URL [--graph IRI] [--update URL] [--data DIR] [--user U:P]`` streams the build's
``osce-kg.nt.gz`` in N-Triples chunks. Where the store has a SPARQL Update endpoint (given with
``--update`` or found beside the Graph Store endpoint) the chunks go to a staging graph that one
``MOVE`` then swaps into place, so readers never see a half-loaded graph; otherwise the first chunk
is PUT (replacing the graph) and the rest POSTed. A state file beside the dump records the chunks
done, so an interrupted upload resumes where it stopped. Blank nodes are skolemized
(``/.well-known/genid/``) because each chunk is its own document.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import re
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Iterator
from urllib.parse import urlsplit

import httpx
from tqdm import tqdm

from kg.iris import Minter

DUMP = "osce-kg.nt.gz"
CHUNK_TRIPLES = 50_000
NTRIPLES = "application/n-triples"
# Graph Store endpoint path → SPARQL Update endpoint path, for the stores docs/scale.md covers.
UPDATE_SIBLINGS = (
    ("/sparql-graph-crud-auth", "/sparql-auth"),  # Virtuoso
    ("/sparql-graph-crud", "/sparql"),            # Virtuoso
    ("/rdf-graphs/service", "/statements"),       # GraphDB, RDF4J
    ("/store", "/update"),                        # Oxigraph
    ("/data", "/update"),                         # Fuseki
)
_BNODE_SUBJECT = re.compile(rb"^_:(\S+)")
_BNODE_OBJECT = re.compile(rb" _:(\S+)(\s*\.\s*)$")


class PublishError(Exception):
    """A publish that cannot go on; the message is the one-line reason."""


@dataclass
class State:
    """What a resumable upload has done so far (saved after every chunk)."""

    endpoint: str
    graph: str
    dump_sha256: str
    chunk_triples: int
    staging: str | None
    done: list[int] = field(default_factory=list)


def update_endpoint_for(gsp_url: str) -> str | None:
    """The conventional SPARQL Update endpoint beside a Graph Store endpoint, if the path is known."""
    parts = urlsplit(gsp_url)
    for gsp, update in UPDATE_SIBLINGS:
        if parts.path.endswith(gsp):
            return parts._replace(path=parts.path[: -len(gsp)] + update, query="").geturl()
    return None


def skolemize(line: bytes, genid: bytes) -> bytes:
    """Rewrite an N-Triples line's blank nodes (subject or object) as skolem IRIs under ``genid``."""
    if b"_:" not in line:
        return line
    line = _BNODE_SUBJECT.sub(lambda m: b"<" + genid + m.group(1) + b">", line)
    return _BNODE_OBJECT.sub(lambda m: b" <" + genid + m.group(1) + b">" + m.group(2), line)


def chunks(dump: Path, size: int, genid: bytes) -> Iterator[bytes]:
    """The dump's triples as N-Triples documents of at most ``size`` triples each."""
    buf: list[bytes] = []
    with gzip.open(dump, "rb") as f:
        for line in f:
            if not line.strip() or line.startswith(b"#"):
                continue
            buf.append(skolemize(line.rstrip(b"\r\n"), genid) + b"\n")
            if len(buf) >= size:
                yield b"".join(buf)
                buf = []
    if buf:
        yield b"".join(buf)


def _count_triples(dump: Path) -> int:
    with gzip.open(dump, "rb") as f:
        return sum(1 for line in f if line.strip() and not line.startswith(b"#"))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _save(state: State, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(state)), encoding="utf-8")
    os.replace(tmp, path)


def _load(path: Path) -> State | None:
    try:
        return State(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None


def _auth(client: httpx.Client, url: str, user: str | None) -> httpx.Auth | None:
    """Digest or Basic credentials, whichever the endpoint's challenge asks for."""
    if not user:
        return None
    name, _, password = user.partition(":")
    challenge = client.head(url).headers.get("www-authenticate", "")
    if challenge.lower().startswith("digest"):
        return httpx.DigestAuth(name, password)
    return httpx.BasicAuth(name, password)


class _Store:
    """The few Graph Store Protocol and SPARQL Update calls a publish needs."""

    def __init__(self, client: httpx.Client, gsp: str, update: str | None, auth: httpx.Auth | None):
        self.client, self.gsp, self.update_url, self.auth = client, gsp, update, auth

    def _check(self, r: httpx.Response, what: str) -> httpx.Response:
        if r.status_code >= 300:
            detail = " ".join(r.text.split())[:200]
            raise PublishError(f"{what}: HTTP {r.status_code} from {r.request.url.copy_with(query=None)}: {detail}")
        return r

    def send(self, method: str, graph: str, body: bytes) -> None:
        url = httpx.URL(self.gsp).copy_merge_params({"graph": graph})  # keep e.g. an access-token parameter
        r = self.client.request(method, url, content=body,
                                headers={"Content-Type": NTRIPLES}, auth=self.auth)
        self._check(r, f"{method} to graph <{graph}>")

    def update(self, sparql: str, probe: bool = False) -> bool:
        """Run a SPARQL Update. A ``probe`` returns False where the store has no usable update
        endpoint instead of failing."""
        if not self.update_url:
            return False
        r = self.client.post(self.update_url, data={"update": sparql}, auth=self.auth)
        if probe and r.status_code in (400, 401, 403, 404, 405, 406, 415):
            return False
        self._check(r, "SPARQL Update")
        return True


def publish(data: Path, endpoint: str, graph: str | None = None, update: str | None = None,
            user: str | None = None, chunk_triples: int = CHUNK_TRIPLES, progress: bool = True,
            timeout: float = 300.0) -> int:
    """Upload ``data``'s dump to ``graph`` at ``endpoint``; returns the number of triples sent."""
    dump = data / DUMP
    if not dump.is_file():
        raise PublishError(f"no {DUMP} in {data}: run `kg build` first")
    digest = _sha256(dump)
    graph = graph or str(Minter(_base_of(data)).dataset)
    state_path = data / ".publish" / (hashlib.sha256(f"{endpoint} {graph}".encode()).hexdigest()[:16] + ".json")
    state = _load(state_path)
    fresh = not (state and state.dump_sha256 == digest and state.chunk_triples == chunk_triples
                 and state.endpoint == endpoint and state.graph == graph)
    genid = f"{urlsplit(graph).scheme}://{urlsplit(graph).netloc}/.well-known/genid/{digest[:12]}-".encode()
    total = _count_triples(dump)
    n_chunks = max(1, -(-total // chunk_triples))
    with httpx.Client(timeout=timeout) as client:
        try:
            store = _Store(client, endpoint, update or update_endpoint_for(endpoint), None)
            store.auth = _auth(client, endpoint, user)
            if fresh:
                staging = f"{graph.rstrip('/#')}/staging-{digest[:16]}"
                state = State(endpoint, graph, digest, chunk_triples,
                              staging if store.update(f"DROP SILENT GRAPH <{staging}>", probe=True) else None)
            assert state is not None
            target = state.staging or graph
            with tqdm(total=n_chunks, initial=len(state.done), unit="chunk", desc="kg publish",
                      disable=None if progress else True, file=sys.stderr) as bar:
                for i, body in enumerate(chunks(dump, chunk_triples, genid)):
                    if i in state.done:
                        continue
                    # Without staging, the first chunk replaces the graph (PUT), the rest add to it.
                    store.send("POST" if state.staging or i > 0 else "PUT", target, body)
                    state.done.append(i)
                    _save(state, state_path)
                    bar.update(1)
            if total == 0:
                store.send("PUT", graph, b"")
            elif state.staging:
                store.update(f"MOVE GRAPH <{state.staging}> TO <{graph}>")
        except httpx.HTTPError as e:
            raise PublishError(f"cannot reach {endpoint}: {type(e).__name__}: {e}") from e
    state_path.unlink(missing_ok=True)
    return total


def _base_of(data: Path) -> str:
    """The build's base IRI, from its ``build.json`` (the default base when absent)."""
    try:
        return json.loads((data / "build.json").read_text(encoding="utf-8"))["base"]
    except (OSError, ValueError, KeyError):
        return Minter().base


def publish_main(args) -> int:
    """``kg publish``: one line on success, one line on failure (exit 1)."""
    try:
        n = publish(args.data, args.to, args.graph, getattr(args, "update", None), args.user,
                    progress=not getattr(args, "quiet", False))
    except PublishError as e:
        print(f"kg publish: {e}", file=sys.stderr)
        return 1
    print(f"kg publish: {n} triples into <{args.graph or Minter(_base_of(args.data)).dataset}> at {args.to}",
          file=sys.stderr)
    return 0
