import ArgumentParser

extension Memgraph {
    /// `memgraph bench …`: speed measurements, each printing its figures (JSON with `--json`).
    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure memgraph's speed. Build with -c release for meaningful figures.",
            subcommands: [Encoder.self])
    }
}
