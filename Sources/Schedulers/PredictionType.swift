// `prediction_type`: what the denoising model outputs — the noise ε, the velocity v (Imagen Video §2.4) or the
// clean sample x₀ — read from the config and checked against what a scheduler class supports.

/// The model parameterisation a scheduler converts from (`prediction_type`).
public enum PredictionType: String, CaseIterable, Sendable {
    case epsilon
    case vPrediction = "v_prediction"
    case sample

    /// The prediction type named by a config value, or an `unsupported` error listing `supported`.
    public init(configValue: String, scheduler: String, supported: [PredictionType]) throws {
        guard let type = PredictionType(rawValue: configValue), supported.contains(type) else {
            throw SchedulerError.unsupported(scheduler: scheduler, field: "prediction_type", value: configValue,
                                             supported: supported.map(\.rawValue).joined(separator: ", "))
        }
        self = type
    }
}
