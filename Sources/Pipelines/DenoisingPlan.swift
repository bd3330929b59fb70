// What a request will make a pipeline do, known before it runs: the latent size, the UNet's batch rows and the
// timesteps it runs for each image (strength, the scheduler's order and the runner's overrides applied). Cost
// admission prices it; logs state it, because "I asked for 20 steps and got 6" is img2img's most common surprise.

import Foundation

/// The work one request asks of a pipeline.
public struct DenoisingPlan: Sendable, Equatable {
    /// `num_inference_steps` as the pipeline receives it (runner overrides applied).
    public var steps: Int
    /// The strength that cut the schedule, when the pipeline reads one.
    public var strength: Double?
    /// The timesteps of one image's denoising loop: one UNet call each.
    public var timesteps: [Float]
    /// Batch rows of each UNet call (2 with classifier-free guidance, 3 for InstructPix2Pix's).
    public var rows: Int
    /// The latents' height and width.
    public var latentHeight: Int
    public var latentWidth: Int
    /// Whether the image goes through the VAE encoder (false for text-to-image).
    public var encodesImage: Bool
    /// Images made (each its own loop and decode).
    public var images: Int

    /// UNet calls of the whole request.
    public var unetCalls: Int { timesteps.count * images }

    /// Denoising steps run per image: ⌊steps · strength⌋ for img2img, else all. The UNet calls can differ (PNDM
    /// repeats its first timestep, Heun and DPM2 evaluate twice per step).
    public var stepsRun: Int {
        guard let strength else { return steps }
        return min(Int(Double(steps) * strength), steps)
    }

    /// "strength 0.3 × 20 steps → 6 steps (timesteps 281 … 1)"; UNet calls named when they differ from steps.
    public var accounting: String {
        let run = "\(stepsRun) step\(stepsRun == 1 ? "" : "s")"
        var detail = timesteps.isEmpty ? [] : ["timesteps \(Self.label(timesteps[0]))"
            + (timesteps.count > 1 ? " … \(Self.label(timesteps[timesteps.count - 1]))" : "")]
        if timesteps.count != stepsRun { detail.insert("\(timesteps.count) UNet calls", at: 0) }
        let summary = run + (detail.isEmpty ? "" : " (\(detail.joined(separator: ", ")))")
        guard let strength else { return summary }
        return "strength \(PythonFloatRepr.string(strength)) × \(steps) steps → \(summary)"
    }

    /// `accounting` preceded by what the runner's rules changed (`RunnerContract.overrides`), when anything.
    public func accounting(after overrides: [String]) -> String {
        overrides.isEmpty ? accounting : "runner: \(overrides.joined(separator: ", ")); \(accounting)"
    }

    private static func label(_ timestep: Float) -> String {
        timestep == timestep.rounded() ? String(Int(timestep)) : String(format: "%.2f", timestep)
    }
}

extension StableDiffusionSteps {
    /// The plan of an img2img run (SD and SDXL img2img): the image rounded down to the VAE's scale, the last
    /// ⌊steps · strength⌋ steps of the schedule.
    func img2imgPlan(_ request: PipelineRequest, imageWidth: Int, imageHeight: Int, guidance: Guidance) throws
        -> DenoisingPlan {
        let scheduler = try makeScheduler(request, options: GenerationOptions())
        let timesteps = try getTimesteps(scheduler, steps: request.steps, strength: request.strength,
                                         hooks: RunHooks(options: GenerationOptions(), loras: .none))
        return plan(request, strength: request.strength, timesteps: timesteps, guidance: guidance,
                    height: imageHeight, width: imageWidth, encodesImage: true)
    }

    /// The plan of a run over the whole schedule (text-to-image, InstructPix2Pix).
    func fullSchedulePlan(_ request: PipelineRequest, height: Int, width: Int, guidance: Guidance,
                          encodesImage: Bool) throws -> DenoisingPlan {
        let scheduler = try makeScheduler(request, options: GenerationOptions())
        return plan(request, strength: nil, timesteps: scheduler.timesteps, guidance: guidance, height: height,
                    width: width, encodesImage: encodesImage)
    }

    private func plan(_ request: PipelineRequest, strength: Double?, timesteps: [Float], guidance: Guidance,
                      height: Int, width: Int, encodesImage: Bool) -> DenoisingPlan {
        let factor = components.imageProcessor.scaleFactor
        return DenoisingPlan(steps: request.steps, strength: strength, timesteps: timesteps, rows: guidance.rows,
                             latentHeight: height / factor, latentWidth: width / factor, encodesImage: encodesImage,
                             images: request.numImages)
    }
}
