// A backend whose generation blocks until the test releases it, polling the cancellation probe meanwhile: it
// makes "a job is running" a state a test controls, for the queue, disconnect and shutdown tests.

import Foundation
import Images
import Pipelines
import Server

/// Generates an 8×8 grey image once released; reports whether it saw a cancellation.
final class GatedBackend: ImageGenerationBackend, @unchecked Sendable {
    let profile = PipelineProfile(modelID: "test/gated", defaultSteps: 50, usesStrength: true)
    var modelID: String { profile.modelID }
    private let condition = NSCondition()
    private var released = false
    private var running = 0
    private(set) var startedCount = 0
    private var cancelled = false
    private var requests: [PipelineRequest] = []

    /// The request of the latest generation.
    var lastRequest: PipelineRequest? { condition.withLock { requests.last } }

    func generate(image: RGBImage, request: PipelineRequest, watcher: (any GenerationWatcher)?,
                  shouldContinue: @escaping @Sendable () -> Bool) throws -> [GeneratedImage] {
        condition.withLock { running += 1; startedCount += 1; requests.append(request); condition.broadcast() }
        defer { condition.withLock { running -= 1; condition.broadcast() } }
        while !condition.withLock({ released }) {
            if !shouldContinue() {
                condition.withLock { cancelled = true; condition.broadcast() }
                throw PipelineError.cancelled
            }
            usleep(2000)
        }
        let grey = try RGBImage(width: 8, height: 8, pixels: [UInt8](repeating: 128, count: 192))
        return request.seeds.map { GeneratedImage(image: grey, seed: $0, nsfw: false) }
    }

    /// Lets every current and future generation finish.
    func release() { condition.withLock { released = true; condition.broadcast() } }

    /// Waits until a generation has started (true) or `seconds` pass (false).
    func waitUntilRunning(seconds: Double = 10) -> Bool { wait(seconds) { self.running > 0 } }

    /// Waits until a generation saw its cancellation probe turn false.
    func waitUntilCancelled(seconds: Double = 10) -> Bool { wait(seconds) { self.cancelled } }

    private func wait(_ seconds: Double, until predicate: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        return condition.withLock {
            while !predicate() {
                if !condition.wait(until: deadline) { return predicate() }
            }
            return true
        }
    }
}
