import Foundation
import Hummingbird
import MemoryGraph
import Operations
import Sessions

extension HTTPAPI {
    /// `/v1/users/{user}/sessions…`: start, read and end sessions, and their working memory. A session
    /// lives in this instance's SQLite store: route a session's requests to the instance that started it.
    func addSessionRoutes(_ sessions: RouterGroup<ServerContext>) {
        sessions.post { request, context in
            try Self.allow(request, [])
            let user = try authorized(context)
            var ttl: Duration?
            let data = try await bodyData(request)
            if !data.isEmpty {
                guard case .object(let object) = try await body(data) else {
                    throw Failure.invalidInput("expected nothing, or {\"idle_ttl_seconds\": N}", path: "$")
                }
                let fields = Fields(object: object, path: "$")
                try fields.rejectUnknown(["idle_ttl_seconds"])
                ttl = try fields.number("idle_ttl_seconds", in: 1...Double(SessionConfiguration.longestTTLSeconds)).map { .milliseconds(Int64($0 * 1000)) }
            }
            return Self.json(.created, Documents.session(try await service.startSession(user, idleTTL: ttl)))
        }
        sessions.get(":session") { request, context in
            try Self.allow(request, [])
            let (user, session) = try sessionOf(context)
            return Self.json(.ok, Documents.session(try await service.session(user, session)))
        }
        sessions.delete(":session") { request, context in
            try Self.allow(request, [])
            let (user, session) = try sessionOf(context)
            try await service.endSession(user, session)
            return Self.json(.ok, ["ended": true, "session_id": .string(session.rawValue)])
        }
        sessions.get(":session/memory") { request, context in
            try Self.allow(request, [])
            let (user, session) = try sessionOf(context)
            let values = try await service.workingMemory(user, session)
            return Self.json(.ok, ["values": .object(Dictionary(values.map { ($0.key, $0.value) }, uniquingKeysWith: { _, last in last }))])
        }
        sessions.get(":session/memory/:key") { request, context in
            try Self.allow(request, [])
            let (user, session) = try sessionOf(context)
            let key = try Self.parameter(context, "key")
            return Self.json(.ok, ["key": .string(key), "value": try await service.workingValue(user, session, key: key)])
        }
        sessions.put(":session/memory/:key") { request, context in
            try Self.allow(request, ["ttl"])
            let (user, session) = try sessionOf(context)
            let key = try Self.parameter(context, "key")
            let value = try await body(request)
            let ttl = try Self.integer(request, "ttl").map { seconds in
                guard (1...SessionConfiguration.longestTTLSeconds).contains(seconds) else {
                    throw Failure.invalidInput("?ttl= takes 1 to \(SessionConfiguration.longestTTLSeconds) seconds", path: "ttl")
                }
                return Duration.seconds(seconds)
            }
            try await service.setWorkingValue(user, session, key: key, value: value, ttl: ttl)
            return Self.json(.ok, ["key": .string(key), "value": value])
        }
        sessions.delete(":session/memory/:key") { request, context in
            try Self.allow(request, [])
            let (user, session) = try sessionOf(context)
            let key = try Self.parameter(context, "key")
            try await service.deleteWorkingValue(user, session, key: key)
            return Self.json(.ok, ["deleted": true, "key": .string(key)])
        }
    }

    func sessionOf(_ context: ServerContext) throws -> (UserID, SessionID) {
        let user = try authorized(context)
        do {
            return (user, try SessionID(try Self.parameter(context, "session")))
        } catch {
            throw Failure(status: 404, code: "not_found", message: "no such session: \(error)")
        }
    }
}
