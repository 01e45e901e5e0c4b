/// Percentiles of a sample of durations, in milliseconds.
struct LatencySummary {
    var p50: Double
    var p95: Double
    var p99: Double
    var count: Int

    init(_ samples: [Duration]) {
        let sorted = samples.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }.sorted()
        func at(_ q: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.down)))]
        }
        p50 = at(0.50)
        p95 = at(0.95)
        p99 = at(0.99)
        count = sorted.count
    }
}
