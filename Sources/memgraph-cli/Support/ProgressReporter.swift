import Foundation
import Synchronization

// No CLI types here: CLITests compiles this file too (Tests/CLITests/Support/ProgressReporter.swift
// links to it), to test the text and the throttling with a clock of its own.

/// Long work at one moment, as a progress display shows it: what is being done, how much of it,
/// and for how long. The text depends on these fields alone.
///
/// ```swift
/// ProgressMeter(label: "embedding", done: 4_200, total: 10_000, elapsed: 2.75).bar()
/// // embedding [############..................] 4,200/10,000  1,527/s  eta 4s
/// ```
struct ProgressMeter: Sendable, Equatable {
    var label: String
    var done = 0
    /// nil: not known (a count and a rate, no bar).
    var total: Int?
    /// A word on the step within the work (Postgres's phase of an index build), shown last.
    var detail: String?
    /// Seconds since the work began.
    var elapsed = 0.0

    /// Items a second since the start: 0 while nothing is done, nil before any time has passed.
    var rate: Double? {
        guard done > 0 else { return 0 }
        return elapsed > 0 ? Double(done) / elapsed : nil
    }

    /// Seconds still to go at the rate so far; nil without a total or a rate.
    var remaining: Double? {
        guard let total, let rate, rate > 0 else { return nil }
        return Double(max(0, total - done)) / rate
    }

    /// Whether there are figures to show: work of unknown size shows only its time until a first item is done.
    private var counted: Bool { total != nil || done > 0 }

    /// The line a terminal redraws: `embedding [######........] 4,200/10,000  1,527/s  eta 4s`;
    /// without a total `requests 4,200  1,527/s  12s`. It fits in `columns` (the terminal's
    /// width, less one): the bar narrows to 10, then the line is cut.
    func bar(width: Int = 30, columns: Int = .max) -> String {
        let line = bar(width: width)
        let room = columns == .max ? .max : columns - 1
        guard line.count > room else { return line }
        let narrower = total == nil ? line : bar(width: max(10, width - (line.count - room)))
        return narrower.count <= room ? narrower : String(narrower.prefix(max(0, room)))
    }

    private func bar(width: Int) -> String {
        var head = [label]
        if let total {
            let fraction = total > 0 ? min(1, max(0, Double(done) / Double(total))) : 1
            let filled = Int(fraction * Double(width))
            head.append("[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]")
            head.append("\(Self.grouped(done))/\(Self.grouped(total))")
        } else if counted {
            head.append(Self.grouped(done))
        }
        var tail: [String] = []
        if counted, let rate { tail.append("\(Self.number(rate, grouped: true))/s") }
        if let total, done < total, let remaining {
            tail.append("eta \(Self.duration(remaining))")
        } else {
            tail.append(Self.duration(elapsed))
        }
        if let detail { tail.append(detail) }
        return ([head.joined(separator: " ")] + tail).joined(separator: "  ")
    }

    /// A line for a log or a pipe: `memgraph: embedding 4200/10000 (1527/s, eta 4s)`; when
    /// `finished`, `memgraph: embedding 10000/10000 (1527/s) in 6.5s`.
    func line(finished: Bool = false) -> String {
        var text = "memgraph: \(label)"
        if let total {
            text += " \(done)/\(total)"
        } else if counted {
            text += " \(done)"
        }
        var notes: [String] = []
        if counted, let rate { notes.append("\(Self.number(rate, grouped: false))/s") }
        if !finished {
            if let total, done < total, let remaining {
                notes.append("eta \(Self.duration(remaining))")
            } else {
                notes.append(Self.duration(elapsed))
            }
        }
        if let detail { notes.append(detail) }
        if !notes.isEmpty { text += " (\(notes.joined(separator: ", ")))" }
        if finished { text += " in \(Self.duration(elapsed))" }
        return text
    }

    /// 4200 as `4,200`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { result += "," }
            result.append(digit)
        }
        return value < 0 ? "-" + result : result
    }

    /// A rate: whole from 10 (grouped if asked), one decimal below; 0 as `0`.
    static func number(_ value: Double, grouped group: Bool) -> String {
        guard value.isFinite else { return "?" }
        if value == 0 { return "0" }
        if value >= 10 {
            let whole = Int(value.rounded())
            return group ? grouped(whole) : String(whole)
        }
        return String(format: "%.1f", value)
    }

    /// `0.4s`, `42s`, `2m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let seconds = max(0, seconds)
        if seconds < 10 { return String(format: "%.1fs", seconds) }
        let whole = Int(seconds.rounded())
        if whole < 60 { return "\(whole)s" }
        if whole < 3_600 { return String(format: "%dm%02ds", whole / 60, whole % 60) }
        return String(format: "%dh%02dm", whole / 3_600, whole % 3_600 / 60)
    }
}

/// Shows long work's progress: on a terminal a bar redrawn in place, otherwise a line every few
/// seconds; a last line when a phase ends. The work reports its counts by label; a new label ends
/// the phase before it and starts a new clock. Safe to call from any task.
///
/// ```swift
/// let progress = ProgressReporter(style: .lines(every: 5))
/// progress.begin("importing", total: 10_000)
/// progress.update("importing", done: 5_000, total: 10_000)
/// progress.finish()   // "memgraph: importing 10000/10000 (…/s) in 9.8s", if a line was shown
/// ```
final class ProgressReporter: Sendable {
    enum Style: Sendable, Equatable {
        /// Redrawn in place (carriage return), at most every `every` seconds, once a phase has lasted
        /// `after` seconds (quick work shows nothing); cut to `columns`.
        case bar(every: Double, after: Double, columns: Int)
        /// A line every `every` seconds of a phase, and a last one when a phase that showed one ends.
        case lines(every: Double)
        /// Nothing.
        case silent
    }

    private struct Phase {
        var meter: ProgressMeter
        var start: Double
        /// When it was last shown.
        var shown: Double?
    }

    let style: Style
    private let clock: @Sendable () -> Double
    private let write: @Sendable (String) -> Void
    private let phase = Mutex<Phase?>(nil)

    /// - Parameters:
    ///   - clock: seconds on a monotonic clock (tests pass their own).
    ///   - write: where the text goes (stderr).
    init(
        style: Style, clock: @escaping @Sendable () -> Double = ProgressReporter.monotonicSeconds,
        write: @escaping @Sendable (String) -> Void = { FileHandle.standardError.write(Data($0.utf8)) }
    ) {
        self.style = style
        self.clock = clock
        self.write = write
    }

    /// Seconds since an arbitrary moment, on the continuous clock.
    @Sendable static func monotonicSeconds() -> Double {
        let parts = (ContinuousClock.now - origin).components
        return Double(parts.seconds) + Double(parts.attoseconds) / 1e18
    }

    private static let origin = ContinuousClock.now

    /// How often a heartbeat should call ``tick()``.
    var tickInterval: Duration {
        switch style {
        case .bar(let every, _, _): .milliseconds(Int(max(0.05, every) * 1_000))
        case .lines, .silent: .milliseconds(250)
        }
    }

    /// Starts phase `label` now, ending the one before.
    func begin(_ label: String, total: Int? = nil, detail: String? = nil) {
        let now = clock()
        phase.withLock { phase in
            if let ended = phase { emit(end(ended, now: now, completed: true)) }
            phase = Phase(meter: ProgressMeter(label: label, total: total, detail: detail), start: now)
        }
    }

    /// Phase `label` has done `done` of `total`; a label other than the current one begins it.
    func update(_ label: String, done: Int, total: Int?, detail: String? = nil) {
        let now = clock()
        phase.withLock { phase in
            if phase?.meter.label != label {
                if let ended = phase { emit(end(ended, now: now, completed: true)) }
                phase = Phase(meter: ProgressMeter(label: label), start: now)
            }
            phase!.meter.done = done
            phase!.meter.total = total
            phase!.meter.detail = detail
            emit(show(&phase!, now: now))
        }
    }

    /// Shows the current phase again if it is due (its time moves on without new counts).
    func tick() {
        let now = clock()
        phase.withLock { phase in
            guard phase != nil else { return }
            emit(show(&phase!, now: now))
        }
    }

    /// Ends the current phase: on a terminal its last state stays on screen; otherwise a last line
    /// (when `completed` and a line was shown). Nothing when it was never shown.
    func finish(completed: Bool = true) {
        let now = clock()
        phase.withLock { phase in
            if let ended = phase { emit(end(ended, now: now, completed: completed)) }
            phase = nil
        }
    }

    private func emit(_ text: String?) {
        if let text { write(text) }
    }

    private func show(_ phase: inout Phase, now: Double) -> String? {
        phase.meter.elapsed = now - phase.start
        switch style {
        case .bar(let every, let after, let columns):
            guard phase.meter.elapsed >= after, now - (phase.shown ?? -.infinity) >= every else { return nil }
            phase.shown = now
            return "\r" + phase.meter.bar(columns: columns) + "\u{1B}[K"
        case .lines(let every):
            guard every > 0, now - (phase.shown ?? phase.start) >= every else { return nil }
            phase.shown = now
            return phase.meter.line() + "\n"
        case .silent:
            return nil
        }
    }

    private func end(_ phase: Phase, now: Double, completed: Bool) -> String? {
        guard phase.shown != nil else { return nil }
        var meter = phase.meter
        meter.elapsed = now - phase.start
        switch style {
        case .bar(_, _, let columns):
            return "\r" + meter.bar(columns: columns) + "\u{1B}[K\n"
        case .lines:
            return completed ? meter.line(finished: true) + "\n" : nil
        case .silent:
            return nil
        }
    }
}
