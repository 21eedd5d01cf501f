"""``/reconcile`` on a real ``kg serve`` over the seeds: the requests OpenRefine sends (manifest, a batch of
typed queries, property constraints, preview, suggest), answers checked against the W3C Reconciliation API
0.2 JSON schemas of ``../shared/reconciliation-api-0.2`` (whose own valid/invalid examples check the set-up)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import shared

PERSON, PLACE = "https://schema.org/Person", "https://schema.org/Place"
OSCE = "https://w3id.org/osce-kg/ontology#"
SCHEMA_OF = {"manifest": "manifest", "reconciliation-query-batch": "reconciliation-query-batch",
             "reconciliation-result-batch": "reconciliation-result-batch",
             "suggest-entities-response": "suggest-entities-response",
             "suggest-types-response": "suggest-types-response",
             "suggest-properties-response": "suggest-properties-response",
             "data-extension-query": "data-extension-query", "data-extension-response": "data-extension-response",
             "data-extension-property-proposal": "data-extension-property-proposal"}


@pytest.fixture(scope="module")
def spec() -> Path:
    return shared("reconciliation-api-0.2")


@pytest.fixture(scope="module")
def validators(spec):
    """Draft 7 validators by schema name, resolving the schemas' references among themselves (offline)."""
    jsonschema = pytest.importorskip("jsonschema", reason="jsonschema (a test extra) validates the answers")
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT7
    docs = {p.stem: json.loads(p.read_text()) for p in (spec / "schemas").glob("*.json")}
    registry = Registry().with_resources((d["$id"], Resource.from_contents(d, default_specification=DRAFT7))
                                         for d in docs.values() if "$id" in d)
    return {name: jsonschema.Draft7Validator(d, registry=registry) for name, d in docs.items()}


def check(validators, schema: str, document) -> None:
    errors = [e.message for e in validators[schema].iter_errors(document)]
    assert not errors, f"{schema}: {errors[:3]}"


def examples(spec: Path, kind: str, which: str) -> list[Path]:
    return sorted((spec / "examples" / kind / which).glob("*.json"))


def test_schema_examples_decide_as_the_spec_says(spec, validators):
    """The validators accept every valid example and reject every invalid one (manifests using
    ``authentication`` are left out: its schema is Swagger's, referenced by URL, and tests stay offline)."""
    checked = 0
    for kind, schema in SCHEMA_OF.items():
        for which in ("valid", "invalid"):
            for path in examples(spec, kind, which):
                doc = json.loads(path.read_text())
                if isinstance(doc, dict) and "authentication" in doc:
                    continue
                valid = validators[schema].is_valid(doc)
                assert valid == (which == "valid"), path
                checked += 1
    assert checked >= 25


def queries(client, batch: dict, **kw) -> dict:
    r = client.post("/reconcile", data={"queries": json.dumps(batch)}, **kw)
    assert r.status_code == 200, r.text
    return r.json()


def test_manifest_and_jsonp(client, base):
    r = client.get("/reconcile")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
    manifest = r.json()
    assert manifest["versions"] == ["0.2"] and manifest["identifierSpace"] == base + "id/"
    assert {t["id"] for t in manifest["defaultTypes"]} >= {PERSON, OSCE + "ParticipatingState", OSCE + "FieldOperation",
                                                          OSCE + "Institution", OSCE + "ExternalOrganisation", PLACE}
    assert manifest["preview"]["url"].endswith("/reconcile/preview?id={{id}}")
    r = client.get("/reconcile", params={"callback": "jQuery123_cb"})
    assert r.headers["content-type"].startswith("application/javascript")
    assert r.text.startswith("/**/jQuery123_cb(") and r.text.endswith(");")
    assert json.loads(r.text[len("/**/jQuery123_cb("):-2]) == manifest


TYPED = {
        "q0": {"query": "Ian Borg", "type": PERSON, "type_strict": "should", "limit": 3},
        "q1": {"query": "marc perrin de brichambaut", "type": PERSON},
        "q2": {"query": "Programme Office in Dushanbe", "type": OSCE + "FieldOperation"},
        "q3": {"query": "Malta", "type": OSCE + "ParticipatingState"},
        "q4": {"query": "Japan", "type": OSCE + "ParticipatingState"},   # a Partner, not a State
        "q5": {"query": "Feridun Sinirlioglu", "type": PERSON},           # without the ğ
        "q6": {"query": "ODIHR"},                                          # acronym, no type
        "q7": {"query": "Borg", "type": PERSON},                           # a surname: a candidate, not a match
}
CONSTRAINED = {
    "near": {"query": "OSCE Programme Office", "type": OSCE + "FieldOperation",
             "properties": [{"pid": "country", "v": "Tajikistan"}]},
    "qid": {"query": "Malta", "properties": [{"pid": "wikidata", "v": "Q233"}]},
    "wrong": {"query": "Malta", "properties": [{"pid": "wikidata", "v": "Q1"}]},
    "only": {"properties": [{"pid": "wikidata", "v": {"id": "http://www.wikidata.org/entity/Q863"}}]},
}


def test_batch_of_typed_queries(client, base):
    """A column reconciled as OpenRefine does it: typed queries in one batch (form field ``queries``)."""
    batch = TYPED
    answer = queries(client, batch)
    assert set(answer) == set(batch)
    top = {k: (v["result"][0] if v["result"] else None) for k, v in answer.items()}
    assert top["q0"]["id"] == base + "id/person/ian-borg" and top["q0"]["match"] is True
    assert top["q0"]["score"] == 100 and {"id": PERSON, "name": "Person"} in top["q0"]["type"]
    assert top["q1"]["id"] == base + "id/person/marc-perrin-de-brichambaut" and top["q1"]["match"] is True
    assert top["q2"]["id"] == base + "id/field-operation/osce-programme-office-in-dushanbe"
    assert top["q3"]["id"] == base + "id/country/malta" and top["q3"]["match"] is True
    assert "Wikidata Q233" in top["q3"]["description"]
    assert all(r["id"] != base + "id/country/japan" for r in answer["q4"]["result"])
    assert top["q5"]["id"] == base + "id/person/feridun-sinirlioglu" and top["q5"]["score"] == 90
    assert top["q6"]["id"] == base + "id/institution/office-for-democratic-institutions-and-human-rights"
    assert top["q7"]["id"] == base + "id/person/ian-borg" and top["q7"]["match"] is False
    assert len(answer["q0"]["result"]) <= 3


def test_property_constraints(client, base):
    batch = CONSTRAINED
    answer = queries(client, batch)
    near = answer["near"]["result"]
    assert near[0]["id"] == base + "id/field-operation/osce-programme-office-in-dushanbe"
    assert {"id": "country", "value": True} in near[0]["features"]
    assert all({"id": "country", "value": False} in r["features"] for r in near[1:])
    assert answer["qid"]["result"][0]["match"] is True
    wrong = answer["wrong"]["result"][0]
    assert wrong["id"] == base + "id/country/malta" and wrong["match"] is False and wrong["score"] < 100
    assert [r["id"] for r in answer["only"]["result"]] == [base + "id/country/tajikistan"]
    # the same batch as a JSON body, as other clients send it
    r = client.post("/reconcile", json={"queries": batch})
    assert r.status_code == 200 and r.json() == answer


def test_preview_and_view(client, base):
    r = client.get("/reconcile/preview", params={"id": base + "id/country/malta"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "<b>Malta</b>" in r.text and 'href="http://www.wikidata.org/entity/Q233"' in r.text
    assert client.get("/reconcile/preview", params={"id": base + "id/person/nobody"}).status_code == 404
    r = client.get("/reconcile/view", params={"id": base + "id/country/malta"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/page/country/malta"


def test_suggest(client, base):
    r = client.get("/reconcile/suggest/entity", params={"prefix": "brich"})
    assert r.json()["result"][0]["id"] == base + "id/person/marc-perrin-de-brichambaut"
    r = client.get("/reconcile/suggest/type", params={"prefix": "field"})
    assert [t["id"] for t in r.json()["result"]] == [OSCE + "FieldOperation"]
    r = client.get("/reconcile/suggest/property", params={"prefix": "coun"})
    assert [p["id"] for p in r.json()["result"]] == ["country"]


def extension(base: str) -> dict:
    return {"ids": [base + "id/country/malta", base + "id/field-operation/osce-programme-office-in-dushanbe",
                    base + "id/person/nobody"],
            "properties": [{"id": "wikidata"}, {"id": "country"}, {"id": "acronym"}, {"id": "not-a-property"}]}


def test_data_extension(client, base):
    """"Add columns from reconciled values": the Wikidata item (reconciled to Wikidata's own service),
    country, acronym; an unknown id gets empty cells, an unknown property no column."""
    manifest = client.get("/reconcile").json()
    assert manifest["extend"]["propose_properties"]["service_path"] == "/extend/propose"
    proposed = client.get("/reconcile/extend/propose", params={"type": PERSON}).json()
    assert [p["id"] for p in proposed["properties"]] == ["wikidata", "country", "acronym", "role"]
    r = client.post("/reconcile", data={"extend": json.dumps(extension(base))})
    assert r.status_code == 200, r.text
    got = r.json()
    assert [m["id"] for m in got["meta"]] == ["wikidata", "country", "acronym"]
    assert got["meta"][0]["service"].startswith("https://")
    malta, office, nobody = (got["rows"][i] for i in extension(base)["ids"])
    assert malta["wikidata"] == [{"id": "Q233", "name": "Q233"}]
    assert office["country"] == [{"str": "Tajikistan"}] and office["wikidata"] == []
    assert nobody == {"wikidata": [], "country": [], "acronym": []}
    assert client.post("/reconcile", data={"extend": "[1, 2]"}).status_code == 400


def test_answers_follow_the_schemas(client, validators, base):
    """The manifest, the queries sent above and their answers, and the suggest answers are valid 0.2."""
    check(validators, "manifest", client.get("/reconcile").json())
    for batch in (TYPED, CONSTRAINED):
        check(validators, "reconciliation-query-batch", batch)
        check(validators, "reconciliation-result-batch", queries(client, batch))
    for kind, schema in (("entity", "suggest-entities-response"), ("type", "suggest-types-response"),
                         ("property", "suggest-properties-response")):
        check(validators, schema, client.get(f"/reconcile/suggest/{kind}", params={"prefix": "o"}).json())
    check(validators, "data-extension-query", extension(base))
    check(validators, "data-extension-response",
          client.post("/reconcile", data={"extend": json.dumps(extension(base))}).json())
    check(validators, "data-extension-property-proposal", client.get("/reconcile/extend/propose").json())


def test_bad_queries_are_400(client):
    for bad in ("not json", json.dumps(["q0"]), json.dumps({"q0": {"limit": 3}}),
                json.dumps({"q0": {"query": "Malta", "type": [{"id": "x"}]}})):
        r = client.post("/reconcile", data={"queries": bad})
        assert r.status_code == 400 and "queries" in r.json()["error"]
