// The cancellation token the kernels' parallel loops poll: once cancelled they hand out no more work, the
// checkpoint throws, the token stays cancelled, and unbound work is untouched.

import Synchronization
import Tensors
import XCTest

final class WorkCancellationTests: XCTestCase {
    private func itemsRun(_ loop: (_ count: Int, _ body: @escaping (Int) -> Void) -> Void) -> Int {
        let done = Atomic<Int>(0)
        loop(1000) { _ in done.add(1, ordering: .relaxed) }
        return done.load(ordering: .relaxed)
    }

    private func everyLoop(_ count: Int, _ body: @escaping (Int) -> Void) {
        parallelFor(count, body)
        parallelChunks(count) { range in range.forEach(body) }
        parallelWorkers(sharing: count) { take in while let i = take() { body(i) } }
    }

    func testCancelledWorkRunsNoItems() {
        let cancelled = WorkCancellation { false }
        XCTAssertEqual(cancelled.bind { itemsRun(everyLoop) }, 0)
    }

    func testWorkThatMayContinueRunsEveryItem() {
        XCTAssertEqual(WorkCancellation { true }.bind { itemsRun(everyLoop) }, 3000)
        XCTAssertEqual(itemsRun(everyLoop), 3000, "unbound work")
    }

    func testCancellationDuringALoopStopsItEarly() {
        let polls = Atomic<Int>(0)
        let token = WorkCancellation { polls.add(1, ordering: .relaxed).newValue < 20 }
        let run = token.bind { itemsRun { count, body in parallelWorkers(sharing: count) { take in while let i = take() { body(i) } } } }
        XCTAssertLessThan(run, 1000)
        XCTAssertGreaterThan(run, 0)
    }

    func testCheckpointThrowsOnlyOnceCancelledAndStaysCancelled() throws {
        let allowed = Atomic<Bool>(true)
        let token = WorkCancellation { allowed.load(ordering: .relaxed) }
        try token.bind { try WorkCancellation.checkpoint() }
        allowed.store(false, ordering: .relaxed)
        XCTAssertThrowsError(try token.bind { try WorkCancellation.checkpoint() }) { XCTAssertTrue($0 is CancellationError) }
        allowed.store(true, ordering: .relaxed)
        XCTAssertTrue(token.isRequested, "a cancelled token came back")
        XCTAssertNoThrow(try WorkCancellation.checkpoint(), "no token bound")
    }
}
