// GPT-2's reversible byte → character table used by CLIP's byte-level BPE: printable Latin-1 bytes map to
// themselves, the other 68 bytes to U+0100 onwards, in byte order.

/// The 256 characters byte-level BPE spells UTF-8 bytes with (`bytes_to_unicode` in OpenAI's code).
enum ByteLevelAlphabet {
    /// `characters[b]` is the vocabulary spelling of byte `b`.
    static let characters: [Character] = {
        let printable = Array(0x21...0x7E) + Array(0xA1...0xAC) + Array(0xAE...0xFF)
        var table = [Character](repeating: " ", count: 256)
        for byte in printable {
            table[byte] = Character(Unicode.Scalar(UInt8(byte)))
        }
        var next: UInt32 = 256
        for byte in 0..<256 where !printable.contains(byte) {
            table[byte] = Character(Unicode.Scalar(next)!)
            next += 1
        }
        return table
    }()
}
