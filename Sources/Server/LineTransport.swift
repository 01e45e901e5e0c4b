import Foundation
import Logging
import MCP

/// MCP over stdio with blocking reads on a thread of its own: a message is read the moment it
/// arrives.
///
/// Why not the SDK's `StdioTransport`: it puts stdin in non-blocking mode and, when no byte is
/// there, sleeps 10 ms before trying again, so every request waited up to 10 ms before memgraph
/// saw it (`bench serve`'s MCP recall over stdio had a p50 of ~10 ms even for a LOOKUP that takes
/// 0.4 ms). Messages are newline-delimited JSON-RPC, as the MCP stdio transport specifies.
actor LineTransport: Transport {
    nonisolated let logger: Logger
    private let input: FileHandle
    private let output: FileHandle
    private let messages: AsyncThrowingStream<Data, any Error>
    private let continuation: AsyncThrowingStream<Data, any Error>.Continuation
    private var connected = false

    init(input: FileHandle = .standardInput, output: FileHandle = .standardOutput, logger: Logger) {
        self.input = input
        self.output = output
        self.logger = logger
        (messages, continuation) = AsyncThrowingStream.makeStream()
    }

    func connect() async throws {
        guard !connected else { return }
        connected = true
        // The reader blocks in read(2); it ends at end of input (the client closed stdin), which
        // also ends the stream, and so the server.
        let thread = Thread { [input, continuation, logger] in
            Self.readLines(from: input.fileDescriptor, into: continuation, logger: logger)
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
        var line = data
        line.append(UInt8(ascii: "\n"))
        do {
            try output.write(contentsOf: line)
        } catch {
            throw MCPError.transportError(error)
        }
    }

    func receive() -> AsyncThrowingStream<Data, any Error> { messages }

    /// Reads `descriptor` until end of input, yielding each non-empty line without its newline.
    private static func readLines(
        from descriptor: Int32, into continuation: AsyncThrowingStream<Data, any Error>.Continuation, logger: Logger
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
                if !line.isEmpty { continuation.yield(Data(line)) }
            }
        }
        continuation.finish()
    }
}
