import ArgumentParser
import Foundation
import MemoryGraph
import Operations
import Repositories

extension Memgraph {
    struct Keys: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create, list and revoke the API keys memgraph serve accepts.",
            discussion: """
                A service key (--scope service, the default) is for a trusted runtime's backend and may \
                act for any user named in the path. A key scoped user:ID acts for that user only. Only a \
                hash of a key is stored: its secret is printed once, when it is created. A revoked key \
                stops working at once. Send a key as Authorization: Bearer <secret>.

                Examples:
                  memgraph keys create --name agent-backend
                  memgraph keys create --name alice-laptop --scope user:alice
                  memgraph keys list
                  memgraph keys revoke agent-backend
                """,
            subcommands: [Create.self, List.self, Revoke.self])
    }
}

extension Memgraph.Keys {
    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key; its secret is the last line of the output, shown once.")
        @Option(help: ArgumentHelp("A name to list and revoke it by, unique.", valueName: "name"))
        var name: String
        @Option(help: ArgumentHelp("service (any user) or user:ID (that user only).", valueName: "scope"))
        var scope = "service"
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func validate() throws { _ = try parsedScope() }

        func parsedScope() throws -> UserID? {
            if scope == "service" { return nil }
            guard scope.hasPrefix("user:") else { throw ValidationError("--scope is service or user:ID, not \(scope)") }
            do { return try UserID(String(scope.dropFirst(5))) } catch { throw ValidationError("--scope: \(error)") }
        }

        func run() async throws {
            let (name, scope) = (name, try parsedScope())
            let (key, secret) = try await CLI.withStore(connection) { store in
                try await Credentials(database: store.database, jwtSecret: nil).createKey(name: name, scope: scope)
            }
            if output.json {
                var document = Memgraph.Keys.json(key)
                document["secret"] = .string(secret)
                CLI.printJSON(.object(document))
            } else {
                CLI.note("memgraph: created \(key.scopeUser.map { "a key for user \($0)" } ?? "a service key") named \(key.name); its secret, shown only now:")
                print(secret)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the keys (never their secrets), newest first.")
        @OptionGroup var output: OutputOptions
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let keys = try await CLI.withStore(connection) { store in
                try await Credentials(database: store.database, jwtSecret: nil).listKeys()
            }
            if output.json {
                CLI.printJSON(["keys": .array(keys.map { .object(Memgraph.Keys.json($0)) })])
                return
            }
            if keys.isEmpty { CLI.note("memgraph: no keys; memgraph keys create --name NAME makes one") }
            var table = TextTable(header: ["NAME", "SCOPE", "CREATED", "REVOKED"])
            for key in keys {
                table.rows.append([
                    key.name, key.scopeUser.map { "user:\($0)" } ?? "service", Documents.timestamp(key.createdAt),
                    key.revokedAt.map(Documents.timestamp) ?? "-",
                ])
            }
            print(table.description)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by name or id; it stops working at once.")
        @Argument(help: ArgumentHelp("The key's name or id.", valueName: "name"))
        var name: String
        @OptionGroup var connection: ConnectionOptions

        func run() async throws {
            let name = name
            let key = try await CLI.withStore(connection) { store in
                try await Credentials(database: store.database, jwtSecret: nil).revokeKey(name)
            }
            CLI.note("memgraph: revoked the key \(key.name)")
        }
    }

    static func json(_ key: APIKey) -> [String: JSONValue] {
        [
            "key_id": .string(key.id.uuidString.lowercased()), "name": .string(key.name),
            "scope": .string(key.scopeUser.map { "user:\($0)" } ?? "service"),
            "created_at": .string(Documents.timestamp(key.createdAt)),
            "revoked_at": key.revokedAt.map { .string(Documents.timestamp($0)) } ?? .null,
        ]
    }
}

extension Memgraph {
    struct Token: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign a user token (JWT) with MEMGRAPH_JWT_SECRET; it is the last line of the output.",
            discussion: """
                A user token acts for its user only (sub) until it expires (exp). A runtime's backend \
                usually mints them itself with the same secret (HS256); this command is for trying \
                the API and for scripts.

                Examples:
                  MEMGRAPH_JWT_SECRET_FILE=secret memgraph token --user alice --ttl 3600
                  curl -H "Authorization: Bearer $(memgraph token --user alice)" localhost:8420/v1/users/alice/stats
                """)
        @OptionGroup var user: UserOptions
        @Option(help: ArgumentHelp("Seconds the token is valid.", valueName: "seconds"))
        var ttl = 3600
        @OptionGroup var connection: ConnectionOptions

        func validate() throws {
            guard (1...31_536_000).contains(ttl) else { throw ValidationError("--ttl must be from 1 to 31536000 seconds") }
        }

        func run() async throws {
            let settings = try connection.settings()
            guard let secret = try Credentials.jwtSecret(settings) else {
                throw MemoryGraphError.invalidInput("set MEMGRAPH_JWT_SECRET or MEMGRAPH_JWT_SECRET_FILE to sign user tokens")
            }
            let token = try await Credentials.signer(secret: secret).issueToken(for: user.userID, lifetime: .seconds(ttl))
            print(token)
        }
    }
}
