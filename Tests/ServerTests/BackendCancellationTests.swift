// Cancelling a generation anywhere — inside the text encoder, the VAE or a UNet call, not only between steps —
// ends it with a cancellation error and no images, and a run that is never cancelled gives the same images
// whether or not it was being watched.

import Images
import Pipelines
import Server
import Synchronization
import XCTest

final class BackendCancellationTests: XCTestCase {
    private func request() -> PipelineRequest {
        PipelineRequest(prompt: "a red square", strength: 0.7, steps: 3, seed: 3)
    }

    func testCancellationAtAnyPollEndsTheRunWithoutImages() throws {
        let backend = try ServerFixtures.bundledBackend()
        let image = try ImageDecoder.decode(ServerFixtures.inputPNG)
        // Count the polls of a whole run, then cancel at several points of it: early (text encoder), middle, late.
        let polls = Atomic<Int>(0)
        let images = try backend.generate(image: image, request: request(), watcher: nil) { polls.add(1, ordering: .relaxed); return true }
        XCTAssertEqual(images.count, 1)
        let total = polls.load(ordering: .relaxed)
        XCTAssertGreaterThan(total, 50, "too few polls to cancel within a stage")
        for stop in [1, total / 3, total / 2, total - 2] {
            let seen = Atomic<Int>(0)
            XCTAssertThrowsError(try backend.generate(image: image, request: request(), watcher: nil) {
                seen.add(1, ordering: .relaxed).newValue < stop
            }, "cancelled at poll \(stop)") { error in
                XCTAssertTrue(error is CancellationError || error as? PipelineError == .cancelled, "\(error)")
            }
        }
    }

    func testAWatchedRunThatIsNotCancelledGivesTheSameImages() throws {
        let backend = try ServerFixtures.bundledBackend()
        let image = try ImageDecoder.decode(ServerFixtures.inputPNG)
        let watched = try backend.generate(image: image, request: request(), watcher: nil) { true }
        var options = GenerationOptions()
        options.rng = .cuda
        let pipeline = try PipelineLoader.load(folder: ServerFixtures.modelFolder, modelID: ServerFixtures.modelID)
        let plain = try pipeline.generate(image: image, request: request(), options: options)
        XCTAssertEqual(watched.map(\.image.pixels), plain.map(\.pixels))
    }
}
