// The Livepeer runner's per-model adjustments, applied before a request reaches the diffusers pipeline.

/// What the runner changes for particular model ids.
public enum RunnerRules {
    /// Models the runner treats as turbo: guidance 0 and `strength = max(1/steps, strength)`.
    public static let turboModels: Set<String> = ["stabilityai/sd-turbo", "stabilityai/sdxl-turbo"]
    /// The runner swaps in `EulerAncestralDiscreteScheduler` when the model id contains this name.
    public static let instructPix2PixName = "timbrooks/instruct-pix2pix"

    /// The request as the runner hands it to the pipeline for `modelID`; `defaultSteps` is the pipeline's own.
    public static func adjust(_ request: GenerationRequest, modelID: String, defaultSteps: Int) -> GenerationRequest {
        var adjusted = request
        let stepsGiven = adjusted.numInferenceSteps >= 1
        if !stepsGiven { adjusted.numInferenceSteps = defaultSteps }
        if turboModels.contains(modelID) {
            adjusted.guidanceScale = 0
            // Only when the request gave the steps: otherwise the runner drops them before this rule.
            if stepsGiven { adjusted.strength = max(1 / Float(adjusted.numInferenceSteps), adjusted.strength) }
        }
        return adjusted
    }

    /// The scheduler class the runner uses for `modelID`, when it overrides the model's own.
    public static func schedulerOverride(modelID: String) -> String? {
        modelID.contains(instructPix2PixName) ? "EulerAncestralDiscreteScheduler" : nil
    }
}
