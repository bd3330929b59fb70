// Python's `repr(float)`, which the runner's error messages embed: the shortest digits that round-trip (Swift's
// `description` finds the same digits), written in fixed notation for decimal exponents −4 … 15 (with ".0" when
// integral) and as `d.ddde±XX` otherwise; `inf`, `-inf`, `nan`.

/// Formats doubles as Python's `repr` does.
public enum PythonFloatRepr {
    public static func string(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value < 0 ? "-inf" : "inf" }
        if value == 0 { return value.sign == .minus ? "-0.0" : "0.0" }
        let (digits, exponent) = shortestDigits(abs(value))
        let sign = value < 0 ? "-" : ""
        if exponent < -4 || exponent >= 16 {
            let mantissa = digits.count > 1 ? "\(digits.first!).\(digits.dropFirst())" : digits
            let exponentText = (exponent < 0 ? "-" : "+") + (abs(exponent) < 10 ? "0" : "") + String(abs(exponent))
            return sign + mantissa + "e" + exponentText
        }
        if exponent < 0 { return sign + "0." + String(repeating: "0", count: -exponent - 1) + digits }
        if digits.count <= exponent + 1 { return sign + digits + String(repeating: "0", count: exponent + 1 - digits.count) + ".0" }
        let split = digits.index(digits.startIndex, offsetBy: exponent + 1)
        return sign + digits[..<split] + "." + digits[split...]
    }

    /// The significant digits (no leading or trailing zeros) and the decimal exponent of the first one.
    static func shortestDigits(_ value: Double) -> (digits: String, exponent: Int) {
        let text = value.description  // e.g. "1.5", "1e-05", "1.2345e+20", "100.0"
        let parts = text.split(separator: "e")
        var exponent = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0]
        let integerPart = mantissa.split(separator: ".", omittingEmptySubsequences: false)[0]
        let allDigits = mantissa.filter { $0 != "." }
        exponent += integerPart.count - 1
        var digits = Substring(allDigits)
        while digits.first == "0" { digits = digits.dropFirst(); exponent -= 1 }
        while digits.last == "0" { digits = digits.dropLast() }
        return (String(digits), exponent)
    }
}
