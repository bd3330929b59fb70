// A request after the runner's rules: the values a pipeline's `generate` runs with, nothing left to default.

/// What a pipeline runs: a `GenerationRequest` resolved by `RunnerContract` for one loaded model.
public struct PipelineRequest: Sendable {
    public var prompt: String
    /// nil only from a library call without one (the API always sends one, "" by default): SDXL then zeroes the
    /// unconditional embeddings where the model says `force_zeros_for_empty_prompt`; SD encodes "".
    public var negativePrompt: String?
    public var strength: Double
    public var guidanceScale: Double
    public var imageGuidanceScale: Double
    /// The steps the scheduler is set to (the request's, or the pipeline's default).
    public var steps: Int
    /// The first image's seed; image `i` uses `seed + i`.
    public var seed: Int128
    public var numImages: Int
    public var safetyCheck: Bool
    /// LoRA id → strength, parsed and checked.
    public var loras: [String: Float]
    public var clipSkip: Int?
    /// The scheduler class the runner swaps in for this model, if any.
    public var schedulerClass: String?

    /// The seed of every image, in order: `seed + i`, as the runner's route makes them.
    public var seeds: [Int128] { (0..<numImages).map { seed + Int128($0) } }

    public init(prompt: String, negativePrompt: String? = "", strength: Double = 0.8, guidanceScale: Double = 7.5,
                imageGuidanceScale: Double = 1.5, steps: Int, seed: Int128, numImages: Int = 1, safetyCheck: Bool = true,
                loras: [String: Float] = [:], clipSkip: Int? = nil, schedulerClass: String? = nil) {
        self.prompt = prompt
        self.negativePrompt = negativePrompt
        self.strength = strength
        self.guidanceScale = guidanceScale
        self.imageGuidanceScale = imageGuidanceScale
        self.steps = steps
        self.seed = seed
        self.numImages = numImages
        self.safetyCheck = safetyCheck
        self.loras = loras
        self.clipSkip = clipSkip
        self.schedulerClass = schedulerClass
    }
}
