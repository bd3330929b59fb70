// A request written as JSON with the API's field names, for `img2img verify --request FILE`:
// {"prompt": "…", "negative_prompt": "…", "strength": 0.5, "guidance_scale": 7.5, "image_guidance_scale": 1.5,
//  "num_inference_steps": 20, "num_images_per_prompt": 2, "seed": 42, "safety_check": true, "model_id": "…",
//  "loras": {"org/lora": 0.8}}  (`loras` also as the API's JSON text). Absent fields keep the API's defaults;
// an unknown field is refused by name, so a typo cannot silently fall back to a default.

import Foundation
import Pipelines

/// The fields of a JSON request file.
public struct RequestFile {
    /// The API's field names this file may hold.
    public static let fieldNames: Set<String> = [
        "prompt", "negative_prompt", "strength", "guidance_scale", "image_guidance_scale", "num_inference_steps",
        "num_images_per_prompt", "seed", "safety_check", "model_id", "loras",
    ]

    private let values: [String: FieldValue]
    private let path: String

    /// Reads `path`; throws `VerificationError.invalidRequestFile` saying what is wrong.
    public init(path: String) throws(VerificationError) {
        self.path = path
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw .invalidRequestFile(path: path, reason: error.localizedDescription)
        }
        do {
            values = try JSONDecoder().decode([String: FieldValue].self, from: data)
        } catch {
            throw .invalidRequestFile(path: path, reason: "it is not a JSON object of the API's fields (\(error))")
        }
        if let unknown = values.keys.sorted().first(where: { !Self.fieldNames.contains($0) }) {
            throw .invalidRequestFile(path: path, reason: "unknown field \"\(unknown)\"; the fields are "
                                      + Self.fieldNames.sorted().joined(separator: ", "))
        }
    }

    /// The `model_id` it names, if any.
    public var modelID: String? { get throws(VerificationError) { try string("model_id") } }

    /// `request` with every field this file gives set.
    public func apply(to request: inout GenerationRequest) throws(VerificationError) {
        if let prompt = try string("prompt") { request.prompt = prompt }
        if let negative = try string("negative_prompt") { request.negativePrompt = negative }
        if let strength = try number("strength") { request.strength = strength }
        if let guidance = try number("guidance_scale") { request.guidanceScale = guidance }
        if let imageGuidance = try number("image_guidance_scale") { request.imageGuidanceScale = imageGuidance }
        if let steps = try integer("num_inference_steps") { request.numInferenceSteps = Int(clamping: steps) }
        if let count = try integer("num_images_per_prompt") { request.numImagesPerPrompt = Int(clamping: count) }
        if let seed = try integer("seed") { request.seed = seed }
        if case let .boolean(check)? = values["safety_check"] { request.safetyCheck = check }
        else if values["safety_check"] != nil { throw wrongType("safety_check", "true or false") }
        switch values["loras"] {
        case nil: break
        case let .string(text)?: request.loras = text
        case let .object(loras)?: request.loras = Self.lorasJSON(loras)
        default: throw wrongType("loras", "an object of id → strength, or its JSON text")
        }
    }

    /// `{"id": strength, …}` as the API's `loras` text, ids sorted.
    static func lorasJSON(_ loras: [String: Double]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(loras)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private func string(_ name: String) throws(VerificationError) -> String? {
        switch values[name] {
        case nil: return nil
        case let .string(text)?: return text
        default: throw wrongType(name, "a string")
        }
    }

    private func number(_ name: String) throws(VerificationError) -> Double? {
        switch values[name] {
        case nil: return nil
        case let .integer(value)?: return Double(value)
        case let .number(value)?: return value
        default: throw wrongType(name, "a number")
        }
    }

    private func integer(_ name: String) throws(VerificationError) -> Int128? {
        switch values[name] {
        case nil: return nil
        case let .integer(value)?: return value
        default: throw wrongType(name, "an integer")
        }
    }

    private func wrongType(_ name: String, _ expected: String) -> VerificationError {
        .invalidRequestFile(path: path, reason: "\"\(name)\" must be \(expected)")
    }
}

/// One JSON value of a request file.
private enum FieldValue: Decodable {
    case boolean(Bool)
    case integer(Int128)
    case number(Double)
    case string(String)
    case object([String: Double])
    case other

    init(from decoder: Decoder) throws {
        let value = try decoder.singleValueContainer()
        if let boolean = try? value.decode(Bool.self) { self = .boolean(boolean) }
        else if let signed = try? value.decode(Int64.self) { self = .integer(Int128(signed)) }
        else if let unsigned = try? value.decode(UInt64.self) { self = .integer(Int128(unsigned)) }
        else if let number = try? value.decode(Double.self) { self = .number(number) }
        else if let text = try? value.decode(String.self) { self = .string(text) }
        else if let object = try? value.decode([String: Double].self) { self = .object(object) }
        else { self = .other }
    }
}
