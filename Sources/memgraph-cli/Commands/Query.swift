import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

extension Memgraph {
    struct Query: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one REM query (LOOKUP, FUZZY, SEARCH, RECALL or TRAVERSE) on a user's graph.",
            discussion: """
                REM, in short (docs/rem.md has the grammar):
                  LOOKUP <key>
                  FUZZY <text> [THRESHOLD 0..1] [LIMIT n]
                  SEARCH <text> [IN <context_type>, …] [MIN 0..1] [LIMIT n]
                  RECALL <text> [IN <context_type>, …] [MIN 0..1] [LIMIT n] [SINCE <time>] [UNTIL <time>]
                  TRAVERSE <key> [DEPTH n] [TYPE <relationship_type>, …] [DIRECTION out|in|both]

                RECALL is the query to use by default: it fuses meaning (SEARCH's vectors), the \
                question's words (full-text search), the names it mentions (keys) and the graph \
                (neighbours of the best hits). --explain shows each arm's rank for every result.

                The table's score is the similarity for FUZZY and SEARCH, 1 for LOOKUP, the fused \
                reciprocal-rank score for RECALL, and the depth for TRAVERSE. A query that does not parse is wrong usage: exit status 2, and the message \
                names the column. Finding nothing is not an error: exit status 0, a note on stderr.

                Examples:
                  memgraph query 'LOOKUP sarah-chen' --user demo-consultant
                  memgraph query 'FUZZY sara chen LIMIT 3' --user demo-consultant --json
                  memgraph query 'TRAVERSE acme-corp DEPTH 1 TYPE belongs_to DIRECTION in' --user demo-consultant
                  memgraph query 'SEARCH "who runs engineering at Acme?" IN domain_entity' --user demo-consultant
                  memgraph query 'RECALL "when did Sarah join Acme?" LIMIT 5' --user demo-consultant --explain
                  memgraph query 'RECALL renewal SINCE 2026-01-01' --user demo-consultant --json
                """)
        @Argument(help: ArgumentHelp("The REM query; quote it for the shell.", valueName: "rem"))
        var text: String
        @OptionGroup var user: UserOptions
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions
        @Flag(help: "RECALL: show where each arm (vector, lexical, name, graph) ranked every result.")
        var explain = false

        func validate() throws {
            let query = try parsed()
            if explain, case .recall = query {} else if explain {
                throw ValidationError("--explain goes with RECALL queries only")
            }
        }

        /// The query, or a usage error naming the column.
        func parsed() throws -> RemQuery {
            do throws(RemSyntaxError) {
                return try RemParser.parse(text)
            } catch {
                throw ValidationError("the query does not parse: \(error)")
            }
        }

        func run() async throws {
            let query = try parsed()
            let user = user.userID
            let result = try await CLI.withService(connection) { service in try await service.run(query, for: user) }
            if let note = result.emptyNote { CLI.note("memgraph: \(note)") }
            if let note = result.truncatedNote { CLI.note("memgraph: \(note)") }
            if output.json {
                CLI.printJSON(result.json(explain: explain))
            } else if !result.rows.isEmpty {
                print(result.text(explain: explain))
            }
        }
    }
}
