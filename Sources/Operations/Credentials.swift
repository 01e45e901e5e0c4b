import Crypto
import Foundation
import JWTKit
import MemoryGraph
import Repositories

/// Who is calling, once a credential has been checked.
public struct Principal: Sendable, Equatable, CustomStringConvertible {
    /// A service key's name, or nil for a user token.
    public var keyName: String?
    /// The one user this caller may act for; nil for a service key, which may act for any user.
    public var user: UserID?

    /// Whether the caller may read and write `target`'s memories.
    public func mayActFor(_ target: UserID) -> Bool {
        user.map { $0 == target } ?? true
    }

    public var description: String {
        switch (keyName, user) {
        case (let name?, nil): "service key \(name)"
        case (let name?, let user?): "key \(name) of user \(user)"
        case (nil, let user?): "user token of \(user)"
        case (nil, nil): "nobody"
        }
    }
}

/// Checks credentials for `memgraph serve`: API keys (stored hashed in `memory.api_keys`) and user
/// tokens (HS256 JWTs signed with `MEMGRAPH_JWT_SECRET`, `sub` the user id, `exp` required). Both
/// arrive as `Authorization: Bearer <secret>`.
///
/// A key is looked up on every request, so a revoked key stops working at once, in every process.
/// A failure is a ``Failure`` with status 401 (no or bad credential) or 403 (another user's data).
public final class Credentials: Sendable {
    /// The prefix of every API key's secret; anything else is read as a JWT.
    public static let keyPrefix = "mgk_"
    /// The shortest HS256 secret accepted.
    public static let minimumSecretBytes = 32

    let store: APIKeyStore?
    let tokens: JWTKeyCollection?

    /// - Parameter jwtSecret: the HS256 secret; nil refuses user tokens.
    /// - Throws: `Failure` (400) for a secret shorter than ``minimumSecretBytes``.
    public init(database: Database?, jwtSecret: String?) async throws {
        self.store = database.map(APIKeyStore.init)
        if let jwtSecret {
            guard jwtSecret.utf8.count >= Self.minimumSecretBytes else {
                throw MemoryGraphError.invalidInput(
                    "MEMGRAPH_JWT_SECRET is \(jwtSecret.utf8.count) bytes; use at least \(Self.minimumSecretBytes) random bytes (openssl rand -hex 32)",
                    operation: "configure tokens")
            }
            let keys = JWTKeyCollection()
            await keys.add(hmac: HMACKey(from: jwtSecret), digestAlgorithm: .sha256)
            tokens = keys
        } else {
            tokens = nil
        }
    }

    /// Credentials that only sign and check user tokens (no database: API keys are refused).
    public static func signer(secret: String) async throws -> Credentials {
        try await Credentials(database: nil, jwtSecret: secret)
    }

    var keys: APIKeyStore {
        get throws {
            guard let store else { throw MemoryGraphError(code: .unavailable, message: "API keys need the database", operation: "keys") }
            return store
        }
    }

    /// The secret of `MEMGRAPH_JWT_SECRET`, or of the file `MEMGRAPH_JWT_SECRET_FILE` names (trailing
    /// newline dropped); nil when neither is set.
    /// - Throws: `MemoryGraphError` (`.invalidInput`) when the file cannot be read.
    public static func jwtSecret(_ settings: Settings) throws -> String? {
        if let secret = settings["MEMGRAPH_JWT_SECRET"], !secret.isEmpty { return secret }
        guard let path = settings["MEMGRAPH_JWT_SECRET_FILE"], !path.isEmpty else { return nil }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw MemoryGraphError.invalidInput("MEMGRAPH_JWT_SECRET_FILE: cannot read \(path)", operation: "configure tokens")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    // MARK: - Authentication

    /// The caller behind an `Authorization` header's value.
    /// - Throws: `Failure` 401 when the header is missing, malformed, unknown, revoked or expired.
    public func authenticate(authorization: String?) async throws -> Principal {
        guard let authorization, !authorization.isEmpty else {
            throw Self.unauthorized("no credential: send Authorization: Bearer <API key or user token>")
        }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", !parts[1].isEmpty else {
            throw Self.unauthorized("the Authorization header must be Bearer <API key or user token>")
        }
        let secret = String(parts[1]).trimmingCharacters(in: .whitespaces)
        if secret.hasPrefix(Self.keyPrefix) { return try await authenticate(key: secret) }
        return try await authenticate(token: secret)
    }

    func authenticate(key secret: String) async throws -> Principal {
        guard let found = try await keys.key(hash: Self.hash(secret)) else { throw Self.unauthorized("unknown API key") }
        guard found.revokedAt == nil else { throw Self.unauthorized("the API key \(found.name) has been revoked") }
        return Principal(keyName: found.name, user: found.scopeUser)
    }

    func authenticate(token: String) async throws -> Principal {
        guard let parts = Self.jwtParts(token) else {
            throw Self.unauthorized(
                "the credential is neither an API key (mgk_…) nor a user token (a JWT: three base64url parts without padding, each a JSON object but the signature, every claim once)")
        }
        guard let tokens else {
            throw Self.unauthorized("user tokens are not accepted: this server has no MEMGRAPH_JWT_SECRET")
        }
        guard parts.header["alg"] == "HS256", parts.header["crit"] == nil else {
            throw Self.unauthorized("the user token's header must say \"alg\": \"HS256\" and ask for no extension (\"crit\")")
        }
        let payload: UserTokenPayload
        do {
            payload = try await tokens.verify(token, as: UserTokenPayload.self)
        } catch let error as JWTError where error.errorType == .claimVerificationFailure {
            throw Self.unauthorized(error.failedClaim is NotBeforeClaim ? "the user token is not valid yet (nbf)" : "the user token has expired")
        } catch {
            throw Self.unauthorized("the user token is not valid (bad signature, malformed, or missing sub or exp)")
        }
        do {
            return Principal(keyName: nil, user: try UserID(payload.sub.value))
        } catch {
            throw Self.unauthorized("the user token's sub is not a valid user id")
        }
    }

    /// 403 unless `principal` may act for `user`.
    public static func authorize(_ principal: Principal, for user: UserID) throws {
        guard principal.mayActFor(user) else {
            throw Failure(status: 403, code: "forbidden", message: "\(principal) may not act for user \(user)")
        }
    }

    static func unauthorized(_ message: String) -> Failure {
        Failure(status: 401, code: "unauthorized", message: message)
    }

    // MARK: - Tokens

    /// Signs a user token for `user`, valid for `lifetime` (what a runtime's backend does per end user).
    /// - Throws: `MemoryGraphError` when no secret is configured.
    public func issueToken(for user: UserID, lifetime: Duration) async throws -> String {
        guard let tokens else {
            throw MemoryGraphError.invalidInput("set MEMGRAPH_JWT_SECRET (or MEMGRAPH_JWT_SECRET_FILE) to sign user tokens", operation: "token")
        }
        let expiry = Date().addingTimeInterval(Double(lifetime.components.seconds))
        return try await tokens.sign(UserTokenPayload(sub: SubjectClaim(value: user.rawValue), exp: ExpirationClaim(value: expiry)))
    }

    // MARK: - Keys

    /// Creates a key and returns its secret, which is not stored and cannot be shown again.
    /// - Parameter scope: nil for a service key; a user for a key bound to that user.
    /// - Throws: `RepositoriesError` (`.conflict` when the name is taken).
    public func createKey(name: String, scope: UserID?) async throws -> (key: APIKey, secret: String) {
        guard (1...100).contains(name.count), !name.contains(where: \.isNewline) else {
            throw MemoryGraphError.invalidInput("a key name is 1 to 100 characters on one line", operation: "create key")
        }
        let secret = Self.keyPrefix + Self.randomToken()
        return (try await keys.insert(name: name, hash: Self.hash(secret), scope: scope), secret)
    }

    /// Every key, newest first, revoked ones included.
    public func listKeys() async throws -> [APIKey] { try await keys.list() }

    /// Revokes the key with this name or id; it stops working at once.
    /// - Throws: `MemoryGraphError` (`.notFound`) when no unrevoked key has that name or id.
    public func revokeKey(_ nameOrID: String) async throws -> APIKey {
        guard let key = try await keys.revoke(nameOrID).first else {
            throw MemoryGraphError.notFound("no active key is named \(JSONValue.string(nameOrID).jsonText()); memgraph keys list shows them")
        }
        return key
    }

    static func hash(_ secret: String) -> Data {
        Data(SHA256.hash(data: Data(secret.utf8)))
    }

    /// 32 random bytes, base64url without padding.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
        return Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

/// A user token's claims: `sub` (the user id) and `exp`, both required; `nbf`, when present, is
/// checked too.
struct UserTokenPayload: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?

    func verify(using algorithm: some JWTAlgorithm) async throws {
        try exp.verifyNotExpired()
        try nbf?.verifyNotBefore()
    }
}

extension Credentials {
    /// A JWT's header and payload, when the token is three base64url segments without padding
    /// whose first two are JSON objects, each member once (RFC 7519 4: a duplicate claim name is
    /// refused, or one JSON library reads `sub` as bob where another reads alice); nil otherwise.
    /// The header must then name the one algorithm memgraph signs with, HS256, and no critical
    /// extension (RFC 7515 4.1.11): the signature is checked with HS256 whatever the header says,
    /// so a header that says otherwise is refused, not believed.
    static func jwtParts(_ token: String) -> (header: [String: JSONValue], payload: [String: JSONValue])? {
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        guard segments.count == 3, segments.allSatisfy({ !$0.isEmpty && $0.utf8.allSatisfy(alphabet.contains) }) else { return nil }
        func object(_ segment: Substring) -> [String: JSONValue]? {
            var base64 = segment.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
            guard let data = Data(base64Encoded: base64), case .object(let members)? = try? JSONValue.parse(input: Array(data)) else {
                return nil
            }
            return members
        }
        guard let header = object(segments[0]), let payload = object(segments[1]) else { return nil }
        return (header, payload)
    }
}
