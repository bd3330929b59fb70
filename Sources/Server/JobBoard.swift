// The jobs the playground page watches, by an id the page chooses: it opens `GET /x/jobs/{id}/events` and sends
// its `POST /image-to-image` with the header `X-Img2img-Job: {id}`, in either order. Whichever comes first makes
// the job's channel; the request takes (claims) it once its bearer token is accepted. The header changes nothing
// in the request's answer. Bounded: at most `capacity` jobs at once, an id never used by a request expires
// after `unclaimedLifetime`, an ended job is kept `endedLifetime` for a stream that reconnects, then dropped.
// The id is the page's random UUID: streams need the bearer token as well, so an id is no credential of itself.

import Foundation
import HTTPTypes

/// How many jobs may be watched and for how long.
public struct JobWatchPolicy: Sendable {
    /// Jobs watched at once (running, waiting or recently ended); more streams get 503.
    public var capacity = 64
    /// Streams of one job at once (another tab, a reconnect).
    public var streamsPerJob = 4
    /// How long a stream waits for a request to take its id.
    public var unclaimedLifetime: Duration = .seconds(60)
    /// How long an ended job's events stay readable.
    public var endedLifetime: Duration = .seconds(120)
    /// Interval of the keep-alive comments on an idle stream (a queued job may wait long).
    public var keepAliveInterval: Duration = .seconds(15)

    public init() {}
}

/// Why a job cannot be watched.
enum JobWatchRefusal: Error, CustomStringConvertible {
    case invalidID
    case full(capacity: Int)
    case tooManyStreams(limit: Int)

    var description: String {
        switch self {
        case .invalidID:
            "A job id is 8 to 64 characters of letters, digits, '-' and '_' (the page uses a random UUID)."
        case let .full(capacity):
            "This server watches at most \(capacity) jobs at once; retry when one has ended."
        case let .tooManyStreams(limit):
            "This job already has \(limit) event streams open."
        }
    }
}

/// The watched jobs by id.
final class JobBoard: @unchecked Sendable {
    /// The request header naming the job a `POST /image-to-image` reports to.
    static let header = HTTPField.Name("X-Img2img-Job")!

    let policy: JobWatchPolicy
    private let lock = NSLock()
    private var channels: [String: JobChannel] = [:]

    init(policy: JobWatchPolicy) {
        self.policy = policy
    }

    /// Whether `id` can name a job.
    static func isValid(_ id: String) -> Bool {
        (8...64).contains(id.utf8.count) && id.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "_"): true
            default: false
            }
        }
    }

    /// A new event stream of job `id`, whose channel is made when no request has named it yet.
    func subscribe(_ id: String) throws(JobWatchRefusal) -> (JobChannel, JobChannel.Subscription) {
        guard Self.isValid(id) else { throw .invalidID }
        guard let channel = lock.withLock({ channels[id] ?? insert(id) }) else { throw .full(capacity: policy.capacity) }
        guard let subscription = channel.subscribe() else { throw .tooManyStreams(limit: policy.streamsPerJob) }
        return (channel, subscription)
    }

    /// The channel a request with header value `id` reports to: nil when the header is absent or invalid, the
    /// id is taken by another request or has ended, or the board is full (the request then runs unwatched).
    func claim(_ id: String?) -> JobChannel? {
        guard let id, Self.isValid(id) else { return nil }
        guard let channel = lock.withLock({ channels[id] ?? insert(id) }), channel.claim() else { return nil }
        return channel
    }

    /// Jobs held now (tests).
    var count: Int { lock.withLock { channels.count } }

    /// Adds a channel for `id` after dropping expired ones (nil when `capacity` jobs remain); the lock is held.
    private func insert(_ id: String) -> JobChannel? {
        prune(now: .now)
        guard channels.count < policy.capacity else { return nil }
        let channel = JobChannel(maxSubscribers: policy.streamsPerJob)
        channels[id] = channel
        return channel
    }

    /// Drops ended jobs past `endedLifetime` and ids no request took within `unclaimedLifetime` (their streams
    /// have ended them already; this also covers a stream that left before).
    private func prune(now: ContinuousClock.Instant) {
        channels = channels.filter { _, channel in
            if let ended = channel.ended { return now - ended < policy.endedLifetime }
            return channel.isClaimed || now - channel.createdAt < policy.unclaimedLifetime
        }
    }
}
