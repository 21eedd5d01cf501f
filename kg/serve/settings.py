"""What the server needs to know: where the data is, its base IRI, and the per-query limits."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from kg.iris import DEFAULT_BASE

BUILD_INFO = "build.json"
DEFAULT_WORKERS = 4
DEFAULT_CACHE_SIZE = 128 * 2**20
_UNITS = {"": 1, "k": 2**10, "m": 2**20, "g": 2**30}


def byte_size(text: str) -> int:
    """``"128M"``, ``"64k"``, ``"1G"`` or a plain number of bytes; ``ValueError`` otherwise."""
    m = re.fullmatch(r"\s*(\d+)\s*([kmg]?)i?b?\s*", text, re.IGNORECASE)
    if not m:
        raise ValueError(f"not a size: {text!r} (use bytes, or a number with K, M or G)")
    return int(m.group(1)) * _UNITS[m.group(2).lower()]


@dataclass(frozen=True)
class Limits:
    """What one request may be: ``max_body`` bytes of body (else 413), ``max_url`` bytes of request target
    (414), ``max_head`` bytes of request line and headers (431), a query of at most ``max_query`` characters
    nested at most ``max_depth`` brackets deep (400, before the engine sees it); a client has
    ``client_timeout`` seconds to send each request's head and body (then the connection is closed, or 408);
    at SIGTERM running requests have ``shutdown_timeout`` seconds to finish."""

    max_body: int = 2 * 2**20
    max_url: int = 16 * 2**10
    max_head: int = 64 * 2**10
    max_query: int = 2**20
    max_depth: int = 100
    client_timeout: float = 30.0
    shutdown_timeout: float = 60.0


@dataclass(frozen=True)
class Settings:
    """Server settings. ``data_dir`` is a build's output folder, or any folder of RDF files.

    ``timeout`` (seconds) and ``max_results`` (solutions or triples) bound every query; ``workers`` is
    the number of query threads; the data is held in memory, or read from the build's on-disk store when
    ``store`` is ``"disk"``; ``backend`` is the URL of an external SPARQL endpoint, if any;
    ``cache_size`` bounds the result cache in bytes (0: no cache); answers say clients may keep them
    ``cache_max_age`` seconds. The data folder is checked for a new build every ``poll_interval``
    seconds (0: never). Requests are bounded by ``limits``.
    """

    data_dir: Path
    base: str = DEFAULT_BASE
    timeout: float = 10.0
    max_results: int = 100_000
    backend: str | None = None
    workers: int = DEFAULT_WORKERS
    store: str = "memory"
    cache_size: int = DEFAULT_CACHE_SIZE
    cache_max_age: int = 300
    poll_interval: float = 0.5
    limits: Limits = field(default_factory=lambda: Limits())

    @classmethod
    def for_data(cls, data_dir: Path, **options: object) -> "Settings":
        """Settings for ``data_dir``, its base IRI read from the build's ``build.json`` when there is one."""
        info = Path(data_dir) / BUILD_INFO
        base = DEFAULT_BASE
        if info.is_file():
            try:
                base = _build_base(info) or DEFAULT_BASE
            except (ValueError, AttributeError) as e:
                raise ValueError(f"{info}: not a build description ({e})") from e
        return cls(data_dir=Path(data_dir), base=base, **options)  # type: ignore[arg-type]


_FIRST_KEY_BASE = re.compile(rb'\A\s*\{\s*"base"\s*:\s*("(?:[^"\\]|\\.)*")')


def _build_base(info: Path) -> str | None:
    """The ``base`` of a ``build.json``: read from its first bytes when it is the first key (the file
    lists every page: 50 MB and 1.4 s to parse at 20,000 releases), else from the whole document."""
    with info.open("rb") as f:
        head = f.read(4096)
    if m := _FIRST_KEY_BASE.match(head):
        return json.loads(m.group(1))
    return json.loads(info.read_text(encoding="utf-8")).get("base")
