// The Livepeer runner's per-model adjustments, applied before a request reaches the diffusers pipeline.

/// What the runner changes for particular model ids.
public enum RunnerRules {
    /// Models the runner treats as turbo: guidance 0 and `strength = max(1/steps, strength)`.
    public static let turboModels: Set<String> = ["stabilityai/sd-turbo", "stabilityai/sdxl-turbo"]
    /// The model for which the runner swaps in `EulerAncestralDiscreteScheduler`.
    public static let eulerAncestralModels: Set<String> = ["timbrooks/instruct-pix2pix"]

    /// The request as the runner hands it to the pipeline for `modelID`; `defaultSteps` is the pipeline's own.
    public static func adjust(_ request: GenerationRequest, modelID: String, defaultSteps: Int) -> GenerationRequest {
        var adjusted = request
        if adjusted.numInferenceSteps < 1 { adjusted.numInferenceSteps = defaultSteps }
        if turboModels.contains(modelID) {
            adjusted.guidanceScale = 0
            adjusted.strength = max(1 / Float(adjusted.numInferenceSteps), adjusted.strength)
        }
        return adjusted
    }

    /// The scheduler class the runner uses for `modelID`, when it overrides the model's own.
    public static func schedulerOverride(modelID: String) -> String? {
        eulerAncestralModels.contains(modelID) ? "EulerAncestralDiscreteScheduler" : nil
    }
}
