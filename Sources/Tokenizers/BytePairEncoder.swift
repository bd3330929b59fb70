// Byte-level BPE with an end-of-word suffix, as the `tokenizers` BPE model configured by CLIPTokenizer
// (end_of_word_suffix "</w>", no continuing-subword prefix, no dropout, fuse_unk false): a word's UTF-8 bytes
// become byte symbols (the last one with "</w>"), then the adjacent pair with the lowest merge rank (leftmost
// on ties) is merged until no pair has a merge. `mergeAllReference` does that literally (O(n²) per word);
// `mergeAll` keeps the candidates in a heap over a linked list of symbols, as `tokenizers` does (O(n log n)),
// so one long word cannot hold the CPU. Results of words up to `cachedWordBytes` are cached.

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
    /// Longer words are not cached, so a hostile prompt cannot fill memory with them.
    static let cachedWordBytes = 256

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
        if bytes.count <= Self.cachedWordBytes { cache[bytes] = ids }
        return ids
    }

    /// One symbol per byte; a byte without a vocabulary entry becomes the unknown token (never dropped).
    func initialSymbols(_ bytes: [UInt8]) -> [Int] {
        bytes.indices.map { index in
            let table = index == bytes.count - 1 ? finalByteSymbols : byteSymbols
            return table[Int(bytes[index])] ?? unknownID
        }
    }

    /// The plain algorithm: find the best pair, merge it, repeat (the oracle of `mergeAll`'s tests).
    func mergeAllReference(_ start: [Int]) -> [Int] {
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

    /// The same merges through a queue of candidates: a candidate whose pair no longer stands (a neighbour was
    /// merged away or changed) is skipped when it comes up; each merge queues the two new pairs it forms.
    func mergeAll(_ start: [Int]) -> [Int] {
        var symbols = start
        var previous = Array(-1..<(start.count - 1)), next = Array(1...start.count)
        var alive = [Bool](repeating: true, count: start.count)
        var queue = MergeQueue()
        func consider(_ position: Int) {
            guard position >= 0, next[position] < symbols.count,
                  let merge = merges[Self.key(symbols[position], symbols[next[position]])] else { return }
            queue.push(MergeCandidate(position: position, rank: merge.rank, result: merge.result))
        }
        for position in symbols.indices { consider(position) }
        while let candidate = queue.pop() {
            let position = candidate.position
            guard alive[position], next[position] < symbols.count,
                  merges[Self.key(symbols[position], symbols[next[position]])]?.result == candidate.result
            else { continue }
            let removed = next[position]
            symbols[position] = candidate.result
            alive[removed] = false
            next[position] = next[removed]
            if next[removed] < symbols.count { previous[next[removed]] = position }
            consider(previous[position])
            consider(position)
        }
        return symbols.indices.filter { alive[$0] }.map { symbols[$0] }
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
