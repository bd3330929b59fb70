// Byte-level BPE with an end-of-word suffix, as the `tokenizers` BPE model configured by CLIPTokenizer
// (end_of_word_suffix "</w>", no continuing-subword prefix, no dropout, fuse_unk false): a word's UTF-8 bytes
// become byte symbols (the last one with "</w>"), then the adjacent pair with the lowest merge rank (leftmost
// on ties) is merged until no pair has a merge. Results are cached per word.

import Foundation

/// Encodes one pre-tokenized word into vocabulary ids.
struct BytePairEncoder: Sendable {
    /// Rank and result id of merging two adjacent symbols.
    struct Merge: Sendable {
        let rank: Int
        let result: Int
    }

    static let endOfWordSuffix = "</w>"

    private let merges: [UInt64: Merge]
    /// Id of each byte's symbol inside a word, and at the end of a word (with "</w>"); nil when not in the vocabulary.
    private let byteSymbols: [Int?]
    private let finalByteSymbols: [Int?]
    private let unknownID: Int
    private let cache = WordCache(capacity: 10_000)

    /// Builds the merge table; `mergesSource` names the file in error messages.
    init(vocabulary: [String: Int], merges mergeList: [(String, String)], unknownID: Int, mergesSource: String)
        throws
    {
        var table: [UInt64: Merge] = [:]
        table.reserveCapacity(mergeList.count)
        for (rank, (left, right)) in mergeList.enumerated() {
            guard let leftID = vocabulary[left], let rightID = vocabulary[right],
                  let resultID = vocabulary[left + right]
            else {
                throw TokenizerError.mergeOutsideVocabulary(path: mergesSource, line: rank + 1,
                                                            merge: "\(left) \(right)")
            }
            table[Self.key(leftID, rightID)] = Merge(rank: rank, result: resultID)  // a repeated pair: last wins
        }
        self.merges = table
        self.byteSymbols = ByteLevelAlphabet.characters.map { vocabulary[String($0)] }
        self.finalByteSymbols = ByteLevelAlphabet.characters.map { vocabulary[String($0) + Self.endOfWordSuffix] }
        self.unknownID = unknownID
    }

    /// The ids of `word` (non-empty scalars without whitespace).
    func encode(_ word: ArraySlice<Unicode.Scalar>) -> [Int] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(word.count)
        for scalar in word { UTF8.encode(scalar) { bytes.append($0) } }
        if let cached = cache[bytes] { return cached }
        let ids = mergeAll(initialSymbols(bytes))
        cache[bytes] = ids
        return ids
    }

    /// One symbol per byte; a byte without a vocabulary entry becomes the unknown token (never dropped).
    private func initialSymbols(_ bytes: [UInt8]) -> [Int] {
        bytes.indices.map { index in
            let table = index == bytes.count - 1 ? finalByteSymbols : byteSymbols
            return table[Int(bytes[index])] ?? unknownID
        }
    }

    private func mergeAll(_ start: [Int]) -> [Int] {
        var symbols = start
        while symbols.count > 1 {
            var best: (position: Int, merge: Merge)?
            for position in 0..<(symbols.count - 1) {
                guard let merge = merges[Self.key(symbols[position], symbols[position + 1])] else { continue }
                if let current = best, current.merge.rank <= merge.rank { continue }
                best = (position, merge)
            }
            guard let (position, merge) = best else { break }
            symbols[position] = merge.result
            symbols.remove(at: position + 1)
        }
        return symbols
    }

    private static func key(_ left: Int, _ right: Int) -> UInt64 {
        UInt64(UInt32(truncatingIfNeeded: left)) << 32 | UInt64(UInt32(truncatingIfNeeded: right))
    }
}

/// A bounded, thread-safe word → ids cache (like the BPE cache of `tokenizers`: it stops growing when full).
/// Keyed by UTF-8 bytes: String keys would merge canonically equivalent spellings that BPE keeps apart.
final class WordCache: @unchecked Sendable {
    private var storage: [[UInt8]: [Int]] = [:]
    private let lock = NSLock()
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    subscript(key: [UInt8]) -> [Int]? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return storage[key]
        }
        set {
            lock.lock()
            defer { lock.unlock() }
            if storage.count < capacity { storage[key] = newValue }
        }
    }
}
