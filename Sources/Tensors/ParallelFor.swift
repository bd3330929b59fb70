// parallelFor(n) { i in … } runs the body for i in 0..<n across the machine's cores.
// Work is split into contiguous chunks, one per worker, or handed out item by item (parallelWorkers) where
// each item writes its own output: either way results never depend on scheduling. Each loop stops handing out
// items once the bound `WorkCancellation` is cancelled (its results then unused).

import Dispatch
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The number of worker threads the non-GEMM kernels use: `$IMG2IMG_THREADS` when set, else the active cores.
public let parallelWorkerCount: Int = {
    if let text = getenv("IMG2IMG_THREADS"), let requested = Int(String(cString: text)), requested > 0 {
        return requested
    }
    #if canImport(Glibc)
    return max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    #else
    return max(1, ProcessInfo.processInfo.activeProcessorCount)
    #endif
}()

/// Runs `body(range)` over disjoint contiguous ranges that cover `0..<count`, in parallel.
/// Each index belongs to exactly one range, and the split depends only on `count` and the
/// worker count, so kernels built on it are deterministic for a given thread count.
@inlinable
public func parallelChunks(_ count: Int, minimumChunk: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0, WorkCancellation.current?.isRequested != true else { return }
    let workers = min(parallelWorkerCount, max(1, count / max(1, minimumChunk)))
    if workers == 1 { body(0..<count); return }
    let base = count / workers, extra = count % workers
    withoutActuallyEscaping(body) { body in
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let start = w * base + min(w, extra)
            body(start..<(start + base + (w < extra ? 1 : 0)))
        }
    }
}

/// Runs `body(i)` for every `i` in `0..<count`, in parallel over contiguous chunks.
@inlinable
public func parallelFor(_ count: Int, minimumChunk: Int = 1, _ body: (Int) -> Void) {
    let cancellation = WorkCancellation.current  // task-local: read here, not on the workers
    parallelChunks(count, minimumChunk: minimumChunk) { range in
        for i in range {
            if i & 7 == 0, cancellation?.isRequested == true { return }
            body(i)
        }
    }
}

/// Runs `body(take)` once on each worker; `take()` hands out the indices `0..<count` one at a time to whichever
/// worker asks next (nil when none are left). For independent items that each write their own output, so the
/// results do not depend on which worker computed what: a worker slowed by the rest of the machine just takes
/// fewer, instead of leaving the other idle at the end of a fixed split. Per-worker scratch goes before the
/// first `take()`.
public func parallelWorkers(sharing count: Int, _ body: (_ take: () -> Int?) -> Void) {
    guard count > 0 else { return }
    let workers = min(parallelWorkerCount, count)
    let next = Atomic<Int>(0)
    let cancellation = WorkCancellation.current
    func take() -> Int? {
        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
        return index < count && cancellation?.isRequested != true ? index : nil
    }
    if workers == 1 { body(take); return }
    DispatchQueue.concurrentPerform(iterations: workers) { _ in body(take) }
}
