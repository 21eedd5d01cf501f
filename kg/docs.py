"""HTML documentation generated at build time: the ontology with pyLODE, the SHACL shapes as tables."""

from __future__ import annotations

import importlib.util
import logging
import os
import sys
import tempfile
import types
from html import escape
from importlib import metadata
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, SKOS

from kg.reference import ontology_graph
from kg.validate import load_shapes

def _ontpub() -> type:
    """pyLODE's OntPub profile. pyLODE 3.4.1 reads its version from a pyproject.toml its wheel does not
    ship, so importing it fails; give it the installed version instead. Its root-logger setup is undone."""
    spec = importlib.util.find_spec("pylode")
    if spec is None or spec.origin is None:
        raise RuntimeError("pyLODE is not installed")
    if not (Path(spec.origin).parent.parent / "pyproject.toml").exists() and "pylode.version" not in sys.modules:
        stub = types.ModuleType("pylode.version")
        stub.__version__ = metadata.version("pylode")
        sys.modules["pylode.version"] = stub
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    from pylode import OntPub  # its supermodel loader calls logging.basicConfig(level=DEBUG) on import

    root.handlers[:], root.level = handlers, level
    return OntPub


def _term(g: Graph, node) -> str:
    """A compact name for a node of the shapes graph (prefixed IRI, list, inverse path or literal)."""
    if isinstance(node, URIRef):
        return node.n3(g.namespace_manager)
    if (node, SH.inversePath, None) in g:
        return "^" + _term(g, g.value(node, SH.inversePath))
    if (node, RDF.first, None) in g:
        return "(" + " ".join(_term(g, item) for item in Collection(g, node)) + ")"
    if (node, SH.path, None) in g:
        return "[" + "; ".join(f"{_term(g, p)} {_term(g, o)}" for p, o in sorted(g.predicate_objects(node))) + "]"
    return str(node)


def _shapes_html(g: Graph) -> str:
    """The shapes as an HTML page: one section per node shape, one table row per property shape.
    (pyLODE 3.4 has no profile for SHACL shapes, so this page is rendered here.)"""
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           "<title>OSCE knowledge graph: SHACL shapes</title>",
           "<style>body{font-family:sans-serif;max-width:70em;margin:auto}table{border-collapse:collapse}"
           "td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}</style>",
           "</head><body><h1>OSCE knowledge graph: SHACL shapes</h1>",
           "<p>The SHACL Core shapes every build validates the ontology, the reference graph and each release "
           'against. The ontology itself is documented in <a href="index.html">index.html</a>.</p>']
    shapes = sorted(set(g.subjects(RDF.type, SH.NodeShape)), key=lambda s: str(g.value(s, RDFS.label) or s))
    for shape in shapes:
        out.append(f'<h2 id="{escape(str(shape).rsplit("#", 1)[-1])}">{escape(str(g.value(shape, RDFS.label) or shape))}</h2>')
        if (comment := g.value(shape, RDFS.comment)) is not None:
            out.append(f"<p>{escape(str(comment))}</p>")
        targets = [f"{_term(g, p)} {_term(g, o)}" for p in (SH.targetClass, SH.targetObjectsOf, SH.targetSubjectsOf,
                                                             SH.targetNode) for o in sorted(g.objects(shape, p))]
        out.append(f"<p>Targets: <code>{escape(', '.join(targets) or 'none (used by other shapes)')}</code></p>")
        node_level = [f"{_term(g, p)} {_term(g, o)}" for p, o in sorted(g.predicate_objects(shape))
                      if p in (SH.nodeKind, SH["or"], SH["not"], SH.closed)]
        if node_level:
            out.append(f"<p>Node constraints: <code>{escape('; '.join(node_level))}</code></p>")
        out.append("<table><tr><th>path</th><th>constraints</th><th>message</th></tr>")
        for prop in sorted(g.objects(shape, SH.property), key=lambda n: _term(g, g.value(n, SH.path))):
            constraints = [f"{_term(g, p)} {_term(g, o)}" for p, o in sorted(g.predicate_objects(prop))
                           if p not in (SH.path, SH.message)]
            out.append(f"<tr><td><code>{escape(_term(g, g.value(prop, SH.path)))}</code></td>"
                       f"<td><code>{escape('; '.join(constraints))}</code></td>"
                       f"<td>{escape(str(g.value(prop, SH.message) or ''))}</td></tr>")
        out.append("</table>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def _documented() -> Graph:
    """The ontology as pyLODE should see it: one ``owl:Ontology``. pyLODE takes every ``skos:ConceptScheme``
    for an ontology too (its title and IRI would then depend on set order), so the two schemes lose that
    type here; their concepts are reference data, documented on their own pages."""
    g = ontology_graph()
    g.remove((None, RDF.type, SKOS.ConceptScheme))
    return g


def write_ontology_docs(out_dir: Path) -> list[Path]:
    """Write ``out_dir/index.html`` (the ontology, pyLODE OntPub) and ``out_dir/shapes.html`` (every
    ``shapes/*.ttl``), each written to a temporary file and renamed into place."""
    OntPub = _ontpub()
    out_dir.mkdir(parents=True, exist_ok=True)
    pages = {"index.html": OntPub(_documented(), sort_subjects=True).make_html(), "shapes.html": _shapes_html(load_shapes())}
    for name, html in pages.items():
        _write(out_dir / name, html)
    return [out_dir / name for name in pages]
