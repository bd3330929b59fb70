// Form values → numbers and booleans exactly as the runner's FastAPI (pydantic-core 2.18, lax mode) reads
// them: floats and ints trimmed of Unicode whitespace, `_` allowed between digits, ints also as `3.000`, and
// booleans from a fixed word list. Inputs the runner accepts but Swift's parsers would not (or vice versa,
// like hexadecimal floats) are handled by an explicit grammar instead of `Double(String)` alone.

/// Pydantic's lax parsing of a form string into a number or a boolean.
enum LaxScalarParsing {
    /// pydantic-core `str_as_float`: Rust's f64 grammar on the trimmed text, then once more with underscores removed.
    static func float(_ text: String) -> Double? {
        let trimmed = trimWhitespace(text)
        if let value = rustFloat(trimmed) { return value }
        guard let stripped = stripUnderscores(trimmed) else { return nil }
        return rustFloat(stripped)
    }

    /// pydantic-core `str_as_int`: an optionally signed decimal integer (underscores between digits allowed), or
    /// one followed by `.` and at least one zero. Values beyond ±(2¹²⁷−1) saturate: every limit lies far below.
    static func integer(_ text: String) -> Int128? {
        let trimmed = trimWhitespace(text)
        if let value = signedDecimal(trimmed) { return value }
        guard let dot = trimmed.firstIndex(of: ".") else { return nil }
        let fraction = trimmed[trimmed.index(after: dot)...]
        guard !fraction.isEmpty, fraction.allSatisfy({ $0 == "0" }) else { return nil }
        return signedDecimal(String(trimmed[..<dot]))
    }

    /// pydantic's `bool_parsing`: these words, in any letter case, and nothing else (no trimming).
    static func boolean(_ text: String) -> Bool? {
        switch text.lowercased() {
        case "1", "on", "t", "true", "y", "yes": return true
        case "0", "off", "f", "false", "n", "no": return false
        default: return nil
        }
    }

    /// Removes leading and trailing characters with the Unicode White_Space property, as Rust's `str::trim`.
    static func trimWhitespace(_ text: String) -> String {
        let scalars = text.unicodeScalars
        guard let first = scalars.firstIndex(where: { !$0.properties.isWhitespace }),
              let last = scalars.lastIndex(where: { !$0.properties.isWhitespace }) else { return "" }
        return String(scalars[first...last])
    }

    /// The text without `_`, unless it starts or ends with one or contains `__` (pydantic-core `strip_underscores`).
    static func stripUnderscores(_ text: String) -> String? {
        if text.hasPrefix("_") || text.hasSuffix("_") || text.contains("__") { return nil }
        return text.replacingOccurrences(of: "_", with: "")
    }

    /// Rust's `f64::from_str`: `[+-]? (inf | infinity | nan | digits[.digits?] | .digits) ([eE][+-]?digits)?`.
    static func rustFloat(_ text: String) -> Double? {
        var bytes = Array(text.utf8)[...]
        var negative = false
        if let sign = bytes.first, sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
            negative = sign == UInt8(ascii: "-")
            bytes = bytes.dropFirst()
        }
        switch String(decoding: bytes, as: UTF8.self).lowercased() {
        case "inf", "infinity": return negative ? -.infinity : .infinity
        case "nan": return .nan
        default: break
        }
        guard isDecimalLiteral(bytes) else { return nil }
        // The grammar is checked, so strtod (behind Double.init) sees only plain decimal text; overflow gives ±inf.
        let literal = String(decoding: bytes, as: UTF8.self)
        guard let magnitude = Double(literal) ?? overflowValue(literal) else { return nil }
        return negative ? -magnitude : magnitude
    }

    /// digits[.digits?] or .digits, then an optional exponent with at least one digit.
    private static func isDecimalLiteral(_ bytes: ArraySlice<UInt8>) -> Bool {
        var index = bytes.startIndex
        func digits() -> Int {
            let start = index
            while index < bytes.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) { index += 1 }
            return index - start
        }
        var mantissaDigits = digits()
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: ".") {
            index += 1
            mantissaDigits += digits()
        }
        guard mantissaDigits > 0 else { return false }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { return false }
        }
        return index == bytes.endIndex
    }

    /// A grammatical literal that `Double.init` refused: its exponent overflowed (→ inf) or underflowed (→ 0).
    private static func overflowValue(_ literal: String) -> Double? {
        guard let e = literal.firstIndex(where: { $0 == "e" || $0 == "E" }) else { return nil }
        return literal[literal.index(after: e)...].hasPrefix("-") ? 0 : .infinity
    }

    /// `[+-]?digits` with underscores allowed between digits, saturating at ±(2¹²⁷−1).
    static func signedDecimal(_ text: String) -> Int128? {
        var body = Substring(text)
        var negative = false
        if let sign = body.first, sign == "+" || sign == "-" {
            negative = sign == "-"
            body = body.dropFirst()
        }
        let digits: String
        if body.allSatisfy(\.isASCIIDigit), !body.isEmpty {
            digits = String(body)
        } else if let stripped = stripUnderscores(String(body)), !stripped.isEmpty, stripped.allSatisfy(\.isASCIIDigit) {
            digits = stripped
        } else {
            return nil
        }
        var value: Int128 = 0
        for digit in digits.utf8 {
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = shifted.addingReportingOverflow(Int128(digit - UInt8(ascii: "0")))
            if overflowA || overflowB { return negative ? Int128.min + 1 : Int128.max }
            value = next
        }
        return negative ? -value : value
    }
}

extension Character {
    /// 0-9 only (not other Unicode digits, which pydantic refuses).
    var isASCIIDigit: Bool { isASCII && isWholeNumber }
}
