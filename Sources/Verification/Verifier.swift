// The core of `img2img verify`: given the request a runner answered and its answer, run the same request on
// our engine — through the server's own path: the runner's rules (`RunnerContract`) for the loaded model's
// profile, then the backend's generate — with the seed the runner returned for each image (the runner runs
// image i alone with seed + i, `num_images_per_prompt=1`; we do the same), and judge each image against ours.

import Foundation
import Images
import Pipelines
import Server

/// Runs a runner's request locally and compares the runner's images with ours.
public struct Verifier {
    /// Our engine, loaded with the model and the torch generator the runner used.
    public let backend: any ImageGenerationBackend
    /// Images at or above this PSNR pass.
    public let minPSNR: Double

    /// The threshold `img2img verify` applies unless told otherwise; README "Debugging a GPU deployment" has the
    /// measurements behind it: an fp16 or bf16 run of the same request stays above it, a changed generator,
    /// scheduler, LoRA or step count falls far below it.
    public static let defaultMinPSNR = 30.0

    public init(backend: any ImageGenerationBackend, minPSNR: Double = Verifier.defaultMinPSNR) {
        self.backend = backend
        self.minPSNR = minPSNR
    }

    /// Checks the answer's shape against the request, runs each image here and compares. Throws
    /// `VerificationError` for a wrong image count, seed or size or when our engine, under the runner's rules,
    /// refuses what the runner answered; and the pipeline's errors.
    public func verify(_ request: RunnerRequest, answer: RunnerAnswer) throws -> VerificationReport {
        let expected = max(request.fields.numImagesPerPrompt, 0)
        guard answer.images.count == expected else {
            throw VerificationError.imageCount(expected: expected, received: answer.images.count)
        }
        try checkSeeds(answer, requested: request.fields.seed)
        let input = try ImageDecoder.decode(request.imageBytes)
        var denoising: String?
        let verdicts = try answer.images.enumerated().map { index, runnerImage in
            var fields = request.fields
            fields.seed = runnerImage.seed
            fields.numImagesPerPrompt = 1
            let resolved: PipelineRequest
            do {
                resolved = try RunnerContract.resolve(fields, for: backend.profile)
            } catch {
                throw VerificationError.refusedHere("\(error)")  // a RequestRefusal: its message
            }
            if denoising == nil, let plan = try? backend.plan(resolved, imageWidth: input.width, imageHeight: input.height) {
                denoising = plan.accounting(after: RunnerContract.overrides(fields, resolved: resolved, for: backend.profile))
            }
            guard let ours = try backend.generate(image: input, request: resolved, watcher: nil, shouldContinue: { true }).first else {
                throw VerificationError.imageCount(expected: 1, received: 0)
            }
            return try verdict(index: index, runner: runnerImage, ours: ours.image)
        }
        return VerificationReport(images: verdicts, minPSNR: minPSNR, denoising: denoising)
    }

    /// The runner gives image i the seed `seed + i`, the request's seed or the one it drew.
    private func checkSeeds(_ answer: RunnerAnswer, requested: Int128?) throws {
        guard let first = requested ?? answer.images.first?.seed else { return }
        for (index, image) in answer.images.enumerated() where image.seed != first + Int128(index) {
            throw VerificationError.unexpectedSeed(index: index, expected: String(first + Int128(index)),
                                                   received: String(image.seed))
        }
    }

    private func verdict(index: Int, runner: RunnerImage, ours: RGBImage) throws -> ImageVerdict {
        guard runner.image.width == ours.width, runner.image.height == ours.height else {
            throw VerificationError.sizeMismatch(index: index, runner: "\(runner.image.width)×\(runner.image.height)",
                                                 ours: "\(ours.width)×\(ours.height)")
        }
        let comparison = try ImageComparison(runner.image, ours)
        return ImageVerdict(index: index, runner: runner, ours: ours, comparison: comparison,
                            passes: comparison.psnr >= minPSNR)
    }
}
