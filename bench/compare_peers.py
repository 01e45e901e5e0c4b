#!/usr/bin/env python3
"""Runs memgraph (over its HTTP API) and LangGraph's PostgresStore on the same items and questions and prints ratios.

    swift build -c release --product memgraph
    python3 bench/compare_peers.py [--items N ...] [--queries Q] [--json]

memgraph is .build/release/memgraph unless MEMGRAPH_BIN says otherwise; it uses the embedded
cluster of MEMGRAPH_HOME (default the checkout's .memgraph), which it starts if it is not running
and then stops again. LangGraph's PostgresStore (langgraph-checkpoint-postgres, psycopg[binary])
and sentence-transformers run in a throwaway venv (see bench/_venv.py; MEMGRAPH_REFERENCE_PYTHON
reuses an interpreter that already has them).

What: for each size N (default 2,000, then 20,000), the measured user holds N synthetic contacts
(distinct names, roles, companies, cities); --others users (default 4) hold min(N, 2,000) other
contacts each, loaded first, so the measured user is one among many. Both systems get exactly the
same items and questions, and are timed one after the other, never at once:

- memgraph as a Python or TypeScript runtime reaches it: `memgraph serve --port 0` as a child
  process, a service key made for the run, HTTP/1.1 on loopback through one keep-alive connection
  (http.client). Batched add: POST /memories?wait=embedded with --batch-size memories a request.
  One-by-one add: one memory a POST with ?wait=embedded (searchable on return). Get: GET
  /memories/{key}. SEARCH: POST /query {"query": "SEARCH \\"...\\" LIMIT 10"} (the server embeds the
  question).
- LangGraph: PostgresStore.from_conn_string (one connection, as its docs show) on the same
  PostgreSQL cluster, in a database of its own (langgraph_peers, made and dropped here), with
  index {"dims": 384, "embed": sentence-transformers on memgraph's model folder, "fields":
  ["summary"]} and its default HNSW index. Batched add: store.batch of --batch-size PutOps.
  One-by-one add: store.put. Get: store.get. SEARCH: store.search(namespace, query=..., limit=10).
  It runs in a child Python process of its own per size, so its peak RSS is its own.

Each item is one memory whose summary is the one embedded text on both sides (memgraph embeds the
summary; the content's fields are not of those it embeds), so both rank the same sentences.
Questions ask about one of the user's items each. The check: is the user's exact best match, the
item whose summary has the highest cosine to the question among the user's items (numpy over the
sentence-transformers vectors that LangGraph stored), the first result, and is it in the top 10;
recall@10 against the exact top 10; and the same for the item the question was written about.

Caveats: memgraph embeds with its own MiniLM encoder, LangGraph with sentence-transformers: the
vectors agree closely but not bit for bit, so a near tie can flip an "at 1" without either being
wrong (and memgraph's HNSW index is half precision); "in top 10" and recall@10 are the robust checks.
Both sides embed in the timed calls (adds and SEARCH), so on a busy machine torch's threads, which
wait on each other, can inflate LangGraph's figures more than memgraph's: run it on a quiet one.
Peak RSS: memgraph's is the serve process's VmHWM (/proc/PID/status: server, model, encoder,
connection pool, embedding worker); LangGraph's is ru_maxrss of its Python process (interpreter,
torch, the sentence-transformers model, psycopg, the store, and the item lists this script makes).
PostgreSQL's own processes are counted on neither side; both use the same cluster and settings.
The one-by-one adds go to a user of their own (--single-adds of them), after the searches.
This machine's speed drifts: compare the ratios of one run, and rerun before trusting a surprise.
"""

import argparse
import http.client
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402

_venv.ensure_packages(__file__, {
    "sentence_transformers": "sentence-transformers",
    "langgraph.store.postgres": "langgraph-checkpoint-postgres",
    "psycopg": "psycopg[binary]",
})

LANGGRAPH_DATABASE = "langgraph_peers"
DIMS = 384
SEED = 20261205

# The synthetic contacts, after Sources/Benchmarks/StoreBenchmark+Data.swift.
FIRST_NAMES = [
    "Sarah", "Raj", "Maria", "James", "Li", "Olga", "Ahmed", "Yuki", "Pierre", "Ana", "David", "Fatima",
    "Lars", "Ines", "Tomas", "Ngozi", "Priya", "Omar", "Elena", "Kofi", "Mei", "Ivan", "Sofia", "Diego",
    "Hana", "Noah", "Zara", "Felix", "Nora", "Emeka", "Anika", "Mateo", "Leila", "Sven", "Chloe", "Arjun",
    "Greta", "Kenji", "Amara", "Paulo", "Ingrid", "Samir", "Rosa", "Theo", "Aisha", "Bruno", "Dana", "Hugo",
    "Lucia", "Marek",
]
SYLLABLES = ["ka", "ri", "mo", "ne", "ta", "lu", "vo", "si", "de", "ra", "po", "ni", "ga", "le", "bu", "fe"]
ROLES = ["account manager", "CFO", "head of data", "procurement lead", "VP engineering", "CTO", "office manager"]
COMPANIES = ["Northwind", "Acme Corp", "Globex", "Initech", "Umbrella Health", "Stark Freight", "Wayne Foods"]
CITIES = ["Lisbon", "Berlin", "Toronto", "Lagos", "Osaka", "Lyon", "Austin", "Pune", "Krakow", "Nairobi", "Leeds"]


def contact_name(k):
    """Contact k's name: a first name and a surname of syllables, distinct for every k."""
    s = k // len(FIRST_NAMES)
    surname = ""
    while True:
        surname += SYLLABLES[s % len(SYLLABLES)]
        s //= len(SYLLABLES)
        if s == 0 and len(surname) >= 4:
            break
    return f"{FIRST_NAMES[k % len(FIRST_NAMES)]} {surname[0].upper()}{surname[1:]}"


def item(k):
    """Contact k: its key, the one embedded text (summary) and the rest of its fields."""
    name = contact_name(k)
    role, company = ROLES[k % len(ROLES)], COMPANIES[(k // 3) % len(COMPANIES)]
    city = CITIES[(k // 5) % len(CITIES)]
    return {
        "key": re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-"),
        "summary": f"{name}, {role} at {company} in {city} (account {k % 97})",
        "name": name, "role": role, "company": company, "city": city, "account": k % 97,
    }


def question(k, index):
    """A question about contact k."""
    it = item(k)
    return [
        f"What does {it['name']} do at {it['company']}?",
        f"Which company does {it['name']} work for?",
        f"Who is {it['name']}?",
        f"Where is {it['name']}, the {it['role']}, based?",
    ][index % 4]


def plan(items, queries, others, other_items, single_adds):
    """Everything both sides get for one size: item ranges, questions, lookups."""
    rng = random.Random(SEED + items)
    targets = [rng.randrange(items) for _ in range(queries)]
    lookups = [rng.randrange(items) for _ in range(queries)]
    start = items + others * other_items
    return {
        "items": items, "others": others, "otherItems": other_items,
        "user": (0, items),
        "otherRanges": [(items + j * other_items, items + (j + 1) * other_items) for j in range(others)],
        "singleRange": (start, start + single_adds),
        "targets": targets,
        "questions": [question(k, i) for i, k in enumerate(targets)],
        "lookups": lookups,
    }


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int((len(ordered) - 1) * fraction + 0.5))]


def latency(values):
    return {"count": len(values), "p50Milliseconds": percentile(values, 0.5) * 1000,
            "p90Milliseconds": percentile(values, 0.9) * 1000, "meanMilliseconds": sum(values) / len(values) * 1000}


def chunks(start, end, size):
    for first in range(start, end, size):
        yield range(first, min(end, first + size))


def progress(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# MARK: - memgraph over HTTP


class MemgraphServer:
    """`memgraph serve --port 0` as a child process (SIGTERM when this process dies)."""

    def __init__(self, binary, env):
        self.log = tempfile.NamedTemporaryFile(prefix="memgraph-peers-serve-", suffix=".log", delete=False)
        self.process = subprocess.Popen([binary, "serve", "--port", "0"], stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=self.log, env=env,
                                        preexec_fn=_die_with_parent)
        deadline = time.monotonic() + 120
        while True:
            text = Path(self.log.name).read_text(errors="replace")
            found = re.search(r"http://127\.0\.0\.1:([0-9]+)", text)
            if found:
                self.port = int(found.group(1))
                break
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                sys.exit(f"memgraph serve did not start:\n{text}")
            time.sleep(0.1)

    def peak_resident_mb(self):
        """VmHWM of the server process, in MiB."""
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()
        os.unlink(self.log.name)


def _die_with_parent():
    import ctypes
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class MemgraphClient:
    """JSON over one keep-alive HTTP/1.1 connection, as a runtime's HTTP client keeps one."""

    def __init__(self, port, secret):
        self.port = port
        self.headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)

    def call(self, method, path, body=None, expect=(200, 201)):
        data = None if body is None else json.dumps(body).encode()
        for attempt in (0, 1):
            try:
                self.connection.request(method, path, body=data, headers=self.headers)
                response = self.connection.getresponse()
                payload = response.read()
                break
            except (http.client.HTTPException, ConnectionError):
                # The server closed the idle connection: open another, once.
                self.connection.close()
                self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=600)
                if attempt:
                    raise
        if response.status not in expect:
            raise RuntimeError(f"{method} {path}: HTTP {response.status} {payload[:500].decode(errors='replace')}")
        return response.status, json.loads(payload) if payload else None

    def close(self):
        self.connection.close()


def memgraph_memory(k):
    it = item(k)
    return {"context_type": "domain_entity", "key": it["key"], "summary": it["summary"], "tags": ["peers"],
            "content": {"name": it["name"], "role": it["role"], "company": it["company"], "city": it["city"],
                        "account": it["account"]}}


def rem_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def run_memgraph(binary, env, work, run, batch_size):
    """One size on memgraph; its figures, and each question's result keys."""
    users = {"user": f"peers-{run}-user", "single": f"peers-{run}-single"}
    others = [f"peers-{run}-other-{j}" for j in range(len(work["otherRanges"]))]
    key_name = f"compare-peers-{run}"
    secret = json.loads(subprocess.run([binary, "keys", "create", "--name", key_name, "--json"], env=env,
                                       check=True, capture_output=True, text=True).stdout)["secret"]
    server = MemgraphServer(binary, env)
    client = MemgraphClient(server.port, secret)
    try:
        deadline = time.monotonic() + 120
        while client.call("GET", "/readyz", expect=(200, 503))[0] != 200:
            if time.monotonic() > deadline:
                raise RuntimeError("memgraph serve is not ready after 120 s")
            time.sleep(0.5)

        def add_batched(user, start, end):
            began = time.perf_counter()
            for ks in chunks(start, end, batch_size):
                _, answer = client.call("POST", f"/v1/users/{user}/memories?wait=embedded",
                                        [memgraph_memory(k) for k in ks])
                if not answer.get("embedded"):
                    raise RuntimeError(f"memgraph stored a batch without embedding it: {str(answer)[:300]}")
            return time.perf_counter() - began

        progress(f"memgraph: loading {len(others)} other users x {work['otherItems']} items")
        others_seconds = sum(add_batched(user, *r) for user, r in zip(others, work["otherRanges"]))
        progress(f"memgraph: loading the measured user's {work['items']} items, {batch_size} a request")
        batched_seconds = add_batched(users["user"], *work["user"])

        base = f"/v1/users/{users['user']}"
        for k in work["lookups"][:5]:  # warm up
            client.call("GET", f"{base}/memories/{item(k)['key']}")
        lookups = []
        for k in work["lookups"]:
            began = time.perf_counter()
            _, answer = client.call("GET", f"{base}/memories/{item(k)['key']}")
            lookups.append(time.perf_counter() - began)
            if answer.get("key") != item(k)["key"]:
                raise RuntimeError(f"memgraph GET {item(k)['key']} answered {str(answer)[:300]}")

        for text in work["questions"][:5]:  # warm up
            client.call("POST", f"{base}/query", {"query": f"SEARCH {rem_string(text)} LIMIT 10"})
        searches, results = [], []
        progress(f"memgraph: {len(work['questions'])} lookups done; searching")
        for text in work["questions"]:
            began = time.perf_counter()
            _, answer = client.call("POST", f"{base}/query", {"query": f"SEARCH {rem_string(text)} LIMIT 10"})
            searches.append(time.perf_counter() - began)
            results.append([result.get("key") for result in answer["results"]])

        progress(f"memgraph: {work['singleRange'][1] - work['singleRange'][0]} adds one by one")
        singles = []
        for k in range(*work["singleRange"]):
            began = time.perf_counter()
            _, answer = client.call("POST", f"/v1/users/{users['single']}/memories?wait=embedded", memgraph_memory(k))
            singles.append(time.perf_counter() - began)
            if not answer.get("embedded"):
                raise RuntimeError(f"memgraph stored a memory without embedding it: {str(answer)[:300]}")
        peak = server.peak_resident_mb()
        _, erased = client.call("DELETE", base)  # its counts say how many vectors the user had
        figures = {
            "othersAdd": {"items": work["others"] * work["otherItems"], "seconds": others_seconds},
            "batchedAdd": {"items": work["items"], "batchSize": batch_size, "seconds": batched_seconds,
                           "itemsPerSecond": work["items"] / batched_seconds},
            "singleAdd": {**latency(singles), "itemsPerSecond": len(singles) / sum(singles)},
            "get": latency(lookups),
            "search": {**latency(searches), "meanResults": sum(map(len, results)) / len(results)},
            "peakResidentMegabytes": peak,
            "peakResidentCounts": "memgraph serve's VmHWM (/proc/PID/status); not PostgreSQL's processes",
            "storedVectorsOfUser": erased["postgres"]["embeddings"],
        }
        return figures, results
    finally:
        for user in [users["user"], users["single"], *others]:
            try:
                client.call("DELETE", f"/v1/users/{user}", expect=(200, 404))
            except Exception as error:  # noqa: BLE001 - cleanup goes on
                print(f"could not erase the memgraph user {user}: {error}", file=sys.stderr)
        client.close()
        server.stop()
        subprocess.run([binary, "keys", "revoke", key_name], env=env, capture_output=True)


# MARK: - LangGraph's PostgresStore, in a child process


def run_langgraph(work, url, run, batch_size):
    """Runs one size on LangGraph in a child process (its peak RSS is its own); its report."""
    with tempfile.TemporaryDirectory(prefix="memgraph-peers-") as folder:
        spec, output = Path(folder) / "spec.json", Path(folder) / "report.json"
        spec.write_text(json.dumps(dict(work, url=url, run=run, batchSize=batch_size, output=str(output))))
        subprocess.run([sys.executable, __file__, "--langgraph-child", str(spec)], check=True)
        return json.loads(output.read_text())


def langgraph_child(path):
    import numpy as np
    from langgraph.store.base import PutOp, SearchOp
    from langgraph.store.postgres import PostgresStore
    from langgraph.store.postgres.base import PLACEHOLDER
    from sentence_transformers import SentenceTransformer

    work = json.loads(Path(path).read_text())
    run, batch_size = work["run"], work["batchSize"]
    model = SentenceTransformer(str(_venv.model_dir()), device="cpu")

    def embed(texts):
        return model.encode(list(texts), batch_size=32, convert_to_numpy=True).tolist()

    def value(k):
        it = item(k)
        return {field: it[field] for field in ("summary", "name", "role", "company", "city", "account")}

    user_ns = (f"peers-{run}-user", "memories")
    index = {"dims": DIMS, "embed": embed, "fields": ["summary"]}
    with PostgresStore.from_conn_string(work["url"], index=index) as store:
        store.setup()
        embed(["warm up"])

        def add_batched(namespace, start, end):
            began = time.perf_counter()
            for ks in chunks(start, end, batch_size):
                store.batch([PutOp(namespace, item(k)["key"], value(k)) for k in ks])
            return time.perf_counter() - began

        progress(f"LangGraph: loading {work['others']} other users x {work['otherItems']} items")
        others_seconds = sum(add_batched((f"peers-{run}-other-{j}", "memories"), *r)
                             for j, r in enumerate(work["otherRanges"]))
        progress(f"LangGraph: loading the measured user's {work['items']} items, {batch_size} a batch")
        batched_seconds = add_batched(user_ns, *work["user"])

        for k in work["lookups"][:5]:
            store.get(user_ns, item(k)["key"])
        lookups = []
        for k in work["lookups"]:
            began = time.perf_counter()
            found = store.get(user_ns, item(k)["key"])
            lookups.append(time.perf_counter() - began)
            if found is None or found.key != item(k)["key"]:
                raise RuntimeError(f"LangGraph get {item(k)['key']} found {found}")

        for text in work["questions"][:5]:
            store.search(user_ns, query=text, limit=10)
        searches, results = [], []
        progress(f"LangGraph: {len(work['lookups'])} lookups done; searching")
        for text in work["questions"]:
            began = time.perf_counter()
            found = store.search(user_ns, query=text, limit=10)
            searches.append(time.perf_counter() - began)
            results.append([hit.key for hit in found])

        single_ns = (f"peers-{run}-single", "memories")
        progress(f"LangGraph: {work['singleRange'][1] - work['singleRange'][0]} adds one by one")
        singles = []
        for k in range(*work["singleRange"]):
            began = time.perf_counter()
            store.put(single_ns, item(k)["key"], value(k))
            singles.append(time.perf_counter() - began)
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

        # Not timed, after the peak was read: the plan of a search, and the exact ranking.
        plan_uses_index = None
        try:
            queries, _ = store._prepare_batch_search_queries(
                [(0, SearchOp(user_ns, None, 10, 0, work["questions"][0]))])
            sql, params = queries[0]
            vector = embed([work["questions"][0]])[0]
            params = [vector if p is PLACEHOLDER else p for p in params]
            rows = store.conn.execute("EXPLAIN " + sql, params).fetchall()
            text = "\n".join(next(iter(row.values())) for row in rows)
            plan_uses_index = "store_vectors_embedding_idx" in text
        except Exception as error:  # noqa: BLE001 - private API: report, do not fail
            progress(f"LangGraph: could not explain its search: {error}")

        rows = store.conn.execute("SELECT key, embedding::text AS e FROM store_vectors WHERE prefix = %s",
                                  [".".join(user_ns)]).fetchall()
    keys = [row["key"] for row in rows]
    vectors = np.array([json.loads(row["e"]) for row in rows], dtype=np.float32).reshape(len(rows), DIMS)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    asked = model.encode(work["questions"], batch_size=32, convert_to_numpy=True, normalize_embeddings=True)
    scores = asked @ vectors.T
    exact = [[keys[i] for i in np.argsort(-row, kind="stable")[:10]] for row in scores]
    Path(work["output"]).write_text(json.dumps({
        "othersAdd": {"items": work["others"] * work["otherItems"], "seconds": others_seconds},
        "batchedAdd": {"items": work["items"], "batchSize": batch_size, "seconds": batched_seconds,
                       "itemsPerSecond": work["items"] / batched_seconds},
        "singleAdd": {**latency(singles), "itemsPerSecond": len(singles) / sum(singles)},
        "get": latency(lookups),
        "search": {**latency(searches), "meanResults": sum(map(len, results)) / len(results),
                   "planUsesHNSWIndex": plan_uses_index},
        "peakResidentMegabytes": peak,
        "peakResidentCounts": "ru_maxrss of LangGraph's Python process (torch, model, psycopg, store); "
                              "not PostgreSQL's processes",
        "storedVectorsOfUser": len(keys),
        "results": results,
        "exact": exact,
    }))


# MARK: - Comparison


def matches(results, exact, targets):
    """The share of questions whose exact best match (or asked-about item) each system found."""
    n = len(results)
    target_keys = [item(k)["key"] for k in targets]
    return {
        "exactAt1": sum(bool(r) and r[0] == e[0] for r, e in zip(results, exact)) / n,
        "exactInTop10": sum(e[0] in r for r, e in zip(results, exact)) / n,
        "recallAt10": sum(len(set(r) & set(e)) / len(e) for r, e in zip(results, exact)) / n,
        "askedAt1": sum(bool(r) and r[0] == t for r, t in zip(results, target_keys)) / n,
        "askedInTop10": sum(t in r for r, t in zip(results, target_keys)) / n,
    }


def admin(url, statement):
    import psycopg
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)


def database_url(url, name):
    parts = urllib.parse.urlsplit(url)
    return urllib.parse.urlunsplit(parts._replace(path="/" + name))


def versions():
    from importlib.metadata import PackageNotFoundError, version
    found = {}
    for package in ["langgraph-checkpoint-postgres", "langgraph-checkpoint", "langgraph", "psycopg", "psycopg-binary",
                    "sentence-transformers", "torch", "numpy"]:
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def server_versions(url):
    import psycopg
    with psycopg.connect(url) as connection:
        postgres = connection.execute("SHOW server_version").fetchone()[0]
        row = connection.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'").fetchone()
    return {"postgres": postgres, "pgvector": row[0] if row else None}


ROWS = [
    # label, ratio's name, section (None: top level), field
    ("add one by one, items/s", "singleAddThroughput", "singleAdd", "itemsPerSecond"),
    ("add one by one p50, ms", "singleAddLatencyP50", "singleAdd", "p50Milliseconds"),
    ("add batched, items/s", "batchedAddThroughput", "batchedAdd", "itemsPerSecond"),
    ("get/LOOKUP p50, ms", "getLatencyP50", "get", "p50Milliseconds"),
    ("SEARCH p50, ms", "searchLatencyP50", "search", "p50Milliseconds"),
    ("SEARCH p90, ms", "searchLatencyP90", "search", "p90Milliseconds"),
    ("peak RSS, MiB", "peakResident", None, "peakResidentMegabytes"),
]
MATCH_ROWS = [
    ("exact best match at 1, %", "exactAt1"),
    ("exact best match in top 10, %", "exactInTop10"),
    ("recall@10 vs exact top 10, %", "recallAt10"),
    ("asked-about item at 1, %", "askedAt1"),
    ("asked-about item in top 10, %", "askedInTop10"),
]


def figure(report, section, field):
    return report[field] if section is None else report[section][field]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, nargs="+", default=[2000, 20000],
                        help="the measured user's items; one size after the other (default 2000 20000)")
    parser.add_argument("--queries", type=int, default=200, help="gets and searches per size (default 200)")
    parser.add_argument("--others", type=int, default=4, help="other users, loaded first (default 4)")
    parser.add_argument("--other-items", type=int, help="items of each other user (default min(N, 2000))")
    parser.add_argument("--single-adds", type=int, default=200, help="adds one by one (default 200)")
    parser.add_argument("--batch-size", type=int, default=500, help="items per batched add (default 500)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--langgraph-child", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.langgraph_child:
        return langgraph_child(arguments.langgraph_child)
    if min(arguments.items) < 1 or arguments.queries < 1 or arguments.single_adds < 1 or arguments.others < 0 \
            or not 1 <= arguments.batch_size <= 10000:
        sys.exit("--items, --queries and --single-adds must be at least 1, --others at least 0, "
                 "--batch-size 1 to 10000")
    binary = os.environ.get("MEMGRAPH_BIN", str(_venv.REPO / ".build" / "release" / "memgraph"))
    if not Path(binary).exists():
        sys.exit(f"{binary} not found: run swift build -c release --product memgraph")
    env = dict(os.environ)
    env.setdefault("MEMGRAPH_HOME", str(_venv.REPO / ".memgraph"))
    _venv.model_dir()  # fail early without the model

    status = json.loads(subprocess.run([binary, "db", "status", "--json"], env=env, check=True,
                                       capture_output=True, text=True).stdout)
    started = status.get("status") != "running"
    if started:
        progress(f"starting the embedded cluster of {env['MEMGRAPH_HOME']}")
        subprocess.run([binary, "db", "start"], env=env, check=True)
    superuser = subprocess.run([binary, "db", "url", "--show-password"], env=env, check=True,
                               capture_output=True, text=True).stdout.strip()
    langgraph_url = database_url(superuser, LANGGRAPH_DATABASE)
    sizes = []
    try:
        for items in arguments.items:
            run = uuid.uuid4().hex[:8]
            other_items = arguments.other_items if arguments.other_items is not None else min(items, 2000)
            work = plan(items, arguments.queries, arguments.others, other_items, arguments.single_adds)
            progress(f"{items} items, {arguments.others} other users x {other_items}: memgraph (run {run})")
            ours, our_results = run_memgraph(binary, env, work, run, arguments.batch_size)
            progress(f"{items} items: LangGraph, in database {LANGGRAPH_DATABASE}")
            admin(superuser, f"DROP DATABASE IF EXISTS {LANGGRAPH_DATABASE} WITH (FORCE)")
            admin(superuser, f"CREATE DATABASE {LANGGRAPH_DATABASE}")
            try:
                theirs = run_langgraph(work, langgraph_url, run, arguments.batch_size)
                cluster = server_versions(langgraph_url)
            finally:
                admin(superuser, f"DROP DATABASE IF EXISTS {LANGGRAPH_DATABASE} WITH (FORCE)")
            for name, report in (("memgraph", ours), ("LangGraph", theirs)):
                if report["storedVectorsOfUser"] != items:
                    progress(f"warning: {name} held {report['storedVectorsOfUser']} vectors of the user, not {items}")
            exact = theirs.pop("exact")
            their_results = theirs.pop("results")
            ours["match"] = matches(our_results, exact, work["targets"])
            theirs["match"] = matches(their_results, exact, work["targets"])
            ratios = {name: figure(ours, section, field) / figure(theirs, section, field)
                      for _, name, section, field in ROWS}
            ratios.update({f"{field}": (ours["match"][field] / theirs["match"][field]
                                        if theirs["match"][field] else None) for _, field in MATCH_ROWS})
            sizes.append({"items": items, "others": arguments.others, "otherItems": other_items,
                          "queries": arguments.queries, "singleAdds": arguments.single_adds,
                          "batchSize": arguments.batch_size, "memgraph": ours, "langgraph": theirs,
                          "ratios": ratios, "cluster": cluster, "loadAverage": os.getloadavg()[0]})
    finally:
        if started:
            subprocess.run([binary, "db", "stop"], env=env, capture_output=True)

    document = {"sizes": sizes, "versions": versions(), "memgraphBinary": binary}
    if arguments.json:
        print(json.dumps(document, indent=2))
        return
    found = document["versions"]
    print(f"LangGraph: langgraph-checkpoint-postgres {found['langgraph-checkpoint-postgres']}, psycopg "
          f"{found['psycopg']}, sentence-transformers {found['sentence-transformers']}, torch {found['torch']}; "
          f"PostgreSQL {sizes[0]['cluster']['postgres']}, pgvector {sizes[0]['cluster']['pgvector']}")
    for size in sizes:
        ours, theirs = size["memgraph"], size["langgraph"]
        index = theirs["search"]["planUsesHNSWIndex"]
        print()
        print(f"{size['items']} items for the measured user, {size['others']} other users x {size['otherItems']}; "
              f"{size['queries']} gets and searches, {size['singleAdds']} adds one by one, batches of "
              f"{size['batchSize']}; load average {size['loadAverage']:.2f}; LangGraph's search plan "
              f"{'uses its HNSW index' if index else 'scans exactly' if index is False else 'unknown'}")
        print(f"{'':34}{'memgraph':>12}{'LangGraph':>12}{'ratio':>8}")
        for label, _, section, field in ROWS:
            a, b = figure(ours, section, field), figure(theirs, section, field)
            print(f"{label:34}{a:12.2f}{b:12.2f}{a / b:8.2f}")
        for label, field in MATCH_ROWS:
            a, b = ours["match"][field] * 100, theirs["match"][field] * 100
            print(f"{label:34}{a:12.1f}{b:12.1f}" + (f"{a / b:8.2f}" if b else f"{'-':>8}"))
        print(f"{'SEARCH results per question':34}{ours['search']['meanResults']:12.1f}"
              f"{theirs['search']['meanResults']:12.1f}")
    print()
    print("ratio = memgraph / LangGraph: above 1 is better for items/s, below 1 for ms and MiB. Peak RSS: "
          "memgraph serve's VmHWM vs the LangGraph Python process's ru_maxrss (PostgreSQL in neither).")


if __name__ == "__main__":
    main()
