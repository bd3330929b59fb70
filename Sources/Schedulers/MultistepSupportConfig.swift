// Config checks shared by the multistep schedulers: a value outside the implemented set is a
// `SchedulerError.unsupported` naming the field, the value and what is supported.

/// Returns `value` when it is one of `supported`; otherwise throws `SchedulerError.unsupported`.
func multistepChoice(_ value: String, field: String, supported: [String], scheduler: String) throws -> String {
    guard supported.contains(value) else {
        throw SchedulerError.unsupported(scheduler: scheduler, field: field, value: value,
                                         supported: supported.joined(separator: ", "))
    }
    return value
}

/// Throws `SchedulerError.unsupported` when an option this engine does not implement is switched on.
func multistepRejectEnabled(_ value: Bool?, field: String, scheduler: String) throws {
    if value == true {
        throw SchedulerError.unsupported(scheduler: scheduler, field: field, value: "true", supported: "false")
    }
}

/// The sigma discretisation a config asks for; at most one of the flags may be set, as diffusers requires.
func multistepSigmaSpacing(_ config: SchedulerConfig, scheduler: String, allowLu: Bool) throws -> MultistepSigmaSpacing {
    try multistepRejectEnabled(config.useBetaSigmas, field: "use_beta_sigmas", scheduler: scheduler)
    try multistepRejectEnabled(config.useFlowSigmas, field: "use_flow_sigmas", scheduler: scheduler)
    try multistepRejectEnabled(config.useDynamicShifting, field: "use_dynamic_shifting", scheduler: scheduler)
    let karras = config.useKarrasSigmas ?? false, exponential = config.useExponentialSigmas ?? false
    let lu = allowLu && (config.useLuLambdas ?? false)
    if karras && exponential {
        throw SchedulerError.unsupported(scheduler: scheduler, field: "use_karras_sigmas + use_exponential_sigmas",
                                         value: "both true", supported: "at most one of them")
    }
    // diffusers' precedence: Karras, then Lu's λ spacing (DPM-Solver only), then exponential.
    if karras { return .karras }
    if lu { return .luLambdas }
    return exponential ? .exponential : .timesteps
}
