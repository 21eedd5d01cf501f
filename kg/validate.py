"""SHACL validation (SHACL Core, inference off) with a typed, checked report.

``validate(data)`` runs pySHACL against every ``shapes/*.ttl`` (or the shapes given) and returns a
``ValidationResult`` whose ``violations`` name the focus node, path, constraint component and value of
each result. The report graph itself is kept for publishing (``validation.ttl``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import RDF, SH

from kg.paths import SHAPES_DIR


@dataclass(frozen=True)
class Violation:
    """One sh:ValidationResult, every field as a string ("" where the report has none)."""

    focus: str
    path: str
    constraint: str
    value: str
    message: str
    severity: str


@dataclass
class ValidationResult:
    conforms: bool
    violations: list[Violation] = field(default_factory=list)
    report: Graph = field(default_factory=Graph)


def load_shapes(shapes_dir: Path = SHAPES_DIR) -> Graph:
    """All ``*.ttl`` files of ``shapes_dir`` in one graph (read fresh; see ``default_shapes`` for the cached one)."""
    g = Graph()
    for path in sorted(shapes_dir.glob("*.ttl")):
        g.parse(path, format="turtle")
    return g


@lru_cache(maxsize=1)
def default_shapes() -> Graph:
    """The project's shapes, parsed once per process."""
    return load_shapes()


def _text(report: Graph, node, prop: URIRef) -> str:
    value = report.value(node, prop)
    return "" if value is None else str(value)


def violations_of(report: Graph) -> list[Violation]:
    """The results of a SHACL report graph, sorted (focus, path, constraint, value) for stable output."""
    out = [
        Violation(
            focus=_text(report, r, SH.focusNode),
            path=_text(report, r, SH.resultPath),
            constraint=_text(report, r, SH.sourceConstraintComponent),
            value=_text(report, r, SH.value),
            message=_text(report, r, SH.resultMessage),
            severity=_text(report, r, SH.resultSeverity),
        )
        for r in report.subjects(RDF.type, SH.ValidationResult)
    ]
    return sorted(out, key=lambda v: (v.focus, v.path, v.constraint, v.value, v.message))


def validate(data: Graph, shapes: Graph | None = None) -> ValidationResult:
    """Validate ``data`` against ``shapes`` (default: all of ``shapes/*.ttl``), SHACL Core, no inference.

    The report is cross-checked: a graph pySHACL calls non-conforming must carry at least one result,
    so a silently empty report cannot pass as conforming.
    """
    import pyshacl  # 0.35 s to import: only builds that validate with it pay for it

    conforms, report, _text_report = pyshacl.validate(
        data,
        shacl_graph=default_shapes() if shapes is None else shapes,
        inference="none",
        advanced=False,
        js=False,
        abort_on_first=False,
        allow_warnings=False,
    )
    violations = violations_of(report)
    if bool(conforms) == bool(violations):
        raise RuntimeError(f"inconsistent SHACL report: conforms={conforms} with {len(violations)} results")
    return ValidationResult(conforms=bool(conforms), violations=violations, report=report)
