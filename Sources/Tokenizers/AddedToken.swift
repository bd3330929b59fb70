// A token matched in the text before BPE (special tokens such as <|endoftext|>, SD 2.x's "!" padding token),
// with the matching options of the `tokenizers` library's AddedToken.

/// A string the tokenizer cuts out of the text whole and maps to one id, as `tokenizers.AddedToken`.
struct AddedToken: Equatable, Sendable {
    /// The text to match.
    var content: String
    /// Match only when not inside a word.
    var singleWord = false
    /// Also swallow the whitespace to the left of a match.
    var lstrip = false
    /// Also swallow the whitespace to the right of a match.
    var rstrip = false
    /// Match against the normalised text (true) or the raw text (false).
    var normalized: Bool
    /// Special tokens are skipped when `split_special_tokens` is set.
    var special: Bool
}

/// A special-token entry of `tokenizer_config.json` / `special_tokens_map.json`: a plain string or a full token.
/// The distinction matters: transformers turns a plain string into a raw-text (not normalised) match.
enum SpecialTokenValue: Equatable, Sendable {
    case text(String)
    case token(AddedToken)

    var content: String {
        switch self {
        case .text(let text): return text
        case .token(let token): return token.content
        }
    }

    /// The token transformers adds to the backend for this value (a plain string is special and raw-matched).
    var addedToken: AddedToken {
        switch self {
        case .text(let text): return AddedToken(content: text, normalized: false, special: true)
        case .token(let token): return token
        }
    }
}
