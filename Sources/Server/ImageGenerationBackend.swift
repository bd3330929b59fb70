// What the HTTP layer needs from a loaded model: its profile for the runner's rules, what a request would run
// and cost (for the log and for admission), and a blocking generate call that polls a cancellation probe and
// reports to a watcher when the playground watches the request. The server runs it on its one inference thread.

import Images
import Pipelines

/// A loaded image-to-image model the server can run requests on.
public protocol ImageGenerationBackend: AnyObject, Sendable {
    /// What the runner's rules read of the loaded pipeline.
    var profile: PipelineProfile { get }
    /// Generates `request.numImages` images; `shouldContinue` is polled between steps, and returning false ends
    /// the call with `PipelineError.cancelled`. Errors of the model are answered as the runner's InferenceError
    /// (400); wrap failures of later stages (the safety checker) in `AfterGenerationFailure` (500). `watcher`,
    /// when given, hears each step, preview and the trace; the images must not depend on it.
    func generate(image: RGBImage, request: PipelineRequest, watcher: (any GenerationWatcher)?,
                  shouldContinue: @escaping @Sendable () -> Bool) throws -> [GeneratedImage]
    /// What `generate` would run for `request` on an image of that size (nil: unknown, nothing is admitted by cost).
    func plan(_ request: PipelineRequest, imageWidth: Int, imageHeight: Int) throws -> DenoisingPlan?
    /// The loaded model's nominal FLOPs by image size (nil: unknown).
    var workEstimate: WorkEstimate? { get }
    /// The loaded model's peak memory by request (nil: unknown).
    var memoryEstimate: MemoryEstimate? { get }
    /// How a watched run's step previews are made (nil: it sends none).
    var previewKind: PreviewKind? { get }
}

extension ImageGenerationBackend {
    public func plan(_ request: PipelineRequest, imageWidth: Int, imageHeight: Int) throws -> DenoisingPlan? { nil }
    public var workEstimate: WorkEstimate? { nil }
    public var memoryEstimate: MemoryEstimate? { nil }
    public var previewKind: PreviewKind? { nil }
}

/// A failure after the diffusion model ran (the safety checker, say), which the runner answers with a 500.
public struct AfterGenerationFailure: Error, CustomStringConvertible {
    public let underlying: Error

    public init(underlying: Error) { self.underlying = underlying }

    public var description: String { "\(underlying)" }
}
