// The bytes of tensor storage a piece of work holds at its peak, counted as it allocates rather than read from
// the resident set, so it can be measured for work that is never carried out: bound around a dry run (a
// cancelled `WorkCancellation`, whose kernels skip their arithmetic and so never touch the pages they are
// given), it tells what a generation of any size would hold without holding it. Storage is charged to the
// ledger bound on the allocating task and credited back to the same ledger when freed, whatever thread frees it.

import Synchronization

/// Live and peak bytes of the tensor storage allocated while it is bound.
public final class MemoryLedger: Sendable {
    private let live = Atomic<Int>(0)
    private let peak = Atomic<Int>(0)

    public init() {}

    /// The ledger the current task's allocations are charged to.
    @TaskLocal public static var current: MemoryLedger?

    /// Bytes allocated under this ledger and not yet freed.
    public var liveBytes: Int { live.load(ordering: .relaxed) }
    /// The most `liveBytes` has been.
    public var peakBytes: Int { peak.load(ordering: .relaxed) }

    /// Runs `body` with this ledger bound: the tensors it allocates on this task are counted.
    public func bind<R>(_ body: () throws -> R) rethrows -> R {
        try Self.$current.withValue(self, operation: body)
    }

    /// The peak bytes `body`'s allocations reach above what this ledger holds when it starts.
    public func peakIncrease<R>(_ body: () throws -> R) rethrows -> (result: R, bytes: Int) {
        let start = liveBytes
        peak.store(start, ordering: .relaxed)
        let result = try bind(body)
        return (result, peakBytes - start)
    }

    func charge(_ bytes: Int) {
        let now = live.add(bytes, ordering: .relaxed).newValue
        _ = peak.max(now, ordering: .relaxed)
    }

    func credit(_ bytes: Int) { live.subtract(bytes, ordering: .relaxed) }
}
