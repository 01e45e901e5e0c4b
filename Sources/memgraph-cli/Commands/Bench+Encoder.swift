import ArgumentParser
import Foundation
import MemoryGraph
import Benchmarks
import Encoder

extension Memgraph.Bench {
    /// `memgraph bench encoder [--json]`: the MiniLM encoder's load time, throughput and latency.
    struct Encoder: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "encoder",
            abstract: "Measure the MiniLM encoder on generated sentences of about 30 tokens.",
            discussion: """
                Reports model load time, sentences/s at batch 1 and 32, batch-1 latency and peak \
                resident memory. bench/compare_encoder.py runs sentence-transformers on the same \
                sentences (written by --dump-sentences) and prints the ratios.
                """)

        @Flag(help: "Print one JSON document on stdout.")
        var json = false

        @Option(help: "How many sentences to run.")
        var sentences = 1000

        @Option(help: ArgumentHelp("Write the sentences, one per line, to FILE and exit.", valueName: "FILE"))
        var dumpSentences: String?

        @Option(help: "Threads sharing each forward pass (1: leave threading to OpenBLAS).")
        var workers = MiniLMEmbedder.defaultWorkers

        @Option(help: "Override the OpenBLAS thread count after the model is loaded.")
        var blasThreads: Int?

        @Option(help: """
            The linear layers' matrix product: auto (the fastest this processor runs), avx512-bf16, avx512 \
            or blas. \
            Default: MEMGRAPH_ENCODER_KERNEL, else auto.
            """)
        var kernel: String?

        func validate() throws {
            if sentences < 1 { throw ValidationError("--sentences must be at least 1.") }
            if let blasThreads, blasThreads < 1 { throw ValidationError("--blas-threads must be at least 1.") }
            if workers < 1 { throw ValidationError("--workers must be at least 1.") }
            if let kernel, kernel.lowercased() != "auto", EncoderKernel(rawValue: kernel.lowercased()) == nil {
                throw ValidationError("--kernel must be auto, avx512-bf16, avx512 or blas.")
            }
        }

        func run() async throws {
            let texts = EncoderBenchmark.sentences(count: sentences)
            if let dumpSentences {
                try (texts.joined(separator: "\n") + "\n").write(toFile: dumpSentences, atomically: true, encoding: .utf8)
                FileHandle.standardError.write(Data("wrote \(texts.count) sentences to \(dumpSentences)\n".utf8))
                return
            }
            #if DEBUG
            FileHandle.standardError.write(Data("warning: debug build; use swift build -c release\n".utf8))
            #endif
            let (workers, blasThreads, kernel) = (workers, blasThreads, kernel)
            let report = try await CLI.withProgress { progress in
                try await EncoderBenchmark.run(
                    modelDirectory: MiniLMEmbedder.locateModel(), sentences: texts, workers: workers,
                    blasThreads: blasThreads, kernel: kernel.map(EncoderKernel.named),
                    progress: { progress.update($0, done: $1, total: $2) })
            }
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
                print(String(decoding: try encoder.encode(report), as: UTF8.self))
            } else {
                print("""
                    sentences              \(report.sentences) (mean \(format(report.meanTokens)) tokens)
                    model load             \(format(report.modelLoadSeconds * 1000)) ms
                    batch 1                \(format(report.batch1SentencesPerSecond)) sentences/s, \
                    p50 \(format(report.batch1LatencyP50Milliseconds)) ms, p90 \(format(report.batch1LatencyP90Milliseconds)) ms
                    short sentence         p50 \(format(report.shortSentenceLatencyP50Milliseconds)) ms
                    batch 32               \(format(report.batch32SentencesPerSecond)) sentences/s
                    peak resident memory   \(format(report.peakResidentMegabytes)) MiB
                    kernel                 \(report.kernel)
                    workers                \(report.workers), BLAS threads \(report.blasThreads.map(String.init) ?? "n/a")
                    load average           \(report.loadAverage.map(format) ?? "n/a")
                    """)
            }
        }

        private func format(_ value: Double) -> String { String(format: "%.2f", value) }
    }
}
