// One inference at a time: a dedicated thread takes jobs in arrival order from a bounded waiting line. A job
// whose caller's task is cancelled (its client disconnected) leaves the line at once, or, when running, sees
// its cancellation probe turn false at the next denoising step. After `stopAccepting()` new and waiting jobs
// are refused while the running one finishes. After each job the freed heap is returned to the system.

import Foundation

/// Refusals and endings of queued work.
enum InferenceQueueError: Error, Equatable {
    /// A job runs and `capacity` jobs already wait.
    case full(capacity: Int)
    /// The server is shutting down.
    case stopped
    /// The caller went away before the job finished.
    case cancelled
}

/// How long a job waited and ran.
struct JobTiming: Sendable {
    var queueWait: Duration
    var run: Duration
}

/// A FIFO of blocking jobs run one at a time on a dedicated thread.
final class InferenceQueue: @unchecked Sendable {
    /// A job as the worker sees it.
    private final class Job: @unchecked Sendable {
        /// Runs the work and delivers its outcome; gets the cancellation probe and the time the job was queued.
        let work: (_ shouldContinue: @escaping @Sendable () -> Bool, _ enqueued: ContinuousClock.Instant) -> Void
        /// Delivers a refusal or cancellation instead.
        let finish: (InferenceQueueError) -> Void
        let enqueued = ContinuousClock.now
        var cancelled = false  // guarded by the queue's lock

        init(work: @escaping (@escaping @Sendable () -> Bool, ContinuousClock.Instant) -> Void,
             finish: @escaping (InferenceQueueError) -> Void) {
            self.work = work
            self.finish = finish
        }
    }

    private let capacity: Int
    private let condition = NSCondition()
    private var waiting: [Job] = []
    private var running: Job?
    private var accepting = true
    private var worker: Thread?

    /// `capacity`: how many jobs may wait while one runs.
    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// Runs `work` on the inference thread when its turn comes and returns its result with the timings.
    /// `work` gets a probe that turns false when the caller's task is cancelled.
    func run<Result: Sendable>(_ work: @escaping @Sendable (_ shouldContinue: @escaping @Sendable () -> Bool) throws -> Result)
        async throws -> (Result, JobTiming) {
        let box = ResultBox<(Result, JobTiming)>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                box.install(continuation)
                let job = Job(work: { shouldContinue, enqueued in
                    let started = ContinuousClock.now
                    box.resume(with: Swift.Result { try work(shouldContinue) }.map { value in
                        (value, JobTiming(queueWait: started - enqueued, run: ContinuousClock.now - started))
                    })
                }, finish: { error in box.resume(with: .failure(error)) })
                if let refusal = enqueue(job) { box.resume(with: .failure(refusal)) }
                box.attach { [weak self, weak job] in
                    guard let self, let job else { return }
                    self.cancel(job)
                }
            }
        } onCancel: {
            box.cancel()
        }
    }

    /// Refuses new jobs and drops the waiting ones (they end with `.stopped`); the running job finishes, then
    /// the inference thread ends.
    func stopAccepting() {
        let dropped: [Job] = condition.withLock {
            accepting = false
            defer { waiting.removeAll(); condition.broadcast() }
            return waiting
        }
        dropped.forEach { $0.finish(.stopped) }
    }

    private func enqueue(_ job: Job) -> InferenceQueueError? {
        condition.withLock {
            guard accepting else { return .stopped }
            // Occupancy counts the running job and the waiting ones (the first of which may be about to run).
            if waiting.count + (running == nil ? 0 : 1) > capacity { return .full(capacity: capacity) }
            waiting.append(job)
            startWorkerIfNeeded()
            condition.signal()
            return nil
        }
    }

    private func cancel(_ job: Job) {
        let removed: Bool = condition.withLock {
            job.cancelled = true
            guard let index = waiting.firstIndex(where: { $0 === job }) else { return false }
            waiting.remove(at: index)
            return true
        }
        if removed { job.finish(.cancelled) }
    }

    /// Called with the lock held.
    private func startWorkerIfNeeded() {
        guard worker == nil else { return }
        let thread = Thread { self.workLoop() }
        thread.name = "img2img-inference"
        thread.stackSize = 8 << 20
        worker = thread
        thread.start()
    }

    /// Takes jobs until the queue stops accepting and has none left.
    private func workLoop() {
        while true {
            let next: Job? = condition.withLock {
                while waiting.isEmpty && accepting { condition.wait() }
                guard !waiting.isEmpty else { worker = nil; return nil }
                running = waiting.removeFirst()
                return running
            }
            guard let job = next else { return }
            job.work({ [condition] in condition.withLock { !job.cancelled } }, job.enqueued)
            condition.withLock { running = nil }
            HeapTuning.releaseFreedMemory()
        }
    }
}

/// The continuation of one job, resumed exactly once, plus its cancellation hook.
private final class ResultBox<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var continuation: CheckedContinuation<Value, Error>?
    private var pending: Swift.Result<Value, Error>?
    private var onCancel: (() -> Void)?
    private var cancelled = false

    func install(_ continuation: CheckedContinuation<Value, Error>) {
        lock.withLock { self.continuation = continuation }
    }

    func resume(with result: Swift.Result<Value, Error>) {
        let continuation: CheckedContinuation<Value, Error>? = lock.withLock {
            defer { self.continuation = nil }
            return self.continuation
        }
        continuation?.resume(with: result)
    }

    /// Registers what cancelling does; runs it at once when the task was already cancelled.
    func attach(_ action: @escaping () -> Void) {
        let alreadyCancelled: Bool = lock.withLock {
            onCancel = action
            return cancelled
        }
        if alreadyCancelled { action() }
    }

    func cancel() {
        let action: (() -> Void)? = lock.withLock {
            cancelled = true
            return onCancel
        }
        action?()
    }
}
