import Foundation
import MemoryGraph
import Synchronization
import Testing

// ProgressMeter and ProgressReporter are the CLI's own (Support/ProgressReporter.swift links to its source).

/// A clock the test moves by hand.
final class HandClock: Sendable {
    private let seconds = Mutex(0.0)
    var now: Double { seconds.withLock { $0 } }
    func set(_ value: Double) { seconds.withLock { $0 = value } }
}

/// What a reporter wrote, in order.
final class Written: Sendable {
    private let parts = Mutex<[String]>([])
    var all: [String] { parts.withLock { $0 } }
    func append(_ text: String) { parts.withLock { $0.append(text) } }
    func clear() { parts.withLock { $0.removeAll() } }
}

@Suite("progress display", .timeLimit(.minutes(1)))
struct ProgressDisplayTests {
    @Test("the bar shows the share done, the count of the total, the rate and the time left")
    func bar() {
        let meter = ProgressMeter(label: "embedding", done: 4_200, total: 10_000, elapsed: 2.75)
        // 42% of 30 is 12.6: 12 filled; 4,200 in 2.75 s is 1,527/s; 5,800 more take 3.8 s.
        #expect(meter.bar() == "embedding [############..................] 4,200/10,000  1,527/s  eta 3.8s")
        #expect(meter.rate == 4_200 / 2.75)
        #expect(meter.line() == "memgraph: embedding 4200/10000 (1527/s, eta 3.8s)")
    }

    @Test("without a total: the count, the rate and the time so far, no bar")
    func unknownTotal() {
        let meter = ProgressMeter(label: "requests", done: 4_200, elapsed: 12)
        #expect(meter.bar() == "requests 4,200  350/s  12s")
        #expect(meter.line() == "memgraph: requests 4200 (350/s, 12s)")
        // Nothing counted yet: only the time.
        #expect(ProgressMeter(label: "starting memgraph serve", elapsed: 125).line() == "memgraph: starting memgraph serve (2m05s)")
    }

    @Test("nothing done: the rate is 0, with no time left guessed; no time passed: no rate")
    func zero() {
        let none = ProgressMeter(label: "embedding", done: 0, total: 600, elapsed: 0)
        #expect(none.rate == 0)
        #expect(none.remaining == nil)
        #expect(none.bar() == "embedding [..............................] 0/600  0/s  0.0s")
        #expect(none.line() == "memgraph: embedding 0/600 (0/s, 0.0s)")
        let instant = ProgressMeter(label: "embedding", done: 5, total: 600, elapsed: 0)
        #expect(instant.rate == nil)
        #expect(instant.line() == "memgraph: embedding 5/600 (0.0s)")
    }

    @Test("the last line says how long it took; a step's detail comes last")
    func finished() {
        #expect(ProgressMeter(label: "embedding", done: 600, total: 600, elapsed: 3.3).line(finished: true)
            == "memgraph: embedding 600/600 (182/s) in 3.3s")
        let build = ProgressMeter(label: "reindexing", done: 1_066, total: 6_000, detail: "building index: loading tuples", elapsed: 2)
        #expect(build.line() == "memgraph: reindexing 1066/6000 (533/s, eta 9.3s, building index: loading tuples)")
        #expect(ProgressMeter.duration(3_720) == "1h02m")
        #expect(ProgressMeter.grouped(1_234_567) == "1,234,567")
    }

    @Test("on a narrow terminal the bar narrows, then the line is cut")
    func narrow() {
        let meter = ProgressMeter(label: "reindexing", done: 1_143, total: 6_000, detail: "building index: loading tuples", elapsed: 1)
        let wide = meter.bar()
        #expect(wide.count > 79)
        let fitted = meter.bar(columns: 80)
        #expect(fitted.count <= 79)
        #expect(fitted.hasPrefix("reindexing ["))
        #expect(fitted.contains("1,143/6,000  1,143/s"))
        #expect(meter.bar(columns: 30).count == 29)
    }

    @Test("off a terminal: a line once an interval has passed, then one per interval, and a last line")
    func lines() {
        let clock = HandClock(), written = Written()
        let progress = ProgressReporter(style: .lines(every: 5), clock: { clock.now }, write: written.append)
        progress.begin("embedding", total: 100)
        clock.set(1)
        progress.update("embedding", done: 10, total: 100)
        #expect(written.all.isEmpty)
        clock.set(5)
        progress.update("embedding", done: 50, total: 100)
        #expect(written.all == ["memgraph: embedding 50/100 (10/s, eta 5.0s)\n"])
        clock.set(6)
        progress.update("embedding", done: 60, total: 100)
        progress.tick()
        #expect(written.all.count == 1)
        clock.set(10)
        progress.tick()  // the heartbeat: no new count, the time moves on
        #expect(written.all.last == "memgraph: embedding 60/100 (6.0/s, eta 6.7s)\n")
        clock.set(12)
        progress.update("embedding", done: 100, total: 100)
        progress.finish()
        #expect(written.all.count == 3)
        #expect(written.all.last == "memgraph: embedding 100/100 (8.3/s) in 12s\n")
    }

    @Test("a new phase ends the one before; quick work prints nothing; an interval of 0 prints nothing")
    func phases() {
        let clock = HandClock(), written = Written()
        let progress = ProgressReporter(style: .lines(every: 2), clock: { clock.now }, write: written.append)
        progress.begin("importing", total: 10)
        clock.set(3)
        progress.update("importing", done: 10, total: 10)
        progress.update("embedding", done: 0, total: 20)  // the import's last line, and a new clock
        #expect(written.all == ["memgraph: importing 10/10 (3.3/s, 3.0s)\n", "memgraph: importing 10/10 (3.3/s) in 3.0s\n"])
        clock.set(4)
        progress.update("embedding", done: 20, total: 20)
        progress.finish()
        #expect(written.all.count == 2, "the embedding took 1 s, under the interval: no line")

        let silent = Written()
        let never = ProgressReporter(style: .lines(every: 0), clock: { clock.now }, write: silent.append)
        never.begin("embedding", total: 20)
        clock.set(100)
        never.update("embedding", done: 20, total: 20)
        never.finish()
        #expect(silent.all.isEmpty)
    }

    @Test("on a terminal: redrawn in place from 0.3 s, at most every 0.1 s, ended with a newline")
    func terminal() {
        let clock = HandClock(), written = Written()
        let progress = ProgressReporter(style: .bar(every: 0.1, after: 0.3, columns: 200), clock: { clock.now }, write: written.append)
        progress.begin("embedding", total: 100)
        clock.set(0.2)
        progress.update("embedding", done: 10, total: 100)
        #expect(written.all.isEmpty, "quick work draws nothing")
        clock.set(0.4)
        progress.update("embedding", done: 20, total: 100)
        #expect(written.all == ["\r" + "embedding [######........................] 20/100  50/s  eta 1.6s" + "\u{1B}[K"])
        clock.set(0.45)
        progress.update("embedding", done: 30, total: 100)
        #expect(written.all.count == 1, "throttled")
        clock.set(0.6)
        progress.update("embedding", done: 40, total: 100)
        #expect(written.all.count == 2)
        progress.finish()
        #expect(written.all.last == "\r" + "embedding [############..................] 40/100  67/s  eta 0.9s" + "\u{1B}[K\n")

        written.clear()
        progress.begin("importing", total: 10)
        progress.update("importing", done: 10, total: 10)
        progress.finish()
        #expect(written.all.isEmpty, "a phase never drawn leaves no line")
    }
}

@Suite("progress of memgraph import --wait", .tags(.postgres), .selected(by: "postgres"), .timeLimit(.minutes(10)))
struct ImportProgressTests {
    @Test("off a terminal, --wait prints the embedding's count and rate on stderr every interval; stdout stays one JSON document")
    func embeddingLines() async throws {
        let user = freshUser("progress")
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("memgraph-progress-\(UUID().uuidString).jsonl")
        defer { try? FileManager.default.removeItem(at: file) }
        // 400 nodes with a summary and content each: 800 fields to embed, a few seconds' work.
        let nodes = (0..<400).map { i in
            """
            {"kind": "node", "key": "fact-\(i)", "context_type": "conversation_fact", \
            "summary": "Person \(i) said the quarterly report \(i) moved to the warehouse in Berlin.", \
            "content": {"text": "follow-up \(i) is due in \(i % 12 + 1) weeks"}}
            """
        }
        try Data(([#"{"user_id": "\#(user.rawValue)"}"#] + nodes).joined(separator: "\n").utf8).write(to: file)

        let run = try await Memgraph.run(
            ["import", file.path, "--wait", "--json"], environment: ["MEMGRAPH_PROGRESS_INTERVAL": "0.2"])
        #expect(run.status == 0, "\(run)")
        let queued = try #require(try run.json()["embeddings_queued"]?.intValue, "\(run)")
        #expect(queued >= 400)

        // `memgraph: embedding DONE/TOTAL (RATE/s, …)`, and at the end `… in TIME`.
        let pattern = /^memgraph: embedding (\d+)\/(\d+) \((\d+(?:\.\d)?)\/s(, [^)]*)?\)( in [0-9.hms]+)?$/
        let progress = run.stderr.split(separator: "\n").compactMap { line in
            (try? pattern.wholeMatch(in: String(line))).map {
                (done: Int($0.1)!, total: Int($0.2)!, rate: Double($0.3)!, last: $0.5 != nil)
            }
        }
        let during = progress.filter { !$0.last }
        #expect(!during.isEmpty, "no progress line while embedding:\n\(run.stderr)")
        for line in during {
            #expect(line.total >= queued && line.done <= line.total, "\(line)")
        }
        #expect(during.contains { $0.done > 0 && $0.rate > 0 }, "no line with a count and a rate:\n\(run.stderr)")
        #expect(zip(during, during.dropFirst()).allSatisfy { $0.done <= $1.done }, "the count went back:\n\(run.stderr)")
        let last = try #require(progress.last, "\(run.stderr)")
        #expect(last.last && last.done == queued && last.total == queued, "no last line with every field embedded:\n\(run.stderr)")
        #expect(!run.stderr.contains("\r"), "a bar was drawn off a terminal")
    }
}
