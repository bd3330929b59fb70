import Tensors
import XCTest

/// The two ways work is shared: fixed chunks and items handed out one at a time.
final class ParallelForTests: XCTestCase {
    func testParallelWorkersHandOutEveryIndexExactlyOnce() {
        for count in [0, 1, 7, 1000] {
            let hits = UnsafeMutablePointer<Int>.allocate(capacity: max(count, 1))
            defer { hits.deallocate() }
            hits.initialize(repeating: 0, count: max(count, 1))
            parallelWorkers(sharing: count) { take in
                // Each index is written by the one worker that took it: no two workers touch the same slot.
                while let index = take() { hits[index] += 1 }
            }
            XCTAssertEqual(Array(UnsafeBufferPointer(start: hits, count: count)), [Int](repeating: 1, count: count),
                           "\(count) items")
        }
    }

    func testParallelChunksCoverTheRangeInContiguousDisjointPieces() {
        let count = 1001
        let owner = UnsafeMutablePointer<Int>.allocate(capacity: count)
        defer { owner.deallocate() }
        owner.initialize(repeating: -1, count: count)
        parallelChunks(count) { range in
            for i in range { owner[i] = range.lowerBound }
        }
        XCTAssertFalse((0..<count).contains { owner[$0] < 0 })
        XCTAssertEqual(Set((0..<count).map { owner[$0] }).count, min(parallelWorkerCount, count))
    }
}
