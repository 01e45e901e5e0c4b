import Foundation
import Synchronization
import Testing

@testable import Encoder
import MemoryGraph

extension EmbeddingTests {
    @Suite("Encoder threads", .timeLimit(.minutes(2)))
    struct EncoderThreadsTests {
        /// A pass body that records which pass ran (by its first token), with how many helpers, and
        /// on which thread; the first pass waits until `gate` opens, so that the test can queue
        /// others behind it.
        final class Recorder: Sendable {
            let gate = DispatchSemaphore(value: 0)
            let started = DispatchSemaphore(value: 0)
            private let state = Mutex<(runs: [(id: Int32, helpers: Int, onEncoderThread: Bool)], first: Bool)>(([], true))

            var runs: [(id: Int32, helpers: Int, onEncoderThread: Bool)] { state.withLock { $0.runs } }

            func run(_ sequences: [[Int32]], helpers: Int) -> [[Float]] {
                let first = state.withLock { state in
                    defer { state.first = false }
                    return state.first
                }
                if first {
                    started.signal()
                    gate.wait()
                }
                let onEncoderThread = EncoderThreads.onEncoderThread
                state.withLock { $0.runs.append((sequences[0][0], helpers, onEncoderThread)) }
                return sequences.map { [Float($0[0])] }
            }
        }

        static func threads(_ workers: Int, _ recorder: Recorder) throws -> EncoderThreads {
            let configuration = try BertConfiguration(
                contentsOf: MiniLMEmbedder.locateModel().appendingPathComponent("config.json"))
            return EncoderThreads(workers: workers) {
                BertWorkspace(configuration: configuration, maxLength: 8)
            } run: { sequences, _, helpers in
                recorder.run(sequences, helpers: helpers)
            }
        }

        @Test("a query's pass is taken before document passes that waited longer")
        func queriesFirst() async throws {
            let recorder = Recorder()
            let threads = try Self.threads(1, recorder)
            defer { threads.stop() }
            // Two passes, so that they queue (one alone would run on this task) and the only
            // thread takes the first and blocks on it.
            async let first = threads.compute([[[1]], [[0]]], priority: .document)
            await withCheckedContinuation { continuation in
                DispatchQueue.global().async {
                    recorder.started.wait()
                    continuation.resume()
                }
            }
            // The only thread is busy with pass 1: queue two documents' passes, then a query's.
            async let documents = threads.compute([[[2]], [[3]]], priority: .document)
            try await Task.sleep(for: .milliseconds(50))
            async let query = threads.compute([[[9]]], priority: .query)
            try await Task.sleep(for: .milliseconds(50))
            recorder.gate.signal()
            let answers = try await (first, documents, query)
            #expect(answers.0 == [[[1]], [[0]]])
            #expect(answers.1 == [[[2]], [[3]]])
            #expect(answers.2 == [[[9]]])
            #expect(recorder.runs.map(\.id) == [1, 9, 0, 2, 3])
            #expect(recorder.runs.allSatisfy { $0.onEncoderThread })
        }

        @Test("a pass alone runs on its caller's thread with every worker; passes queued together run one encoder thread each")
        func helpersOnlyWhenAlone() async throws {
            let recorder = Recorder()
            let threads = try Self.threads(2, recorder)
            defer { threads.stop() }
            recorder.gate.signal()
            let alone = try await threads.compute([[[1]]], priority: .query)
            #expect(alone == [[[1]]])
            #expect(recorder.runs.first?.helpers == 2)
            #expect(recorder.runs.first?.onEncoderThread == false)
            // Four passes of one call: the first three taken each find others waiting.
            let many = try await threads.compute([[[2]], [[3]], [[4]], [[5]]], priority: .document)
            #expect(many == [[[2]], [[3]], [[4]], [[5]]])
            #expect(recorder.runs.dropFirst().filter { $0.helpers == 1 }.count >= 3)
            #expect(recorder.runs.dropFirst().allSatisfy { $0.onEncoderThread })
        }

        @Test("a cancelled call throws CancellationError and its passes not yet taken are skipped")
        func cancellation() async throws {
            let recorder = Recorder()
            let threads = try Self.threads(1, recorder)
            defer { threads.stop() }
            let call = Task { try await threads.compute([[[1]], [[2]], [[3]]], priority: .document) }
            recorder.started.wait()
            call.cancel()
            try await Task.sleep(for: .milliseconds(50))
            recorder.gate.signal()
            await #expect(throws: CancellationError.self) { try await call.value }
            // Pass 1 had started and ran to its end; 2 and 3 were skipped.
            #expect(recorder.runs.map(\.id) == [1])
        }

        @Test("the embedder's vectors are the same through either priority")
        func priorityDoesNotChangeVectors() async throws {
            let embedder = try SharedModel.require()
            let texts = ReferenceFixture.cases.map(\.text)
            let documents = try await embedder.embed(texts, priority: .document)
            let queries = try await embedder.embed(texts, priority: .query)
            #expect(documents == queries)
        }
    }
}
