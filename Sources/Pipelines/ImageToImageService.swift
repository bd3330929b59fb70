// One image-to-image request end to end, as the runner answers it: the pipeline's images, then the safety
// checker's verdict per image (images are returned unchanged, `nsfw` set — or blacked out on request,
// diffusers' own behaviour), each with its seed `seed + i`.

import Images
import Safety

/// The pipeline plus its safety checker: what the CLI and the server call.
public final class ImageToImageService {
    public let pipeline: StableDiffusionPipeline
    public let safetyChecker: SafetyChecker?
    /// Replace flagged images by black ones (diffusers' behaviour) instead of only flagging them (the runner's).
    public var blackOutNSFW = false

    public init(pipeline: StableDiffusionPipeline, safetyChecker: SafetyChecker?) {
        self.pipeline = pipeline
        self.safetyChecker = safetyChecker
    }

    /// Generates the request's images and checks them when `request.safetyCheck` is set.
    public func run(image: RGBImage, request: GenerationRequest,
                    options: GenerationOptions = GenerationOptions()) throws -> [GeneratedImage] {
        let images = try pipeline.generate(image: image, request: request, options: options)
        let flags: [Bool]
        if request.safetyCheck, let safetyChecker {
            flags = try safetyChecker.check(images).map(\.nsfw)
        } else {
            flags = Array(repeating: false, count: images.count)
        }
        return try images.enumerated().map { i, generated in
            let shown = flags[i] && blackOutNSFW
                ? try RGBImage(width: generated.width, height: generated.height,
                               pixels: [UInt8](repeating: 0, count: generated.pixels.count))
                : generated
            return GeneratedImage(image: shown, seed: request.seed &+ UInt64(i), nsfw: flags[i])
        }
    }
}
