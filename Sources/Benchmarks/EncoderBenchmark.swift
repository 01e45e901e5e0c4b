import Encoder
import Foundation
import MemoryGraph

#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The encoder benchmark behind `memgraph bench encoder`: model load time, throughput at batch 1
/// and 32, batch-1 latency and peak resident memory, over a fixed set of generated sentences.
public enum EncoderBenchmark {
    /// What one run measured. Times are wall-clock.
    public struct Report: Codable, Sendable {
        public var sentences: Int
        public var meanTokens: Double
        public var modelLoadSeconds: Double
        public var batch1SentencesPerSecond: Double
        public var batch1LatencyP50Milliseconds: Double
        public var batch1LatencyP90Milliseconds: Double
        /// Latency of one short sentence (`shortSentence`), the figure sentence-transformers was quoted at.
        public var shortSentenceLatencyP50Milliseconds: Double
        public var batch32SentencesPerSecond: Double
        public var peakResidentMegabytes: Double
        public var blasThreads: Int?
        public var workers: Int
        /// The matrix product the linear layers ran on (``EncoderKernel``).
        public var kernel: String
        public var openblasCoretype: String?
        /// The machine's 1-minute load average when the run ended (Linux), to judge contention.
        public var loadAverage: Double?
        public var build: String
    }

    /// The short sentence whose batch-1 latency is reported on its own.
    public static let shortSentence = "Who is the VP of engineering?"

    /// `count` sentences of about 30 tokens, the same on every run and platform.
    public static func sentences(count: Int = 1000, seed: UInt64 = 0x6D65_6D67_7261_7068) -> [String] {
        var random = SplitMix64(seed: seed)
        func pick(_ words: [String]) -> String { words[Int(random.next() % UInt64(words.count))] }
        return (0..<count).map { _ in
            let clauses = [
                "\(pick(names)) \(pick(verbs)) the \(pick(adjectives)) \(pick(nouns)) \(pick(places))",
                "\(pick(times)) because the \(pick(nouns)) \(pick(verbs)) \(pick(numbers)) \(pick(adjectives)) \(pick(nouns))",
                "and \(pick(names)) said it was \(pick(adjectives)).",
            ]
            return clauses.joined(separator: " ")
        }
    }

    /// Loads the model from `modelDirectory` and measures it on `sentences`; `progress` gets the
    /// sentences run at batch 1, the short sentence's runs, then the sentences run at batch 32.
    /// - Throws: ``MemoryGraphError`` if the model cannot be loaded.
    public static func run(
        modelDirectory: URL, sentences: [String], workers: Int = MiniLMEmbedder.defaultWorkers,
        blasThreads: Int? = nil, kernel: EncoderKernel? = nil, progress: BenchmarkProgress = { _, _, _ in }
    ) async throws -> Report {
        let clock = ContinuousClock()
        progress("loading the model", 0, nil)
        let loadStart = clock.now
        let embedder = try MiniLMEmbedder(
            modelDirectory: modelDirectory, batchSize: 32, workers: workers, kernel: kernel)
        if let blasThreads { BLAS.setThreads(blasThreads) }
        let load = clock.now - loadStart
        let tokens = sentences.reduce(0) { $0 + embedder.tokenIDs($1).count }

        // Warm up caches, page in the weights and size the scratch buffers.
        _ = try await embedder.embed(Array(sentences.prefix(32)))
        _ = try await embedder.embed([shortSentence])

        var latencies: [Double] = []
        let singleStart = clock.now
        for sentence in sentences {
            let start = clock.now
            _ = try await embedder.embed([sentence])
            latencies.append(seconds(clock.now - start))
            progress("batch 1", latencies.count, sentences.count)
        }
        let single = seconds(clock.now - singleStart)

        var shortLatencies: [Double] = []
        for _ in 0..<200 {
            let start = clock.now
            _ = try await embedder.embed([shortSentence])
            shortLatencies.append(seconds(clock.now - start))
            progress("short sentence", shortLatencies.count, 200)
        }

        let batchStart = clock.now
        for start in stride(from: 0, to: sentences.count, by: 32) {
            _ = try await embedder.embed(Array(sentences[start..<min(start + 32, sentences.count)]))
            progress("batch 32", min(start + 32, sentences.count), sentences.count)
        }
        let batched = seconds(clock.now - batchStart)

        #if DEBUG
        let build = "debug"
        #else
        let build = "release"
        #endif
        return Report(
            sentences: sentences.count,
            meanTokens: Double(tokens) / Double(max(sentences.count, 1)),
            modelLoadSeconds: seconds(load),
            batch1SentencesPerSecond: Double(sentences.count) / single,
            batch1LatencyP50Milliseconds: percentile(latencies, 0.5) * 1000,
            batch1LatencyP90Milliseconds: percentile(latencies, 0.9) * 1000,
            shortSentenceLatencyP50Milliseconds: percentile(shortLatencies, 0.5) * 1000,
            batch32SentencesPerSecond: Double(sentences.count) / batched,
            peakResidentMegabytes: peakResidentMegabytes(),
            blasThreads: BLAS.threads,
            workers: workers,
            kernel: embedder.kernel.rawValue,
            openblasCoretype: Settings.processEnvironment["OPENBLAS_CORETYPE"],
            loadAverage: (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))
                .flatMap { $0.split(separator: " ").first.flatMap { Double($0) } },
            build: build)
    }

    /// The process's peak resident memory so far, in MiB.
    ///
    /// On Linux this is `VmHWM`, which starts afresh at exec: `ru_maxrss` keeps the peak of the
    /// parent that forked us (a Python benchmark holding torch made it read 820 MiB).
    public static func peakResidentMegabytes() -> Double {
        var usage = rusage()
        #if canImport(Darwin)
        getrusage(RUSAGE_SELF, &usage)
        return Double(usage.ru_maxrss) / 1_048_576  // bytes
        #else
        if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kibibytes = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).dropFirst().first.flatMap({ Double($0) })
        {
            return kibibytes / 1024
        }
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // KiB
        #endif
    }

    private static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }

    private static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * fraction + 0.5))]
    }


    private static let names = [
        "Sarah", "David", "Priya", "Marcus", "Elena", "Tom", "Aisha", "Kenji", "Laura", "Omar",
        "The manager", "Our team", "The new intern", "My neighbour", "The board",
    ]
    private static let verbs = [
        "reviewed", "moved", "bought", "fixed", "painted", "shipped", "cancelled", "approved",
        "described", "borrowed", "cleaned", "measured", "ordered", "replaced", "tested",
    ]
    private static let adjectives = [
        "old", "expensive", "broken", "quiet", "blue", "heavy", "urgent", "small", "careful",
        "strange", "quarterly", "wooden", "bright", "digital", "important",
    ]
    private static let nouns = [
        "report", "car", "garden", "budget", "server", "kitchen", "contract", "painting", "bicycle",
        "database", "meeting", "invoice", "window", "schedule", "prototype",
    ]
    private static let places = [
        "in the office", "near the station", "at home", "in Berlin", "on the roof", "at the market",
        "behind the library", "in the warehouse", "at the airport", "by the river",
    ]
    private static let times = [
        "last Tuesday", "this morning", "after lunch", "every weekend", "before the holidays",
        "yesterday evening", "early in March", "during the storm",
    ]
    private static let numbers = ["two", "three", "several", "twelve", "a few", "many", "forty"]
}
