/// Where a benchmark has got, for a progress display (`memgraph bench` shows it on stderr):
/// `phase` names what it is doing, `done` counts its steps so far, of `total` when that is known.
/// A new phase starts a new count; a phase with nothing to count reports 0 of nil, and its time shows.
///
/// ```swift
/// let report = try await benchmark.run(store: store, embedder: embedder, logger: logger) { phase, done, total in
///     print(phase, done, total ?? -1)
/// }
/// ```
public typealias BenchmarkProgress = @Sendable (_ phase: String, _ done: Int, _ total: Int?) -> Void
