// x̂₀, the clean sample a scheduler predicts at a step from the model output — diffusers'
// `pred_original_sample` (DDIM, DDPM, Euler, Euler ancestral, Heun, LMS), LCM's `denoised`, or DPM-Solver++'s
// and UniPC's converted model output. Some updates never form it (PNDM; DPM-Solver and UniPC on ε): those keep
// the step's model output, sample and noise level, and x̂₀ is computed only when someone reads it, so a run
// without previews pays nothing.

import Tensors

/// x̂₀ of a scheduler's last step, as the update formed it or as its inputs give it on demand.
enum StepOriginalSample {
    /// The tensor the update computed.
    case formed(Tensor)
    /// x̂₀ of `modelOutput` (parameterised as `prediction`) at `sample` and the VP noise level (α_t, σ_t).
    case onDemand(PredictionType, modelOutput: Tensor, sample: Tensor, alpha: Float, sigma: Float)

    /// The clean sample.
    var value: Tensor {
        switch self {
        case .formed(let tensor): return tensor
        case let .onDemand(prediction, modelOutput, sample, alpha, sigma):
            return prediction.originalSample(modelOutput: modelOutput, sample: sample, alpha: alpha, sigma: sigma)
        }
    }
}

/// x̂₀ of a multistep solver's converted model output at `sigma`: the output itself when it is data (x₀), else
/// kept to be computed from it as ε at the level's (α_t, σ_t).
func originalSample(_ converted: Tensor, sample: Tensor, sigma: Float, isData: Bool) -> StepOriginalSample {
    guard !isData else { return .formed(converted) }
    let level = NoiseLevel(sigma)
    return .onDemand(.epsilon, modelOutput: converted, sample: sample, alpha: level.alpha, sigma: level.sigma)
}
