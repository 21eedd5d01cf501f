"""What the server needs to know: where the data is, its base IRI, and the per-query limits."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from kg.iris import DEFAULT_BASE

BUILD_INFO = "build.json"


@dataclass(frozen=True)
class Settings:
    """Server settings. ``data_dir`` is a build's output folder, or any folder of RDF files.

    ``timeout`` (seconds) and ``max_results`` (solutions or triples) bound every query; ``workers`` is
    the number of query processes; ``backend`` is the URL of an external SPARQL endpoint, if any.
    """

    data_dir: Path
    base: str = DEFAULT_BASE
    timeout: float = 10.0
    max_results: int = 100_000
    backend: str | None = None
    workers: int = 2

    @classmethod
    def for_data(cls, data_dir: Path, **options: object) -> "Settings":
        """Settings for ``data_dir``, its base IRI read from the build's ``build.json`` when there is one."""
        info = Path(data_dir) / BUILD_INFO
        base = DEFAULT_BASE
        if info.is_file():
            try:
                base = json.loads(info.read_text(encoding="utf-8")).get("base") or DEFAULT_BASE
            except (ValueError, AttributeError) as e:
                raise ValueError(f"{info}: not a build description ({e})") from e
        return cls(data_dir=Path(data_dir), base=base, **options)  # type: ignore[arg-type]
