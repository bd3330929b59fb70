// One watched job: the events its request and its run publish, fanned out to the page's event streams. A stream
// that opens late (or reconnects) first gets what it missed: every event so far except superseded steps and
// previews, so the history stays small however long the run. The channel is the run's `GenerationWatcher`:
// steps, previews (made small and encoded as PNG on the inference thread) and the trace become events.

import Foundation
import Images
import Pipelines

/// The events of one watched job and the streams listening to them.
final class JobChannel: GenerationWatcher, @unchecked Sendable {
    /// A listening stream: its events, and a way to slip a keep-alive into it.
    struct Subscription: Sendable {
        let events: AsyncStream<JobEvent>
        fileprivate let continuation: AsyncStream<JobEvent>.Continuation

        func keepAlive() { continuation.yield(.keepAlive) }
    }

    /// Longest side of a preview as sent: the page shows it small, and a stream should not carry megapixels.
    static let previewSide = 256
    /// Events a slow stream may fall behind by before the oldest are dropped.
    static let streamBuffer = 512

    private let lock = NSLock()
    private let maxSubscribers: Int
    private var history: [JobEvent] = []
    private var subscribers: [Int: AsyncStream<JobEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var claimed = false
    private var startedAt: ContinuousClock.Instant?
    private var endedAt: ContinuousClock.Instant?
    let createdAt = ContinuousClock.now

    init(maxSubscribers: Int) {
        self.maxSubscribers = maxSubscribers
    }

    /// When the job ended (nil: not yet).
    var ended: ContinuousClock.Instant? { lock.withLock { endedAt } }

    /// Whether a request took the job.
    var isClaimed: Bool { lock.withLock { claimed } }

    /// Marks the channel as taken by a request; false when a request already took it or it has ended.
    func claim() -> Bool {
        lock.withLock {
            guard !claimed, endedAt == nil else { return false }
            claimed = true
            return true
        }
    }

    /// A new stream of this job's events, starting with those it missed; nil when `maxSubscribers` listen already.
    func subscribe() -> Subscription? {
        let (events, continuation) = AsyncStream<JobEvent>.makeStream(bufferingPolicy: .bufferingNewest(Self.streamBuffer))
        let accepted: Bool = lock.withLock {
            guard subscribers.count < maxSubscribers else { return false }
            history.forEach { continuation.yield($0) }
            if endedAt != nil {
                continuation.finish()
            } else {
                let key = nextSubscriber
                nextSubscriber += 1
                subscribers[key] = continuation
                continuation.onTermination = { [weak self] _ in self?.unsubscribe(key) }
            }
            return true
        }
        return accepted ? Subscription(events: events, continuation: continuation) : nil
    }

    private func unsubscribe(_ key: Int) {
        _ = lock.withLock { subscribers.removeValue(forKey: key) }
    }

    /// Records `event` and sends it to every stream; `end` closes them. Nothing is published after `end`.
    func publish(_ event: JobEvent) {
        publish(event, unlessClaimed: false)
    }

    /// Ends the job with `message` unless a request took it: the id was watched but never used.
    func expireUnclaimed(message: String) {
        publish(.end(status: nil, message: message), unlessClaimed: true)
    }

    private func publish(_ event: JobEvent, unlessClaimed: Bool) {
        let listeners: [AsyncStream<JobEvent>.Continuation] = lock.withLock {
            guard endedAt == nil, !(unlessClaimed && claimed) else { return [] }
            if event.isSuperseded, let last = history.lastIndex(where: { $0.name == event.name }) {
                history.remove(at: last)
            }
            history.append(event)
            switch event {
            case .started: startedAt = .now
            case .end: endedAt = .now
            default: break
            }
            return Array(subscribers.values)
        }
        for listener in listeners {
            listener.yield(event)
            if case .end = event { listener.finish() }
        }
    }

    // MARK: GenerationWatcher

    func stepFinished(image: Int, index: Int, count: Int, timestep: Float) {
        let started = lock.withLock { startedAt } ?? .now
        publish(.step(.init(image: image, index: index, count: count, timestep: timestep,
                            elapsed: (ContinuousClock.now - started).seconds)))
    }

    func preview(image: Int, index: Int, _ preview: RGBImage) {
        // A preview that cannot be encoded is left out: the page keeps the previous one.
        guard let png = try? Self.small(preview).pngData() else { return }
        publish(.preview(image: image, index: index, url: "data:image/png;base64," + Data(png).base64EncodedString()))
    }

    func traced(_ entries: [PipelineTrace.Entry]) {
        publish(.trace(entries))
    }

    /// `image` scaled down to at most `previewSide` on its longer side (unchanged when it fits).
    static func small(_ image: RGBImage) throws -> RGBImage { try image.scaledDown(toFit: previewSide) }
}
