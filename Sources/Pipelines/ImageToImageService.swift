// One image-to-image request end to end, as the runner answers it: the runner's rules turn the request into
// what the pipeline runs (or a refusal), the pipeline makes the images, then the safety checker gives its
// verdict per image (images are returned unchanged with `nsfw` set — or blacked out on request, diffusers' own
// behaviour), each with its seed `seed + i`. The CLI and the server both call this.

import Images
import Safety

/// A loaded pipeline plus its safety checker.
public final class ImageToImageService {
    public let pipeline: any ImageToImagePipeline
    public let safetyChecker: SafetyChecker?
    /// Replace flagged images by black ones (diffusers' behaviour) instead of only flagging them (the runner's).
    public var blackOutNSFW = false

    public init(pipeline: any ImageToImagePipeline, safetyChecker: SafetyChecker?) {
        self.pipeline = pipeline
        self.safetyChecker = safetyChecker
    }

    /// `request` as the runner hands it to this pipeline, or the runner's refusal.
    public func resolve(_ request: GenerationRequest) throws(RequestRefusal) -> PipelineRequest {
        try RunnerContract.resolve(request, for: pipeline.profile)
    }

    /// Generates the request's images and checks them when `request.safetyCheck` is set. Errors of the safety
    /// checker are `SafetyError`s, apart from the pipeline's.
    public func run(image: RGBImage, request: PipelineRequest,
                    options: GenerationOptions = GenerationOptions()) throws -> [GeneratedImage] {
        let images = try pipeline.generate(image: image, request: request, options: options)
        let flags = try request.safetyCheck ? safetyChecker.map { checker in
            try traced(options.trace, "safety_checker", images: images.count) { try checker.check(images).map(\.nsfw) }
        } ?? Array(repeating: false, count: images.count) : Array(repeating: false, count: images.count)
        return try zip(zip(images, request.seeds), flags).map { pair, nsfw in
            let (generated, seed) = pair
            let shown = nsfw && blackOutNSFW
                ? try RGBImage(width: generated.width, height: generated.height,
                               pixels: [UInt8](repeating: 0, count: generated.pixels.count))
                : generated
            return GeneratedImage(image: shown, seed: seed, nsfw: nsfw)
        }
    }

    /// `body`, a stage over all `images`, recorded in `trace` when there is one (its result: one flag per image).
    private func traced(_ trace: PipelineTrace?, _ stage: String, images: Int, _ body: () throws -> [Bool]) rethrows -> [Bool] {
        guard let trace else { return try body() }
        return try trace.record(stage, image: 0, shape: { [$0.count] }, body)
    }
}
