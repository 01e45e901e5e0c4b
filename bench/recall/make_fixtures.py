#!/usr/bin/env python3
"""Writes bench/recall/fixtures.json: the sample fixtures (fixtures/crm.json, support.jsonl,
engineering/) as one conversation of the recall benchmark's format, with questions whose answer
is one node of them. The questions were written by a black-box tester who read the fixtures
(2026-12-06). Unlike dev.json, they name accounts and people, which the name arm looks for.

    python3 bench/recall/make_fixtures.py      # from the repository root
"""
import glob
import json
import os

QUESTIONS = [
    ("Who is the VP of Engineering at Acme?", "sarah-chen"),
    ("Who is the CTO of Acme Corp?", "marcus-webb"),
    ("How does Sarah Chen like to get status updates?", "fact-sarah-async"),
    ("Who signs off on Acme engineering budgets?", "marcus-webb"),
    ("Which identity provider does Acme use?", "fact-acme-idp"),
    ("Why did Hooli's ETL job get slow?", "etl-profile-hooli"),
    ("How much is the Hooli data platform deal worth?", "hooli-data-platform"),
    ("Who handles procurement at Acme?", "priya-natarajan"),
    ("When must Globex leave its old ERP?", "fact-globex-deadline"),
    ("Where does Grace Liu work from?", "fact-grace-timezone"),
    ("What did the web search for ERP vendors find?", "search-erp-vendors"),
    ("How often do we post status updates during an incident?", "incident-response"),
    ("When is the deployment freeze for payment services?", "fact-freeze"),
    ("Which deal did we lose to a larger vendor?", "stark-route-optimization"),
    ("How many pages a week do on-call engineers get?", "fact-pager-volume"),
    ("How did we fix the SSO outage at Acme?", "action-upload-cert"),
    ("How much disk did pruning the images free?", "action-prune-images"),
    ("Why were Hooli data engineers getting permission denied?", "iam-policy-dump"),
    ("Where should Acme invoices be sent?", "fact-acme-billing"),
    ("What protocol do internal services use to talk to each other?", "adr-grpc-internal"),
    ("When does the platform team review API changes?", "fact-api-review"),
    ("How much did the Acme cloud cost review save?", "acme-cloud-cost-review"),
    ("What did the security audit report find?", "audit-report-delivered"),
    ("Which tables are the source of truth for analysts?", "warehouse-onboarding"),
    ("Who is Acme's executive sponsor for the modernization project?", "sarah-chen"),
]


def main():
    nodes, relationships = [], []

    def graph(document):
        nodes.extend(document.get("nodes", []))
        relationships.extend(document.get("relationships", []))

    def stream(path):
        for line in open(path, encoding="utf-8-sig"):
            if line.strip():
                record = json.loads(line)
                kind = record.pop("kind", None)
                (nodes if kind == "node" else relationships if kind == "relationship" else []).append(record)

    graph(json.load(open("fixtures/crm.json", encoding="utf-8")))
    stream("fixtures/support.jsonl")
    for path in sorted(glob.glob("fixtures/engineering/*")):
        if path.endswith(".jsonl"):
            stream(path)
        elif path.endswith(".json") and not path.endswith(".schema.json"):
            graph(json.load(open(path, encoding="utf-8")))
    for node in nodes:
        node.pop("user_id", None)
    keys = {node.get("key") for node in nodes}
    missing = [key for _, key in QUESTIONS if key not in keys]
    if missing:
        raise SystemExit(f"evidence keys not in the fixtures: {missing}")
    document = {
        "description": "The sample fixtures as one user's graph, with 25 questions whose answers are in them, one evidence "
        "node each, written by a black-box tester (2026-12-06). Made by make_fixtures.py. For the name arm, which "
        "dev.json never exercises: these questions name accounts and people.",
        "conversations": [{
            "id": "fixtures", "speakers": [], "nodes": nodes, "relationships": relationships,
            "questions": [{"question": q, "evidence": [key], "category": "crm"} for q, key in QUESTIONS],
        }],
    }
    with open(os.path.join("bench", "recall", "fixtures.json"), "w", encoding="utf-8") as out:
        json.dump(document, out, indent=1, ensure_ascii=False)
        out.write("\n")


if __name__ == "__main__":
    main()
