// The `loras` field checked as the runner's `LoraLoader.load_loras` checks it: JSON that parses, strengths that
// Python's float() accepts and that are ≥ 0 (NaN passes, as it does there), at most 4 entries. The runner's
// messages end in a doubled period (its route appends "." to a message that already has one); we keep that.

import Foundation

/// A validated `loras` value: LoRA id → strength.
struct LoraSelection: Sendable {
    /// The runner's `LORA_LIMIT`.
    static let limit = 4

    let strengths: [String: Double]

    /// Parses the field; empty text means no LoRA.
    init(json text: String) throws(LoraSelectionError) {
        guard !text.isEmpty else { strengths = [:]; return }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) else {
            throw .unparsable(text)
        }
        guard let object = parsed as? [String: Any] else { throw .notAnObject }
        var strengths: [String: Double] = [:]
        for (id, value) in object {
            guard let strength = LoraSelection.pythonFloat(value), strength.isNaN || strength >= 0 else {
                throw .invalidStrength
            }
            strengths[id] = strength
        }
        guard strengths.count <= LoraSelection.limit else { throw .tooMany }
        self.strengths = strengths
    }

    /// Python's `float(value)` for a decoded JSON value: numbers and booleans, numeric strings; else nil.
    private static func pythonFloat(_ value: Any) -> Double? {
        if let text = value as? String { return LaxScalarParsing.float(text) }
        if let number = value as? NSNumber { return number.doubleValue }
        if let flag = value as? Bool { return flag ? 1 : 0 }
        return nil
    }
}

/// Why a `loras` value was refused; the first three messages are the runner's, byte for byte.
enum LoraSelectionError: Error, Equatable, CustomStringConvertible {
    case unparsable(String)
    case invalidStrength
    case tooMany
    /// JSON that is not an object (the runner crashes on it with a bare 500).
    case notAnObject
    /// Valid, non-empty: this engine cannot load LoRA weights yet.
    case loadingUnsupported([String])

    var description: String {
        switch self {
        case let .unparsable(text): return "Unable to parse '\(text)' as JSON.."
        case .invalidStrength: return "All strengths must be numbers greater than or equal to 0.0.."
        case .tooMany: return "Too many LoRas provided. Maximum is \(LoraSelection.limit).."
        case .notAnObject:
            return #"loras must be a JSON object mapping LoRA ids to strengths, e.g. {"nerijs/pixel-art-xl": 1.2}."#
        case let .loadingUnsupported(ids):
            return "LoRA loading is not supported by this runner yet (requested: \(ids.sorted().joined(separator: ", "))); "
                + "send the request without loras."
        }
    }
}
