// Cuts added tokens out of text, as the `tokenizers` AddedVocabulary does: non-overlapping leftmost-longest
// matches scanned left to right, then the single_word / lstrip / rstrip options applied to each match.

/// A piece of text after added-token extraction: either plain text or one added token's id.
enum TextSegment: Equatable {
    case text([Unicode.Scalar])
    case token(Int)
}

/// Finds one group of added tokens (the raw-text ones, or the normalised-text ones) in text.
struct AddedTokenMatcher: Sendable {
    struct Pattern: Sendable {
        let scalars: [Unicode.Scalar]
        let id: Int
        let token: AddedToken
    }

    let patterns: [Pattern]
    /// When true (`split_special_tokens`), special tokens are not matched and stay ordinary text.
    let skipsSpecialTokens: Bool

    /// Splits `text` into plain-text segments and matched tokens, covering all of `text` in order.
    func split(_ text: [Unicode.Scalar]) -> [TextSegment] {
        guard !patterns.isEmpty else { return [.text(text)] }
        var segments: [TextSegment] = []
        var consumed = 0  // end of the last emitted segment
        var searchFrom = 0
        while let match = leftmostLongestMatch(in: text, from: searchFrom) {
            searchFrom = match.end
            let token = match.pattern.token
            if skipsSpecialTokens && token.special { continue }
            if token.singleWord && !isSingleWord(text, match.start, match.end) { continue }
            var start = match.start
            var end = match.end
            if token.lstrip {
                start = max(whitespaceRunStart(text, before: start), consumed)
            }
            if token.rstrip {
                end = whitespaceRunEnd(text, after: end)
            }
            if consumed < start {
                segments.append(.text(Array(text[consumed..<start])))
            }
            segments.append(.token(match.pattern.id))
            consumed = end
        }
        if consumed < text.count || segments.isEmpty {
            segments.append(.text(Array(text[min(consumed, text.count)...])))
        }
        return segments
    }

    private func leftmostLongestMatch(in text: [Unicode.Scalar], from start: Int)
        -> (start: Int, end: Int, pattern: Pattern)?
    {
        var position = start
        while position < text.count {
            var best: Pattern?
            for pattern in patterns where pattern.scalars.count > (best?.scalars.count ?? 0) {
                if matches(text, pattern.scalars, at: position) { best = pattern }
            }
            if let best { return (position, position + best.scalars.count, best) }
            position += 1
        }
        return nil
    }

    private func matches(_ text: [Unicode.Scalar], _ pattern: [Unicode.Scalar], at start: Int) -> Bool {
        guard text.count - start >= pattern.count else { return false }
        for offset in 0..<pattern.count where text[start + offset] != pattern[offset] { return false }
        return true
    }

    /// `single_word`: no word character (Rust regex `\w`) directly before or after the match.
    private func isSingleWord(_ text: [Unicode.Scalar], _ start: Int, _ end: Int) -> Bool {
        let startsWord = start > 0 && UnicodeClasses.isWordCharacter(text[start - 1])
        let endsWord = end < text.count && UnicodeClasses.isWordCharacter(text[end])
        return !startsWord && !endsWord
    }

    private func whitespaceRunStart(_ text: [Unicode.Scalar], before index: Int) -> Int {
        var start = index
        while start > 0, UnicodeClasses.isWhitespace(text[start - 1]) { start -= 1 }
        return start
    }

    private func whitespaceRunEnd(_ text: [Unicode.Scalar], after index: Int) -> Int {
        var end = index
        while end < text.count, UnicodeClasses.isWhitespace(text[end]) { end += 1 }
        return end
    }
}
