// One image-to-image request as a client sends it: every field of `POST /image-to-image` (and of
// `img2img generate`) in the API's own types and defaults, before any of the runner's rules.

/// The fields of one `POST /image-to-image` call, as sent; `RunnerContract` turns it into a `PipelineRequest`.
public struct GenerationRequest: Sendable {
    public var prompt: String
    public var negativePrompt = ""
    /// Python floats in the runner, so the strength arithmetic (`int(steps * strength)`) is done in Double.
    public var strength = 0.8
    public var guidanceScale = 7.5
    public var imageGuidanceScale = 1.5
    /// Below 1: the pipeline's own default (50 for SD img2img, 100 for InstructPix2Pix).
    public var numInferenceSteps = 100
    public var numImagesPerPrompt = 1
    /// torch's `manual_seed` range is [−2⁶³, 2⁶⁴−1]; nil: the runner's route draws one in [0, 2³²−1].
    public var seed: Int128?
    public var safetyCheck = true
    /// The API's `loras` JSON (LoRA id → strength); "" names none.
    public var loras = ""
    /// Layers of the text encoder to skip from the end (diffusers' `clip_skip`; not an API field).
    public var clipSkip: Int?

    public init(prompt: String) { self.prompt = prompt }
}
