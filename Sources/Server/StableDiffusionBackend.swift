// The server's backend over `StableDiffusionPipeline`: the same call `img2img generate` makes (so a response
// image is byte-identical to the CLI's PNG for the same parameters and generator), with the step callback
// wired to cancellation. Safety verdicts come from `safetyVerdicts`, the hook the safety checker plugs into.

import Foundation
import Images
import Pipelines
import Random

/// Runs requests on one loaded Stable Diffusion model; used from a single thread at a time.
public final class StableDiffusionBackend: ImageGenerationBackend, @unchecked Sendable {
    private let pipeline: StableDiffusionPipeline
    private let rng: RandomSource

    /// The id the model was loaded under.
    public var modelID: String { pipeline.modelID }
    /// True for img2img, false for InstructPix2Pix.
    public var usesStrength: Bool { pipeline.kind == .img2img }

    /// Loads the model folder; `rng` picks the torch generator the seeds reproduce.
    public init(folder: URL, modelID: String, rng: RandomSource) throws {
        pipeline = try StableDiffusionPipeline(folder: folder, modelID: modelID)
        self.rng = rng
    }

    /// Runs the pipeline as `img2img generate` does, stopping at the next step once `shouldContinue` says false.
    public func generate(image: RGBImage, request: GenerationRequest,
                         shouldContinue: @escaping @Sendable () -> Bool) throws -> [GeneratedPicture] {
        var options = GenerationOptions()
        options.rng = rng
        options.onStep = { _, _ in shouldContinue() }
        let images = try pipeline.generate(image: image, request: request, options: options)
        let verdicts = safetyVerdicts(for: images, enabled: request.safetyCheck)
        return zip(images, verdicts).map { GeneratedPicture(image: $0, nsfw: $1) }
    }

    /// The safety checker hook: one NSFW flag per image. The pipeline has no safety checker yet, so every image
    /// is reported as not flagged (what the runner reports when `safety_check` is false).
    private func safetyVerdicts(for images: [RGBImage], enabled: Bool) -> [Bool] {
        images.map { _ in false }
    }
}
