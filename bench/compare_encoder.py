#!/usr/bin/env python3
"""Runs `memgraph bench encoder` and sentence-transformers on the same sentences and prints ratios.

    swift build -c release --product memgraph
    python3 bench/compare_encoder.py [--sentences N] [--rounds R] [--json]

memgraph is .build/release/memgraph unless MEMGRAPH_BIN says otherwise. The sentences come from
`memgraph bench encoder --dump-sentences`, so both sides embed exactly the same texts. The two run
one after the other, never at once, in R interleaved rounds (memgraph, then sentence-transformers,
R times): this machine's speed drifts by half within minutes, so each side is reported at its best
round, and the ratio of every round is printed too. sentence-transformers runs in a throwaway venv
(see bench/_venv.py; MEMGRAPH_REFERENCE_PYTHON reuses an interpreter that already has it).
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _venv  # noqa: E402

_venv.ensure_sentence_transformers(__file__)

SHORT_SENTENCE = "Who is the VP of engineering?"  # EncoderBenchmark.shortSentence


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int((len(ordered) - 1) * fraction + 0.5))]


def memgraph_sentences(binary, count):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sentences.txt"
        subprocess.run([binary, "bench", "encoder", "--sentences", str(count), "--dump-sentences", str(path)],
                       check=True, stderr=subprocess.DEVNULL)
        sentences = path.read_text().splitlines()
    if len(sentences) != count:
        sys.exit(f"memgraph wrote {len(sentences)} sentences, expected {count}")
    return sentences


def run_memgraph(binary, count):
    output = subprocess.run([binary, "bench", "encoder", "--json", "--sentences", str(count)],
                            check=True, capture_output=True, text=True).stdout
    return json.loads(output)


def load_sentence_transformers():
    from sentence_transformers import SentenceTransformer

    start = time.perf_counter()
    model = SentenceTransformer(str(_venv.model_dir()), device="cpu")
    return model, time.perf_counter() - start


def run_sentence_transformers(model, load, sentences):
    import torch

    model.encode(sentences[:32], batch_size=32)
    model.encode([SHORT_SENTENCE], batch_size=1)

    latencies = []
    single_start = time.perf_counter()
    for sentence in sentences:
        start = time.perf_counter()
        model.encode([sentence], batch_size=1)
        latencies.append(time.perf_counter() - start)
    single = time.perf_counter() - single_start

    short = []
    for _ in range(200):
        start = time.perf_counter()
        model.encode([SHORT_SENTENCE], batch_size=1)
        short.append(time.perf_counter() - start)

    start = time.perf_counter()
    model.encode(sentences, batch_size=32)
    batched = time.perf_counter() - start
    return {
        "sentences": len(sentences),
        "modelLoadSeconds": load,
        "batch1SentencesPerSecond": len(sentences) / single,
        "batch1LatencyP50Milliseconds": percentile(latencies, 0.5) * 1000,
        "batch1LatencyP90Milliseconds": percentile(latencies, 0.9) * 1000,
        "shortSentenceLatencyP50Milliseconds": percentile(short, 0.5) * 1000,
        "batch32SentencesPerSecond": len(sentences) / batched,
        "peakResidentMegabytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torchThreads": torch.get_num_threads(),
    }


# Per metric: which way is better, so that each side's best round can be picked.
HIGHER_IS_BETTER = {"batch32SentencesPerSecond", "batch1SentencesPerSecond"}
METRICS = ["batch32SentencesPerSecond", "batch1SentencesPerSecond", "batch1LatencyP50Milliseconds",
           "shortSentenceLatencyP50Milliseconds", "modelLoadSeconds", "peakResidentMegabytes"]


def best(reports, key):
    values = [report[key] for report in reports]
    return max(values) if key in HIGHER_IS_BETTER else min(values)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sentences", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds of both sides (default 3)")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    arguments = parser.parse_args()
    if arguments.rounds < 1 or arguments.sentences < 1:
        sys.exit("--rounds and --sentences must be at least 1")
    binary = os.environ.get("MEMGRAPH_BIN", str(_venv.REPO / ".build" / "release" / "memgraph"))
    if not Path(binary).exists():
        sys.exit(f"{binary} not found: run swift build -c release --product memgraph")

    sentences = memgraph_sentences(binary, arguments.sentences)
    model, load = load_sentence_transformers()
    rounds = []
    for index in range(arguments.rounds):
        ours = run_memgraph(binary, arguments.sentences)
        theirs = run_sentence_transformers(model, load, sentences)
        rounds.append({"memgraph": ours, "sentenceTransformers": theirs})
        print(f"round {index + 1}/{arguments.rounds}: batch 32 {ours['batch32SentencesPerSecond']:.1f} vs "
              f"{theirs['batch32SentencesPerSecond']:.1f} sentences/s, short sentence "
              f"{ours['shortSentenceLatencyP50Milliseconds']:.2f} vs "
              f"{theirs['shortSentenceLatencyP50Milliseconds']:.2f} ms", file=sys.stderr)
    ours = {key: best([r["memgraph"] for r in rounds], key) for key in METRICS}
    theirs = {key: best([r["sentenceTransformers"] for r in rounds], key) for key in METRICS}
    ratios = {
        "batch32ThroughputRatio": ours["batch32SentencesPerSecond"] / theirs["batch32SentencesPerSecond"],
        "batch1ThroughputRatio": ours["batch1SentencesPerSecond"] / theirs["batch1SentencesPerSecond"],
        "batch1LatencyP50Ratio": ours["batch1LatencyP50Milliseconds"] / theirs["batch1LatencyP50Milliseconds"],
        "shortSentenceLatencyRatio":
            ours["shortSentenceLatencyP50Milliseconds"] / theirs["shortSentenceLatencyP50Milliseconds"],
        "modelLoadRatio": ours["modelLoadSeconds"] / theirs["modelLoadSeconds"],
    }
    per_round = {
        "batch32ThroughputRatio": [r["memgraph"]["batch32SentencesPerSecond"]
                                   / r["sentenceTransformers"]["batch32SentencesPerSecond"] for r in rounds],
        "shortSentenceLatencyRatio": [r["memgraph"]["shortSentenceLatencyP50Milliseconds"]
                                      / r["sentenceTransformers"]["shortSentenceLatencyP50Milliseconds"]
                                      for r in rounds],
    }
    environment = {key: value for key, value in os.environ.items() if key.startswith("OPENBLAS_")}
    first = rounds[0]["memgraph"]
    if arguments.json:
        print(json.dumps({"best": {"memgraph": ours, "sentenceTransformers": theirs}, "ratios": ratios,
                          "perRoundRatios": per_round, "rounds": rounds, "environment": environment},
                         indent=2))
        return
    rows = [
        ("batch 32, sentences/s", "batch32SentencesPerSecond"),
        ("batch 1, sentences/s", "batch1SentencesPerSecond"),
        ("batch 1 latency p50, ms", "batch1LatencyP50Milliseconds"),
        ("short sentence p50, ms", "shortSentenceLatencyP50Milliseconds"),
        ("model load, s", "modelLoadSeconds"),
        ("peak RSS, MiB", "peakResidentMegabytes"),
    ]
    print(f"{len(sentences)} sentences, mean {first['meanTokens']:.1f} tokens; memgraph kernel "
          f"{first.get('kernel', '?')}; environment {environment or 'no OPENBLAS_*'}; load average "
          f"{os.getloadavg()[0]:.2f}; best of {arguments.rounds} interleaved rounds per side")
    print(f"{'':28}{'memgraph':>12}{'sent-trans':>12}{'ratio':>8}")
    for label, key in rows:
        print(f"{label:28}{ours[key]:12.2f}{theirs[key]:12.2f}{ours[key] / theirs[key]:8.2f}")
    for key, values in per_round.items():
        print(f"{key} per round: " + ", ".join(f"{value:.2f}" for value in values))
    print("targets: batch-32 throughput ratio >= 1.5, batch-1 latency ratio <= 0.5, load <= 1 s")


if __name__ == "__main__":
    main()
