import ArgumentParser
import Foundation
import MemoryGraph

extension Memgraph {
    struct Config: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the effective settings and where each came from (flag, environment, file, default).",
            discussion: """
                Settings come from, highest first: command-line flags, the environment, the config file \
                (MEMGRAPH_CONFIG, else MEMGRAPH_HOME/config.json or config.yaml), defaults. Passwords, and \
                the password in a URL, are shown as ****. A setting with a computed default (such as \
                MEMGRAPH_HOME or MEMGRAPH_ENCODER_WORKERS) shows how it is computed.

                Examples:
                  memgraph config
                  memgraph config --home /srv/memgraph --json
                  MEMGRAPH_LOG_LEVEL=debug memgraph config
                """)
        @OptionGroup var connection: ConnectionOptions
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let settings = try connection.settings()
            if output.json {
                CLI.printJSON([
                    "file": settings.file.map { .string($0.path) } ?? .null,
                    "settings": .array(Settings.definitions.map { definition in
                        [
                            "name": .string(definition.name),
                            "value": settings.displayValue(of: definition.name).map(JSONValue.string) ?? .null,
                            "source": .string(settings.source(of: definition.name).rawValue),
                            "default": .string(definition.defaultDescription),
                        ]
                    }),
                ])
                return
            }
            var table = TextTable(header: ["SETTING", "VALUE", "FROM"])
            for definition in Settings.definitions {
                let value = settings.displayValue(of: definition.name)
                table.rows.append([
                    definition.name, value ?? "(\(definition.defaultDescription))", settings.source(of: definition.name).rawValue,
                ])
            }
            print(table.description)
            CLI.note("config file: \(settings.file?.path ?? "none")")
        }
    }
}
