// The Livepeer runner's rules for one request, in one place and in its order: the seed it draws when none is
// given, `seed + i` per image, the pipeline's default steps, the per-model overrides (turbo: guidance 0 and
// `strength = max(1/steps, strength)`; InstructPix2Pix: Euler ancestral), and what it refuses before the model
// runs, in its words — a seed torch cannot take, a `loras` value its LoraLoader refuses, a strength diffusers
// refuses. The server adds only HTTP and its deployment limits; the CLI uses the same rules.

/// What the runner's rules read of a loaded pipeline.
public struct PipelineProfile: Sendable, Equatable {
    /// The model id the runner's per-model rules key on.
    public var modelID: String
    /// diffusers' default `num_inference_steps` of the pipeline class's `__call__`.
    public var defaultSteps: Int
    /// False for InstructPix2Pix and text-to-image, whose diffusers pipelines take no `strength` (the runner
    /// never checks it).
    public var usesStrength: Bool
    /// False for text-to-image (SDXL-Lightning as the runner serves it): the request's image is not read.
    public var usesImage: Bool

    public init(modelID: String, defaultSteps: Int, usesStrength: Bool, usesImage: Bool = true) {
        self.modelID = modelID
        self.defaultSteps = defaultSteps
        self.usesStrength = usesStrength
        self.usesImage = usesImage
    }

    /// What a log should say about a request to this pipeline that the runner would not: its image is ignored.
    public var requestWarning: String? {
        usesImage ? nil : "\(modelID) runs text-to-image as the runner runs it: the image and strength of the request are "
            + "ignored (--lightning-mode img2img uses them)"
    }
}

/// A request the runner refuses before generating; `message` is its 400 answer's text.
public struct RequestRefusal: Error, CustomStringConvertible, Equatable {
    public let message: String
    public var description: String { message }
}

/// Turns a client's request into what a pipeline runs, or the runner's refusal.
public enum RunnerContract {
    /// Models the runner treats as turbo: guidance 0 and `strength = max(1/steps, strength)`.
    public static let turboModels: Set<String> = ["stabilityai/sd-turbo", "stabilityai/sdxl-turbo"]
    /// The runner swaps in `EulerAncestralDiscreteScheduler` when the model id contains this name.
    public static let instructPix2PixName = "timbrooks/instruct-pix2pix"
    /// torch's `manual_seed` takes integers in [−2⁶³, 2⁶⁴−1] (negative ones as two's complement).
    public static let seedRange: ClosedRange<Int128> = Int128(Int64.min)...Int128(UInt64.max)

    /// The runner's route draws a seed in [0, 2³²−1] when the request has none.
    public static func randomSeed() -> Int128 { Int128(UInt32.random(in: 0...UInt32.max)) }

    /// `request` as the runner hands it to the pipeline of `model`, or its refusal. A request for no image
    /// resolves to no image before any check, as the route returns an empty list first.
    public static func resolve(_ request: GenerationRequest, for model: PipelineProfile,
                               drawSeed: () -> Int128 = randomSeed) throws(RequestRefusal) -> PipelineRequest {
        let seed = request.seed ?? drawSeed()
        let stepsGiven = request.numInferenceSteps >= 1
        let turbo = turboModels.contains(model.modelID)
        let lightning = SDXLLightning(modelID: model.modelID)
        var resolved = PipelineRequest(
            prompt: request.prompt, negativePrompt: request.negativePrompt, strength: request.strength,
            guidanceScale: turbo || lightning != nil ? 0 : request.guidanceScale,
            imageGuidanceScale: request.imageGuidanceScale,
            steps: lightning?.steps ?? (stepsGiven ? request.numInferenceSteps : model.defaultSteps), seed: seed,
            numImages: max(request.numImagesPerPrompt, 0), safetyCheck: request.safetyCheck, clipSkip: request.clipSkip,
            schedulerClass: model.modelID.contains(instructPix2PixName) ? "EulerAncestralDiscreteScheduler" : nil)
        guard resolved.numImages > 0 else { return resolved }

        // torch.Generator.manual_seed overflows → ValueError → the route's generic message.
        guard seedRange.contains(seed), seedRange.contains(seed + Int128(resolved.numImages) - 1) else {
            throw RequestRefusal(message: "Image-to-image pipeline error.")
        }
        do {
            resolved.loras = try LoRASelection.parse(request.loras)
        } catch {
            throw RequestRefusal(message: "\(error).")  // LoraLoadingError, and the period its route appends
        }
        // Only when the request gave the steps: otherwise the runner drops them before this rule.
        if turbo && stepsGiven { resolved.strength = max(1 / Double(request.numInferenceSteps), request.strength) }
        if model.usesStrength, let problem = strengthProblem(resolved.strength) { throw modelError(problem) }
        guard resolved.guidanceScale.isFinite, resolved.imageGuidanceScale.isFinite else {
            throw modelError("guidance scales must be finite numbers")
        }
        if let clipSkip = request.clipSkip, clipSkip < 0 { throw modelError("clip_skip must be ≥ 0, got \(clipSkip)") }
        return resolved
    }

    /// What the runner's rules changed between `request` and `resolved` for `model`, in words for logs:
    /// e.g. "num_inference_steps 20 → 4 (SDXL-Lightning 4-step)", "guidance_scale 7.5 → 0.0 (turbo)".
    public static func overrides(_ request: GenerationRequest, resolved: PipelineRequest,
                                 for model: PipelineProfile) -> [String] {
        let why = SDXLLightning(modelID: model.modelID).map { "SDXL-Lightning \($0.steps)-step" }
            ?? (turboModels.contains(model.modelID) ? "turbo" : nil)
        func changed(_ field: String, _ from: String, _ to: String, _ reason: String?) -> String? {
            from == to ? nil : "\(field) \(from) → \(to)" + (reason.map { " (\($0))" } ?? "")
        }
        let stepsReason = why ?? (request.numInferenceSteps < 1 ? "the pipeline's default" : nil)
        return [
            changed("num_inference_steps", String(request.numInferenceSteps), String(resolved.steps), stepsReason),
            changed("guidance_scale", PythonFloatRepr.string(request.guidanceScale),
                    PythonFloatRepr.string(resolved.guidanceScale), why),
            model.usesStrength ? changed("strength", PythonFloatRepr.string(request.strength),
                                         PythonFloatRepr.string(resolved.strength), "at least 1/steps") : nil,
            resolved.schedulerClass.map { "scheduler → \($0)" },
        ].compactMap { $0 }
    }

    /// diffusers' `check_inputs` on strength, in its words (NaN fails later, in `int(steps * strength)`).
    static func strengthProblem(_ strength: Double) -> String? {
        if strength < 0 || strength > 1 {
            return "The value of strength should in [0.0, 1.0] but is \(PythonFloatRepr.string(strength))"
        }
        if strength.isNaN { return "cannot convert float NaN to integer" }
        return nil
    }

    /// The runner wraps every exception of the diffusers call in InferenceError: "…: <error>.".
    static func modelError(_ message: String) -> RequestRefusal {
        RequestRefusal(message: "Error during model execution: \(message).")
    }
}
