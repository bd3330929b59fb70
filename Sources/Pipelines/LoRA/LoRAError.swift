// The errors a request's `loras` field can end with. Each description is the Livepeer runner's exception text
// exactly; its HTTP handler sends that text followed by a period (so "…JSON." becomes "…JSON..").

/// A LoRA request the pipeline cannot serve; `description` is the runner's message, `details` says why.
public enum LoRAError: Error, Equatable, CustomStringConvertible {
    /// The field is not a JSON object.
    case unparsableJSON(String)
    /// A strength is not a number, is negative, or is not finite.
    case invalidStrength
    /// More LoRAs than the runner allows at once.
    case tooMany(limit: Int)
    /// No folder for the id under the model root.
    case repositoryNotFound(id: String)
    /// A LoRA targets layers the loaded model does not have, or has with other shapes.
    case incompatible(model: String, problems: [String])
    /// The folder or file cannot be used (no or several weight files, unreadable tensors, DoRA, unknown keys).
    case unloadable(id: String, reason: String)

    public var description: String {
        switch self {
        case let .unparsableJSON(text): return "Unable to parse '\(text)' as JSON."
        case .invalidStrength: return "All strengths must be numbers greater than or equal to 0.0."
        case let .tooMany(limit): return "Too many LoRas provided. Maximum is \(limit)."
        case let .repositoryNotFound(id): return "LoRa repository '\(id)' not found"
        case let .incompatible(model, _): return "LoRa incompatible with base model: '\(model)'"
        case let .unloadable(id, reason): return "Unable to load LoRas for adapter '\(id)': \(reason)"
        }
    }

    /// What exactly did not fit, for logs (the runner's text leaves it out).
    public var details: String? {
        guard case let .incompatible(_, problems) = self, !problems.isEmpty else { return nil }
        let shown = problems.prefix(10).joined(separator: "; ")
        return problems.count > 10 ? "\(shown); … and \(problems.count - 10) more" : shown
    }
}
