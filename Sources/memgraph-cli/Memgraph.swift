import ArgumentParser

@main
struct Memgraph: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memgraph",
        abstract: "A user-scoped memory graph on PostgreSQL with pgvector and pg_trgm.",
        subcommands: [Embed.self, Bench.self]
    )
}
