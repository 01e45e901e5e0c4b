import Foundation

/// ISO 8601 date-times as memgraph reads them: fixtures' `created_at`, a query's `since` and
/// `until`. Foundation's parsers roll an impossible date over (2024-02-30 becomes 1 March, 24:00
/// the next day, second 60 the next minute); here such a text is refused instead.
public enum DateTimeText {
    /// An ISO 8601 date-time with its zone, with or without fractional seconds (what `memgraph
    /// export` writes), or nil for anything else, including a date or time that does not exist.
    public static func parse(_ text: String) -> Date? {
        guard isRealCalendarTime(text) else { return nil }
        return (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    /// Whether the text's leading `YYYY-MM-DD` (and `THH:MM:SS`, when it follows) names a day and
    /// time that exist: month 1 to 12, a day of that month (29 February in leap years only), hour
    /// 0 to 23, minute and second 0 to 59, year 1 or later.
    public static func isRealCalendarTime(_ text: String) -> Bool {
        guard let match = text.prefixMatch(of: /([0-9]{4})-([0-9]{2})-([0-9]{2})(?:[Tt]([0-9]{2}):([0-9]{2})(?::([0-9]{2}))?)?/),
              let year = Int(match.1), let month = Int(match.2), let day = Int(match.3) else { return false }
        guard year >= 1, (1...12).contains(month), day >= 1, day <= daysIn(month: month, year: year) else { return false }
        if let hour = match.4.flatMap({ Int($0) }), hour > 23 { return false }
        if let minute = match.5.flatMap({ Int($0) }), minute > 59 { return false }
        if let second = match.6.flatMap({ Int($0) }), second > 59 { return false }
        return true
    }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }
}
