// JSON bodies written byte for byte as the runner's FastAPI writes them: Python's
// `json.dumps(ensure_ascii=False, separators=(",", ":"))` — members in insertion order, no spaces, non-ASCII
// characters raw, `/` unescaped, control characters as \n-style or \u00XX escapes.

/// A JSON value whose objects keep their members in the order they were built.
indirect enum ResponseJSON: Equatable, Sendable {
    case null
    case bool(Bool)
    case int(Int128)
    case string(String)
    case array([ResponseJSON])
    case object([(String, ResponseJSON)])

    static func == (lhs: ResponseJSON, rhs: ResponseJSON) -> Bool { lhs.serialized == rhs.serialized }

    /// The compact UTF-8 text.
    var serialized: String {
        var output = ""
        write(to: &output)
        return output
    }

    private func write(to output: inout String) {
        switch self {
        case .null: output += "null"
        case let .bool(value): output += value ? "true" : "false"
        case let .int(value): output += String(value)
        case let .string(text): ResponseJSON.writeString(text, to: &output)
        case let .array(items):
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += "," }
                item.write(to: &output)
            }
            output += "]"
        case let .object(members):
            output += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { output += "," }
                ResponseJSON.writeString(key, to: &output)
                output += ":"
                value.write(to: &output)
            }
            output += "}"
        }
    }

    /// Python's `json` string escaping with `ensure_ascii=False`.
    private static func writeString(_ text: String, to output: inout String) {
        output += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }
}
