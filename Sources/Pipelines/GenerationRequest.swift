// One image-to-image request with every field of the API, the runner's defaults, and its validation.

/// The parameters of one `POST /image-to-image` (or `img2img generate`) call, in the API's units.
public struct GenerationRequest: Sendable {
    public var prompt: String
    public var negativePrompt: String = ""
    public var strength: Float = 0.8
    public var guidanceScale: Float = 7.5
    public var imageGuidanceScale: Float = 1.5
    /// Steps; below 1 means the pipeline's own default (50 for SD img2img, 100 for InstructPix2Pix).
    public var numInferenceSteps: Int = 100
    public var numImagesPerPrompt: Int = 1
    /// Image `i` uses seed `seed + i`, as the runner does.
    public var seed: UInt64 = 0
    public var safetyCheck: Bool = true
    /// LoRA id → strength (the API's `loras` JSON through `LoRASelection.parse`); applied in id order.
    public var loras: [String: Float] = [:]
    /// Layers of the text encoder to skip from the end (diffusers' `clip_skip`); nil uses the last layer.
    public var clipSkip: Int?

    public init(prompt: String) { self.prompt = prompt }

    /// Checks ranges against the configured limits.
    public func validate(limits: GenerationLimits = GenerationLimits()) throws {
        guard strength.isFinite, (0...1).contains(strength) else {
            throw PipelineError.invalidInput("strength must be in [0.0, 1.0], got \(strength)")
        }
        guard guidanceScale.isFinite, imageGuidanceScale.isFinite else {
            throw PipelineError.invalidInput("guidance scales must be finite numbers")
        }
        guard numInferenceSteps <= limits.maxSteps else {
            throw PipelineError.invalidInput("num_inference_steps must be at most \(limits.maxSteps), got \(numInferenceSteps)")
        }
        guard (1...limits.maxImages).contains(numImagesPerPrompt) else {
            throw PipelineError.invalidInput("num_images_per_prompt must be between 1 and \(limits.maxImages), got \(numImagesPerPrompt)")
        }
        if let clipSkip, clipSkip < 0 {
            throw PipelineError.invalidInput("clip_skip must be ≥ 0, got \(clipSkip)")
        }
    }
}

/// Upper bounds a deployment puts on requests.
public struct GenerationLimits: Sendable {
    public var maxSteps = 1000
    public var maxImages = 16
    public init(maxSteps: Int = 1000, maxImages: Int = 16) {
        self.maxSteps = maxSteps
        self.maxImages = maxImages
    }
}
