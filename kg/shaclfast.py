"""Fast SHACL Core screening with shacl-rust (a Rust engine); pySHACL stays the authority for reports.

``kg build`` screens each chunk of releases with ``FastValidator.focus_nodes`` and validates with pySHACL
(``kg.validate``) only the releases it flags, so the published ``validation.ttl`` is pySHACL's. The fast
engine is trusted only for the shapes-graph terms in ``SUPPORTED``: each has a differential test against
pySHACL (``tests/test_validate_fast.py``). Shapes that use anything else raise ``UnsupportedShapes`` when
the validator is made, and the build then validates everything with pySHACL.

One known difference: for a value of the wrong datatype, the engines disagree on whether it also fails
``sh:min/maxInclusive/Exclusive`` (pySHACL reports it for dates, shacl-rust for integers). So a range is
supported only beside an ``sh:datatype`` in the same shape: that value then fails the datatype in both, and
the same focus nodes are flagged.

Within that subset a result depends only on the triples whose predicate is a path or a target predicate
of the shapes, and on rdf:type and rdfs:subClassOf; the validator reads only those (11 % fewer triples
per release, 5 % less time).

shacl-rust runs on a Rust thread pool that does not survive ``fork()``: a forked child of a process that
has used it hangs on its first call. ``FastValidator.report`` raises ``ForkedAfterUse`` there instead, and
the build validates that chunk with pySHACL. ``kg build``'s parent never screens before it forks workers.
"""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass

import shacl_rust
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg.map import Triple

RANGES = frozenset(SH[name] for name in ("minInclusive", "maxInclusive", "minExclusive", "maxExclusive"))
# Shapes-graph predicates (sh:...) whose meaning shacl-rust was checked to share with pySHACL.
SUPPORTED = frozenset(SH[name] for name in (
    "targetClass", "targetNode", "targetObjectsOf", "targetSubjectsOf", "path",
    "minCount", "maxCount", "datatype", "class", "nodeKind", "minLength", "maxLength",
    "minInclusive", "maxInclusive", "minExclusive", "maxExclusive", "in", "pattern", "hasValue",
    "message", "name", "description",
))


class UnsupportedShapes(ValueError):
    """The shapes use a SHACL feature the fast validator is not checked against pySHACL for."""


class ForkedAfterUse(RuntimeError):
    """This process was forked from one that had used shacl-rust, whose thread pool it cannot use."""


_USED_IN: int | None = None  # the process whose shacl-rust thread pool is started


def check_supported(shapes: Graph) -> None:
    """Raise ``UnsupportedShapes`` naming the first shapes-graph term outside ``SUPPORTED``, a path that is
    not a single predicate, or a range without a datatype beside it."""
    for p in sorted({p for p in shapes.predicates() if isinstance(p, URIRef) and p.startswith(str(SH))}):
        if p not in SUPPORTED:
            raise UnsupportedShapes(f"fast validator does not support sh:{p.removeprefix(str(SH))}")
    for path in shapes.objects(None, SH.path):
        if not isinstance(path, URIRef):
            raise UnsupportedShapes("fast validator supports only predicate paths (sh:path <iri>)")
    for shape, p in shapes.subject_predicates():
        if p in RANGES and shapes.value(shape, SH.datatype) is None:
            raise UnsupportedShapes(f"fast validator supports sh:{p.removeprefix(str(SH))} only beside sh:datatype "
                                    f"(shape {shape})")


@dataclass(frozen=True)
class FastValidator:
    """shacl-rust over one shapes graph (serialised once as Turtle)."""

    shapes_ttl: str
    predicates: frozenset[str]  # the predicate terms whose triples can change a result

    @classmethod
    def of(cls, shapes: Graph) -> FastValidator:
        check_supported(shapes)
        read = {o for p in (SH.path, SH.targetSubjectsOf, SH.targetObjectsOf) for o in shapes.objects(None, p)}
        return cls(shapes.serialize(format="turtle"), frozenset(f"<{p}>" for p in read | {RDF.type, RDFS.subClassOf}))

    def report(self, triples: list[Triple], context: str = "") -> list[dict]:
        """shacl-rust's results for ``triples`` plus N-Triples ``context`` (the reference typing): dicts with
        ``focusNode``, ``resultPath``, ``sourceConstraintComponent``, ``value`` as N-Triples terms.
        Raises ValueError on data it cannot read, ``ForkedAfterUse`` in a forked child of a process that used it."""
        global _USED_IN
        if _USED_IN not in (None, os.getpid()):
            message = "shacl-rust was used before this process was forked: its thread pool would hang here"
            warnings.warn(message, RuntimeWarning, stacklevel=2)
            raise ForkedAfterUse(message)
        _USED_IN = os.getpid()
        read = self.predicates
        data = "".join([f"{s} {p} {o} .\n" for s, p, o in triples if p in read] + [context])
        return shacl_rust.validate(data, self.shapes_ttl, data_format="nt", experimental_index=True)["results"]

    def focus_nodes(self, triples: list[Triple], context: str = "") -> set[str]:
        """The focus nodes (N-Triples terms) with at least one result."""
        return {r["focusNode"] for r in self.report(triples, context)}
