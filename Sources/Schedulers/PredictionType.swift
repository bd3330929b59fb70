// `prediction_type`: what the denoising model outputs — the noise ε, the velocity v (Imagen Video §2.4) or the
// clean sample x₀ — and the conversions every scheduler applies to it, in torch's float32 operation order:
// at a VP noise level (α_t, σ_t) with α_t² + σ_t² = 1, and at a σ of the variance-exploding (k-diffusion) form.

import Tensors

/// The model parameterisation a scheduler converts from (`prediction_type`).
public enum PredictionType: String, CaseIterable, Sendable {
    case epsilon
    case vPrediction = "v_prediction"
    case sample

    /// x̂₀ at (α_t, σ_t): ε → (x − σ_t·ε) / α_t, v → α_t·x − σ_t·v, x₀ → the output itself.
    func originalSample(modelOutput: Tensor, sample: Tensor, alpha: Float, sigma: Float) -> Tensor {
        switch self {
        case .epsilon: return (sample - modelOutput * sigma).mapped { $0 / alpha }
        case .vPrediction: return sample * alpha - modelOutput * sigma
        case .sample: return modelOutput
        }
    }

    /// ε̂ at (α_t, σ_t): ε → the output itself, v → α_t·v + σ_t·x, x₀ → (x − α_t·x₀) / σ_t.
    func noise(modelOutput: Tensor, sample: Tensor, alpha: Float, sigma: Float) -> Tensor {
        switch self {
        case .epsilon: return modelOutput
        case .vPrediction: return modelOutput * alpha + sample * sigma
        case .sample: return (sample - modelOutput * alpha).mapped { $0 / sigma }
        }
    }

    /// x̂₀ of the σ schedulers at σ: ε → x − σ·ε, v → v·(−σ / √(σ² + 1)) + x / (σ² + 1), x₀ → the output.
    func originalSample(modelOutput: Tensor, sample: Tensor, sigma: Float) -> Tensor {
        switch self {
        case .epsilon:
            return sample - modelOutput * sigma
        case .vPrediction:
            let variance = sigma * sigma + 1
            let outputScale = -sigma / variance.squareRoot()
            return modelOutput * outputScale + sample.mapped { $0 / variance }
        case .sample:
            return modelOutput
        }
    }
}
