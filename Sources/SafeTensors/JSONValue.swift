// A parsed JSON value that keeps object members in file order, duplicates included,
// so callers can reject duplicate keys (Foundation's JSONSerialization silently keeps one).

/// A JSON value; objects are ordered member lists, numbers keep their literal text.
indirect enum JSONValue: Equatable {
    case object([(key: String, value: JSONValue)])
    case array([JSONValue])
    case string(String)
    case number(JSONNumber)
    case bool(Bool)
    case null

    static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case let (.object(a), .object(b)):
            return a.count == b.count && zip(a, b).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        case let (.array(a), .array(b)): return a == b
        case let (.string(a), .string(b)): return a == b
        case let (.number(a), .number(b)): return a == b
        case let (.bool(a), .bool(b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }

    /// The literal of a number or string, else the type name, for error messages.
    var summary: String {
        switch self {
        case let .number(number): return number.text
        case let .string(text): return "\"\(text)\""
        default: return typeName
        }
    }

    /// A short name of the value's JSON type, for error messages.
    var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .number: return "a number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }
}

/// A JSON number: its literal text, and its value when it is an integer literal that fits in Int.
struct JSONNumber: Equatable {
    let text: String
    let integer: Int?
}
