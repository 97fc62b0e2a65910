import Foundation

/// Durations as the config writes them: `90s`, `15m`, `4h`, `8d`, or combined (`1h30m`).
public enum Durations {
    /// A duration that could not be read, with what was wrong.
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public let text: String
        public let reason: String
        public var description: String { "'\(text)' is not a duration: \(reason) (use e.g. 90s, 15m, 4h, 8d)" }
    }

    private static let units: [Character: Int] = ["s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800]

    /// The longest duration anything in pbsha means: ten years.
    public static let maximum = 3650 * 86_400

    /// Seconds in `text`; a bare number counts as seconds. At most `maximum`.
    public static func parse(_ text: String) throws(ParseError) -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw ParseError(text: text, reason: "it is empty") }
        let tooLong = ParseError(text: text, reason: "longer than \(maximum / 86_400)d, the most pbsha accepts")
        if trimmed.allSatisfy({ $0.isASCII && $0.isNumber }) {
            guard let seconds = Int(trimmed), seconds <= maximum else { throw tooLong }
            return seconds
        }
        var total = 0
        var digits = ""
        for character in trimmed {
            if character.isASCII, character.isNumber {
                digits.append(character)
            } else if let unit = units[character] {
                guard !digits.isEmpty else {
                    throw ParseError(text: text, reason: "'\(character)' has no number before it")
                }
                // Compared before multiplying, so that no input can overflow.
                guard let value = Int(digits), value <= maximum / unit, total + value * unit <= maximum else { throw tooLong }
                total += value * unit
                digits = ""
            } else {
                throw ParseError(text: text, reason: "unknown unit '\(character)'")
            }
        }
        guard digits.isEmpty else { throw ParseError(text: text, reason: "'\(digits)' has no unit") }
        return total
    }

    /// A short human form: `45s`, `12m`, `5h12m`, `3d4h`.
    public static func format(_ seconds: Int) -> String {
        let s = seconds.magnitude
        let sign = seconds < 0 ? "-" : ""
        switch s {
        case ..<60: return "\(sign)\(s)s"
        case ..<3600: return "\(sign)\(s / 60)m"
        case ..<86_400: return "\(sign)\(s / 3600)h" + (s % 3600 / 60 == 0 ? "" : "\(s % 3600 / 60)m")
        default: return "\(sign)\(s / 86_400)d" + (s % 86_400 / 3600 == 0 ? "" : "\(s % 86_400 / 3600)h")
        }
    }

    /// To the second, for a drill's times: `40s`, `11m40s`, `1h02m05s`, `2h`.
    public static func exact(_ seconds: Int) -> String {
        let s = seconds.magnitude
        let sign = seconds < 0 ? "-" : ""
        switch s {
        case ..<60: return "\(sign)\(s)s"
        case ..<3600: return "\(sign)\(s / 60)m" + (s % 60 == 0 ? "" : "\(s % 60)s")
        default: return "\(sign)\(s / 3600)h" + (s % 3600 == 0 ? "" : String(format: "%02dm%02ds", s % 3600 / 60, s % 60))
        }
    }
}
