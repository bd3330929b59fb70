// The errors a generation can end with, each with a message a user can act on.

/// A generation request or model folder the pipeline cannot serve.
public enum PipelineError: Error, CustomStringConvertible, Equatable {
    case invalidInput(String)
    case unsupportedModel(String)
    /// The preview a run asked for cannot be made for this model (the message says what to install where).
    case previewUnavailable(String)
    case cancelled

    public var description: String {
        switch self {
        case let .invalidInput(message): return message
        case let .unsupportedModel(message): return message
        case let .previewUnavailable(message): return message
        case .cancelled: return "the generation was cancelled"
        }
    }
}
