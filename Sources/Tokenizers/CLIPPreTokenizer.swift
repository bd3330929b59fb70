// Splits normalised text into the words BPE sees, as transformers' CLIPTokenizer does in two stages:
//   1. Split (keep matches, drop the rest) with
//      <\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+
//   2. ByteLevel(use_regex) splits each piece again with GPT-2's pattern; on whitespace-free pieces this only
//      changes the two special-token literals ("<|startoftext|>" → "<|", "startoftext", "|>").
// Both regexes are leftmost-first alternations over Unicode scalars; they are hand-written scanners here.

/// CLIP's pre-tokenizer: normalised scalars in, words (runs of scalars) out.
enum CLIPPreTokenizer {
    private static let specialLiterals: [[Unicode.Scalar]] = ["<|startoftext|>", "<|endoftext|>"].map {
        Array($0.unicodeScalars)
    }
    private static let contractions: [[Unicode.Scalar]] = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d"].map {
        Array($0.unicodeScalars)
    }

    /// The words of `text`, in order; whitespace separates words and is dropped.
    static func words(_ text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var result: [ArraySlice<Unicode.Scalar>] = []
        for piece in clipPieces(text) {
            gpt2Pieces(piece, into: &result)
        }
        return result
    }

    /// Stage 1, the CLIP Split pattern.
    static func clipPieces(_ text: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var pieces: [ArraySlice<Unicode.Scalar>] = []
        var index = 0
        while index < text.count {
            let scalar = text[index]
            if UnicodeClasses.isWhitespace(scalar) {
                index += 1
                continue
            }
            let end: Int
            if let literal = specialLiterals.first(where: { hasPrefix(text, $0, at: index) }) {
                end = index + literal.count
            } else if let contraction = contractions.first(where: { hasPrefix(text, $0, at: index) }) {
                end = index + contraction.count
            } else if UnicodeClasses.isLetter(scalar) {
                end = runEnd(text, from: index, while: UnicodeClasses.isLetter)
            } else if UnicodeClasses.isNumber(scalar) {
                end = index + 1
            } else {
                end = runEnd(text, from: index, while: isOther)
            }
            pieces.append(text[index..<end])
            index = end
        }
        return pieces
    }

    /// Stage 2, GPT-2's pattern `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|…` on a piece
    /// that contains no whitespace (stage 1 never keeps any), so the optional-space and whitespace branches
    /// cannot match and are left out.
    static func gpt2Pieces(_ piece: ArraySlice<Unicode.Scalar>, into pieces: inout [ArraySlice<Unicode.Scalar>]) {
        var index = piece.startIndex
        while index < piece.endIndex {
            let scalar = piece[index]
            let end: Int
            if let contraction = contractions.first(where: { hasPrefix(piece, $0, at: index) }) {
                end = index + contraction.count
            } else if UnicodeClasses.isLetter(scalar) {
                end = runEnd(piece, from: index, while: UnicodeClasses.isLetter)
            } else if UnicodeClasses.isNumber(scalar) {
                end = runEnd(piece, from: index, while: UnicodeClasses.isNumber)
            } else {
                end = runEnd(piece, from: index, while: isOther)
            }
            pieces.append(piece[index..<end])
            index = end
        }
    }

    /// `[^\s\p{L}\p{N}]`: punctuation, symbols, marks, controls, unassigned.
    private static func isOther(_ scalar: Unicode.Scalar) -> Bool {
        !UnicodeClasses.isWhitespace(scalar) && !UnicodeClasses.isLetter(scalar) && !UnicodeClasses.isNumber(scalar)
    }

    private static func runEnd<C: RandomAccessCollection>(
        _ text: C, from start: Int, while predicate: (Unicode.Scalar) -> Bool
    ) -> Int where C.Element == Unicode.Scalar, C.Index == Int {
        var end = start + 1
        while end < text.endIndex, predicate(text[end]) { end += 1 }
        return end
    }

    private static func hasPrefix<C: RandomAccessCollection>(
        _ text: C, _ prefix: [Unicode.Scalar], at start: Int
    ) -> Bool where C.Element == Unicode.Scalar, C.Index == Int {
        guard text.endIndex - start >= prefix.count else { return false }
        for (offset, scalar) in prefix.enumerated() where text[start + offset] != scalar { return false }
        return true
    }
}
