import Foundation

/// Date-times as memgraph reads and writes them: fixtures' `created_at`, a query's `since` and
/// `until`, REM's SINCE and UNTIL, and every time it prints.
///
/// RFC 3339, read strictly and on the proleptic Gregorian calendar, as PostgreSQL counts days.
/// Foundation's parsers did neither: they rolled an impossible date over (2024-02-30 became
/// 1 March, 24:00 the next day), read an offset such as `+1:00` as +10:00 and `+05:70` as 6 h 10,
/// and counted days before 15 October 1582 on the Julian calendar (1000-01-01 was five days off
/// PostgreSQL's, and 1582-10-05 to 14 did not exist).
public enum DateTimeText {
    /// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)` (`t` and `z` in either case), or nil for
    /// anything else, including a day, time or offset that does not exist (offsets ±23:59 at
    /// most). With `allowingDate`, a bare `YYYY-MM-DD` too: midnight UTC. Years 0001 to 9999.
    public static func parse(_ text: String, allowingDate: Bool = false) -> Date? {
        let bytes = Array(text.utf8)
        func number(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[at..<at + count] {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        func byte(_ at: Int, is characters: String) -> Bool { at < bytes.count && characters.utf8.contains(bytes[at]) }
        guard let year = number(0, 4), byte(4, is: "-"), let month = number(5, 2), byte(7, is: "-"), let day = number(8, 2),
              year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        if bytes.count == 10 { return allowingDate ? storable(microsecondsSince2000: (days * 86_400 - 946_684_800) * 1_000_000) : nil }
        guard byte(10, is: "Tt"), let hour = number(11, 2), byte(13, is: ":"), let minute = number(14, 2), byte(16, is: ":"),
              let second = number(17, 2), hour <= 23, minute <= 59, second <= 59
        else { return nil }
        var index = 19
        var fraction = 0.0
        if byte(index, is: ".") {
            let start = index + 1
            index = start
            while index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            // Digits past the microsecond are PostgreSQL's to drop; read to the microsecond here.
            guard index > start, let value = Double("0." + String(decoding: bytes[start..<index], as: UTF8.self)) else { return nil }
            fraction = value
        }
        var offset = 0
        if byte(index, is: "Zz") {
            index += 1
        } else if byte(index, is: "+-") {
            guard let hours = number(index + 1, 2), byte(index + 3, is: ":"), let minutes = number(index + 4, 2), hours <= 23, minutes <= 59
            else { return nil }
            offset = (bytes[index] == UInt8(ascii: "-") ? -1 : 1) * (hours * 3_600 + minutes * 60)
            index += 6
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second - offset
        return storable(microsecondsSince2000: (seconds - 946_684_800) * 1_000_000 + Int((fraction * 1_000_000).rounded()))
    }

    /// PostgreSQL keeps microseconds since 2000-01-01, and its driver (PostgresNIO) turns a Date
    /// into them by cutting toward zero. `.472` is a hair below itself as a Double and was stored
    /// as `.471999`, so a time read back and written again stepped back a microsecond, and a
    /// millisecond when printed. The Date made here lands on its microsecond when cut: nudged
    /// a quarter of a microsecond away from 2000 when the plain value would not.
    static func storable(microsecondsSince2000 micros: Int) -> Date {
        let start = Date(timeIntervalSince1970: 946_684_800)
        let plain = Date(timeInterval: Double(micros) / 1_000_000, since: start)
        guard Int64(plain.timeIntervalSince(start) * 1_000_000) != Int64(micros) else { return plain }
        return Date(timeInterval: (Double(micros) + (micros >= 0 ? 0.25 : -0.25)) / 1_000_000, since: start)
    }

    /// `YYYY-MM-DDTHH:MM:SS.mmmZ` in UTC, the milliseconds cut (never rounded up to a later time).
    public static func format(_ date: Date) -> String {
        let (seconds, micros) = split(date)
        return civil(seconds) + "." + padded(micros / 1_000, 3) + "Z"
    }

    /// As REM prints SINCE and UNTIL: whole seconds without a fraction, else as many digits as
    /// the time has, to the microsecond (PostgreSQL's precision), so that it reads back the same.
    public static func formatExact(_ date: Date) -> String {
        let (seconds, micros) = split(date)
        guard micros > 0 else { return civil(seconds) + "Z" }
        var digits = padded(micros, 6)
        while digits.hasSuffix("0") { digits.removeLast() }
        return civil(seconds) + "." + digits + "Z"
    }

    /// Whole seconds since 1970 and the microseconds after them (0 to 999,999).
    private static func split(_ date: Date) -> (seconds: Int, micros: Int) {
        let micros = Int((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros >= 0 ? micros / 1_000_000 : -((-micros + 999_999) / 1_000_000)
        return (seconds, micros - seconds * 1_000_000)
    }

    /// `YYYY-MM-DDTHH:MM:SS` of whole seconds since 1970, UTC.
    private static func civil(_ seconds: Int) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : -((-seconds + 86_399) / 86_400)
        let time = seconds - days * 86_400
        let (year, month, day) = civilFromDays(days)
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))T\(padded(time / 3_600, 2)):\(padded(time / 60 % 60, 2)):\(padded(time % 60, 2))"
    }

    private static func padded(_ value: Int, _ width: Int) -> String {
        let text = String(value)
        return text.count >= width ? text : String(repeating: "0", count: width - text.count) + text
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date `days` after 1970-01-01 (`civil_from_days`).
    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shifted = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shifted + 2) / 5 + 1
        let month = shifted < 10 ? shifted + 3 : shifted - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
