// Cooperative cancellation of long synchronous work (a UNet forward, a VAE decode at 2048²) without threading a
// flag through every model: the caller binds a token around the work; the parallel loops every kernel runs on
// (`parallelChunks`, `parallelFor`, `parallelWorkers`) poll it and, once it is cancelled, skip their remaining
// items, so the model call in progress unwinds within one kernel item. What those kernels then return is
// unspecified: the pipeline calls `checkpoint()` at the end of every stage, which throws, so nothing computed
// after the cancellation is ever used.

import Synchronization

/// A stop signal for the work bound to it on the current thread.
public final class WorkCancellation: Sendable {
    private let mayContinue: @Sendable () -> Bool
    private let stopped = Atomic<Bool>(false)

    /// `mayContinue` is polled by the kernels; once it returns false the work stops, for good.
    public init(whileTrue mayContinue: @escaping @Sendable () -> Bool) {
        self.mayContinue = mayContinue
    }

    /// Whether the work should stop (sticky: once true, always true).
    public var isRequested: Bool {
        if stopped.load(ordering: .relaxed) { return true }
        if mayContinue() { return false }
        stopped.store(true, ordering: .relaxed)
        return true
    }

    /// The token of the work running on this thread or task.
    @TaskLocal public static var current: WorkCancellation?

    /// Runs `body` with this token bound: the kernels it calls on this thread stop early once it is cancelled.
    public func bind<R>(_ body: () throws -> R) rethrows -> R {
        try Self.$current.withValue(self, operation: body)
    }

    /// Throws `CancellationError` when the bound work was asked to stop (and its last results are not to be used).
    public static func checkpoint() throws {
        if let current, current.isRequested { throw CancellationError() }
    }
}
