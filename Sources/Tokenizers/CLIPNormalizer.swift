// CLIP's text cleanup as transformers' CLIPTokenizer configures it: NFC (with the reference's Unicode 9.0
// data, see CanonicalComposition), every whitespace run → one space, then lowercase (per scalar, full Unicode
// mapping, as Rust's char::to_lowercase). Nothing is stripped.

import Foundation

/// The `tokenizers` normalizer sequence NFC → Replace(`\s+`, " ") → Lowercase.
enum CLIPNormalizer {
    /// Normalises `scalars` the way the reference tokenizer does before pre-tokenization.
    static func normalize(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        let composed = CanonicalComposition.nfc(scalars)
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(composed.count)
        var previousWasSpace = false
        for scalar in composed {
            if UnicodeClasses.isWhitespace(scalar) {
                if !previousWasSpace { result.append(" ") }
                previousWasSpace = true
                continue
            }
            previousWasSpace = false
            result.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
        }
        return result
    }
}
