// The `loras` form field as the runner reads it: a JSON object mapping LoRA id → strength. Empty text means no
// LoRA; a strength is anything Python's float() takes (numbers, booleans, numeric strings) that is ≥ 0; at most 4.

import Foundation

/// Parsing and checking the `loras` field (LoRA id → strength).
public enum LoRASelection {
    /// The most LoRAs one request may name (the runner's `LORA_LIMIT`).
    public static let limit = 4

    /// The id → strength map of `json`; "" gives no LoRA. Checks strengths, then the count, as the runner does.
    public static func parse(_ json: String) throws -> [String: Float] {
        if json.isEmpty { return [:] }
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
              let entries = object as? [String: Any] else {
            throw LoRAError.unparsableJSON(json)
        }
        var strengths: [String: Float] = [:]
        for (id, value) in entries {
            guard let strength = number(value) else { throw LoRAError.invalidStrength }
            strengths[id] = strength
        }
        try validate(strengths)
        return strengths
    }

    /// Strengths finite and ≥ 0, at most `limit` entries.
    public static func validate(_ loras: [String: Float]) throws {
        guard loras.values.allSatisfy({ $0.isFinite && $0 >= 0 }) else { throw LoRAError.invalidStrength }
        guard loras.count <= limit else { throw LoRAError.tooMany(limit: limit) }
    }

    /// Python's float(value) for what JSON can hold: numbers, booleans (1 or 0) and numeric strings.
    static func number(_ value: Any) -> Float? {
        if let text = value as? String {
            return Double(text.trimmingCharacters(in: .whitespacesAndNewlines)).map { Float($0) }
        }
        // Python's float(True) is 1.0; JSON booleans may arrive as NSNumber or Bool.
        if let number = value as? NSNumber { return number.floatValue }
        if let flag = value as? Bool { return flag ? 1 : 0 }
        if let real = value as? Double { return Float(real) }
        if let integer = value as? Int { return Float(integer) }
        return nil
    }
}
