// `final_sigmas_type`: the σ appended after the last inference step — 0 (the sample is fully denoised) or the
// schedule's smallest σ — read by the σ schedulers and the multistep solvers that have the option.

/// What the last step denoises to (`final_sigmas_type`).
public enum FinalSigmaType: String, CaseIterable, Sendable {
    case zero
    case sigmaMin = "sigma_min"
}
