// A noise level of the multistep solvers in its three forms: σ (variance exploding), the VP pair
// α_t = 1/√(σ² + 1), σ_t = σ·α_t (`_sigma_to_alpha_sigma_t`), and the half log-SNR λ = log α_t − log σ_t.

import Foundation

/// One σ of the schedule as (α_t, σ_t, λ_t), in torch's float32 operations.
struct NoiseLevel {
    let alpha: Float
    let sigma: Float
    /// log α_t − log σ_t (+∞ at σ = 0).
    let lambda: Float

    /// The level of the noise-schedule σ `sigma`.
    init(_ sigma: Float) {
        alpha = 1 / (sigma * sigma + 1).squareRoot()
        self.sigma = sigma * alpha
        lambda = log(alpha) - log(self.sigma)
    }
}
