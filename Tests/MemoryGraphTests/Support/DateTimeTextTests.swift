import Foundation
import Testing
@testable import MemoryGraph

/// Times are read strictly (RFC 3339) and on the proleptic Gregorian calendar, as PostgreSQL
/// counts days; Foundation's parsers misread offsets and used the Julian calendar before 1582.
@Suite("date-times", .timeLimit(.minutes(1)))
struct DateTimeTextTests {
    @Test("offsets are ±HH:MM within a day, read as written; anything else is refused")
    func offsets() {
        #expect(DateTimeText.parse("2024-06-01T18:00:00+01:00")?.timeIntervalSince1970 == 1_717_261_200)
        #expect(DateTimeText.parse("2024-06-01T18:00:00-05:30")?.timeIntervalSince1970 == 1_717_284_600)
        #expect(DateTimeText.parse("2024-06-01T18:00:00z") == DateTimeText.parse("2024-06-01T18:00:00Z"))
        #expect(DateTimeText.parse("2024-06-01t18:00:00+00:00") == DateTimeText.parse("2024-06-01T18:00:00Z"))
        for text in ["2024-06-01T18:00:00+1:00", "2024-06-01T18:00:00+24:00", "2024-06-01T18:00:00+12:99", "2024-06-01T18:00:00+05:70",
                     "2024-06-01T18:00:00-99:99", "2024-06-01T18:00:00+9", "2024-06-01T18:00:00+99", "2024-06-01T18:00:00+0100",
                     "2024-06-01T18:00:00", "2024-06-01 18:00:00Z", "2024-06-01T18:00Z", "2024-06-01T18:00:00.Z", "2024-06-01T18:00:00Zx",
                     "2024-6-01T18:00:00Z", "２０２４-06-01T18:00:00Z", "2024-06-01"] {
            #expect(DateTimeText.parse(text) == nil, "\(text)")
        }
        #expect(DateTimeText.parse("2024-06-01", allowingDate: true)?.timeIntervalSince1970 == 1_717_200_000)
    }

    @Test("days before 1582 are PostgreSQL's (proleptic Gregorian), and the days Foundation skipped exist")
    func prolepticGregorian() {
        #expect(DateTimeText.parse("1000-01-01T00:00:00Z")?.timeIntervalSince1970 == -30_610_224_000)
        #expect(DateTimeText.parse("0001-01-01T00:00:00Z")?.timeIntervalSince1970 == -62_135_596_800)
        #expect(DateTimeText.parse("1582-10-10T00:00:00Z")?.timeIntervalSince1970 == -12_219_724_800)
        #expect(DateTimeText.parse("1969-12-31T23:59:59.5Z")?.timeIntervalSince1970 == -0.5)
        #expect(DateTimeText.format(Date(timeIntervalSince1970: -30_610_224_000)) == "1000-01-01T00:00:00.000Z")
        #expect(DateTimeText.format(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
    }

    @Test("printing and reading back give the same time: to the millisecond (cut), or exactly to the microsecond")
    func roundTrips() throws {
        for text in ["2024-02-29T12:30:59.647Z", "9999-12-31T23:59:59.999Z", "1582-10-15T00:00:00.000Z", "2000-03-01T00:00:00.001Z"] {
            let date = try #require(DateTimeText.parse(text))
            #expect(DateTimeText.format(date) == text)
        }
        // A time a hair before a millisecond is not rounded up to it.
        #expect(DateTimeText.format(Date(timeIntervalSince1970: 1.9996)) == "1970-01-01T00:00:01.999Z")
        for text in ["2024-05-01T09:36:40Z", "2024-05-01T09:36:40.5Z", "2024-05-01T09:36:40.000123Z", "1500-05-01T09:36:40.25Z"] {
            let date = try #require(DateTimeText.parse(text))
            #expect(DateTimeText.formatExact(date) == text)
        }
        // Each lands on its microsecond as PostgreSQL's driver cuts a Date (toward zero, from 2000).
        let start = Date(timeIntervalSince1970: 946_684_800)
        for text in ["2026-12-06T14:32:29.472Z", "2024-02-29T12:30:59.647Z", "1999-12-31T23:59:59.001Z", "1970-01-01T00:00:00.123456Z",
                     "2000-01-01T00:00:00.000001Z", "1999-12-31T23:59:59.999999Z"] {
            let date = try #require(DateTimeText.parse(text))
            let micros = Int64(date.timeIntervalSince(start) * 1_000_000)
            #expect(DateTimeText.formatExact(Date(timeInterval: Double(micros) / 1_000_000, since: start)) == text, "\(text): \(micros)")
        }
        // A zone's time prints in UTC.
        #expect(DateTimeText.parse("2026-05-08T13:56:00+02:00").map(DateTimeText.formatExact) == "2026-05-08T11:56:00Z")
    }
}
