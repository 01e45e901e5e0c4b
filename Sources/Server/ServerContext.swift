import Hummingbird
import Operations

/// A request's context: Hummingbird's, plus the caller once ``AuthenticationMiddleware`` has checked
/// the credential.
public struct ServerContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// nil only on `/healthz`, the one route that needs no credential.
    public var principal: Principal?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        principal = nil
    }
}
