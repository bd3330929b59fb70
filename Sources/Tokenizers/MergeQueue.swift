// The merge candidates of one word, lowest rank first and leftmost among equal ranks: a binary min-heap, as the
// `tokenizers` library keeps them (`Word::merge_all`), so a word of n bytes merges in O(n log n).

/// A candidate merge of the symbol at `position` with the one after it.
struct MergeCandidate {
    let position: Int
    let rank: Int
    let result: Int

    /// Lower rank first; on equal ranks, the leftmost.
    func precedes(_ other: MergeCandidate) -> Bool {
        rank != other.rank ? rank < other.rank : position < other.position
    }
}

/// A binary min-heap of merge candidates.
struct MergeQueue {
    private var heap: [MergeCandidate] = []

    mutating func push(_ candidate: MergeCandidate) {
        heap.append(candidate)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].precedes(heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> MergeCandidate? {
        guard let first = heap.first else { return nil }
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1, right = left + 1
            var best = parent
            if left < heap.count, heap[left].precedes(heap[best]) { best = left }
            if right < heap.count, heap[right].precedes(heap[best]) { best = right }
            guard best != parent else { return first }
            heap.swapAt(parent, best)
            parent = best
        }
    }
}
