import Foundation
import Logging
import MCP
import MemoryGraph
import Synchronization

/// MCP over stdio with blocking reads on a thread of its own: a message is read the moment it
/// arrives.
///
/// Why not the SDK's `StdioTransport`: it puts stdin in non-blocking mode and, when no byte is
/// there, sleeps 10 ms before trying again, so every request waited up to 10 ms before memgraph
/// saw it (`bench serve`'s MCP recall over stdio had a p50 of ~10 ms even for a LOOKUP that takes
/// 0.4 ms). Messages are newline-delimited JSON-RPC, as the MCP stdio transport specifies.
///
/// It also keeps count of the requests read and not answered yet: the SDK answers each request in a
/// task of its own, and its server is done when input ends, not when those tasks are. A client
/// that writes its requests and closes stdin (`printf … | memgraph mcp`) must still get every
/// answer, and a remember must not be cut off by the database pool closing under it:
/// ``drained(within:)`` waits for them.
actor LineTransport: Transport {
    nonisolated let logger: Logger
    private let input: FileHandle
    private let output: LineWriter
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var connected = false
    /// The requests read and not answered yet.
    private let ledger = RequestLedger()

    init(input: FileHandle = .standardInput, output: FileHandle = .standardOutput, logger: Logger) {
        self.input = input
        self.output = LineWriter(output)
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    /// Returns once every request read has been answered, or after `limit`, whichever is first:
    /// how many were still unanswered. (Called once, when input has ended: it looks every 10 ms.)
    func drained(within limit: Duration) async -> Int {
        let deadline = ContinuousClock.now + limit
        while ledger.count > 0 && ContinuousClock.now < deadline {
            do { try await Task.sleep(for: .milliseconds(10)) } catch { break }  // cancelled: stop waiting
        }
        return ledger.count
    }

    func connect() async throws {
        guard !connected else { return }
        connected = true
        // The reader blocks in read(2); it ends at end of input (the client closed stdin), which
        // also ends the stream, and so the server.
        let thread = Thread { [input, continuation, ledger, output, logger] in
            Self.readLines(from: input.fileDescriptor, into: continuation, ledger: ledger, output: output, logger: logger)
        }
        thread.name = "memgraph-mcp-stdin"
        thread.start()
    }

    func disconnect() async {
        guard connected else { return }
        connected = false
        continuation.finish()
    }

    func send(_ data: Data) async throws {
        guard connected else { throw MCPError.transportError(POSIXError(.ENOTCONN)) }
        do {
            try output.write(data)
        } catch {
            throw MCPError.transportError(error)
        }
        ledger.note(try? JSONValue.parse(bytes: Array(data)), read: false)  // the SDK's own JSON
    }

    func receive() -> AsyncThrowingStream<Data, any Error> { messages }

    /// Reads `descriptor` until end of input, yielding each non-empty line without its newline.
    private static func readLines(
        from descriptor: Int32, into continuation: AsyncThrowingStream<Data, any Error>.Continuation,
        ledger: RequestLedger, output: LineWriter, logger: Logger
    ) {
        var pending = Data()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                switch errno {
                case EINTR: continue
                case EAGAIN:
                    // Someone else made stdin non-blocking: wait for input instead of spinning.
                    var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                    _ = poll(&poller, 1, -1)
                    continue
                default:
                    let error = POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO)
                    logger.error("reading MCP messages from stdin failed", metadata: ["error": "\(error)"])
                    continuation.finish(throwing: MCPError.transportError(error))
                    return
                }
            }
            pending.append(contentsOf: buffer[..<count])
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = pending[pending.startIndex..<newline]
                pending = pending[(newline + 1)...]
                guard !line.isEmpty else { continue }
                // Parsed once for both checks. A line that is not JSON is answered here with a
                // parse error and a null id, as JSON-RPC asks (the SDK's carried a random id). One
                // that only memgraph's stricter parser refuses (a member twice, \u0000) is the SDK's.
                let message: JSONValue?
                do {
                    message = try JSONValue.parse(bytes: Array(line))
                } catch where (try? JSONSerialization.jsonObject(with: Data(line), options: .fragmentsAllowed)) != nil {
                    message = nil
                } catch {
                    do {
                        try output.write(MCPTools.errorAnswer(
                            id: .null, code: -32700, message: "Parse error: \((error as? MemoryGraphError)?.message ?? "not JSON")"))
                    } catch {
                        logger.error("answering a line that is not JSON failed", metadata: ["error": "\(error)"])
                    }
                    continue
                }
                if let refusal = MCPTools.refusal(message, acceptsBatches: true) {
                    // Answered here, not by the SDK (see MCPTools.refusal).
                    do {
                        try output.write(refusal.answer)
                    } catch {
                        logger.error("answering an invalid request failed", metadata: ["error": "\(error)"])
                    }
                    continue
                }
                ledger.note(message, read: true)  // before the SDK can see it, and so answer it
                continuation.yield(Data(line))
            }
        }
        continuation.finish()
    }
}

/// The ids of the requests read and not answered yet, as JSON text: a request is a message with a
/// method and an id, its answer a message with that id and no method; a batch is each of its messages.
final class RequestLedger: Sendable {
    private let unanswered = Mutex(Set<String>())

    var count: Int { unanswered.withLock { $0.count } }

    func note(_ message: JSONValue?, read: Bool) {
        guard let message else { return }
        let messages: [JSONValue]
        if case .array(let batch) = message { messages = batch } else { messages = [message] }
        let ids = messages.compactMap { message -> String? in
            // Only ids JSON-RPC allows (a string or an integer): the SDK answers no other.
            guard let fields = message.objectValue, (fields["method"] != nil) == read else { return nil }
            switch fields["id"] {
            case .string(let id)?: return JSONValue.string(id).jsonText()
            case .number(let id)? where id == id.rounded(): return JSONValue.number(id).jsonText()
            default: return nil
            }
        }
        guard !ids.isEmpty else { return }
        unanswered.withLock { set in
            for id in ids {
                if read { set.insert(id) } else { set.remove(id) }
            }
        }
    }
}

/// Newline-delimited messages to a file handle, one whole line at a time: the SDK's answers (through
/// the transport) and the reader's own refusals share stdout.
final class LineWriter: Sendable {
    private let handle: Mutex<FileHandle>

    init(_ handle: FileHandle) { self.handle = Mutex(handle) }

    func write(_ message: Data) throws {
        var line = message
        line.append(UInt8(ascii: "\n"))
        try handle.withLock { try $0.write(contentsOf: line) }
    }
}
