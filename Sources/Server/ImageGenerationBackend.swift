// What the HTTP layer needs from a loaded model: its id, whether it uses `strength`, and a blocking generate
// call that polls a cancellation probe between denoising steps. The server runs it on its one inference thread.

import Images
import Pipelines

/// A loaded image-to-image model the server can run requests on.
public protocol ImageGenerationBackend: AnyObject, Sendable {
    /// The model id requests must name (or leave empty).
    var modelID: String { get }
    /// False for InstructPix2Pix, whose diffusers pipeline ignores `strength` (so the runner never checks it).
    var usesStrength: Bool { get }
    /// Generates `request.numImagesPerPrompt` images; `shouldContinue` is polled between steps, and returning
    /// false ends the call with `PipelineError.cancelled`. Errors of the model are answered as the runner's
    /// InferenceError (400); wrap failures of later stages (the safety checker) in `AfterGenerationFailure` (500).
    func generate(image: RGBImage, request: GenerationRequest,
                  shouldContinue: @escaping @Sendable () -> Bool) throws -> [GeneratedPicture]
}

/// One output image and the safety checker's verdict on it.
public struct GeneratedPicture: Sendable {
    public let image: RGBImage
    /// Whether the safety checker flagged the image (false when `safety_check` was off).
    public let nsfw: Bool

    public init(image: RGBImage, nsfw: Bool) {
        self.image = image
        self.nsfw = nsfw
    }
}

/// A failure after the diffusion model ran (the safety checker, say), which the runner answers with a 500.
public struct AfterGenerationFailure: Error, CustomStringConvertible {
    public let underlying: Error

    public init(underlying: Error) { self.underlying = underlying }

    public var description: String { "\(underlying)" }
}
