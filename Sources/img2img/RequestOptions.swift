// The API's request fields as command-line options, shared by `generate` and `verify` so both read a request
// the same way: an option left out keeps `GenerationRequest`'s default (the runner's), which also fills the
// help text, so the defaults live in one place.

import ArgumentParser
import Pipelines

/// `POST /image-to-image`'s fields other than the prompt and the image.
struct RequestOptions: ParsableArguments {
    private static let defaults = GenerationRequest(prompt: "")

    @Option(help: "Negative prompt (default: none).") var negativePrompt: String?
    @Option(help: "How much to transform the image, in [0, 1] (default \(PythonFloatRepr.string(defaults.strength))).")
    var strength: Double?
    @Option(help: "Classifier-free guidance scale (default \(PythonFloatRepr.string(defaults.guidanceScale))).")
    var guidanceScale: Double?
    @Option(help: "Image guidance scale, InstructPix2Pix (default \(PythonFloatRepr.string(defaults.imageGuidanceScale))).")
    var imageGuidanceScale: Double?
    @Option(help: "Denoising steps before strength cuts them; < 1: the pipeline's default (default \(defaults.numInferenceSteps)).")
    var steps: Int?
    @Option(help: "Seed; image i uses seed + i (default: random in [0, 2³²−1], as the runner draws it).") var seed: Int128?
    @Option(help: "Number of images (default \(defaults.numImagesPerPrompt)).") var numImages: Int?
    @Option(help: "LoRAs as the API's JSON, id (under the model root) → strength, e.g. '{\"org/style\": 0.8}'; generate also takes folder paths.")
    var loras: String?

    /// Sets every field given on the command line.
    func apply(to request: inout GenerationRequest) {
        if let negativePrompt { request.negativePrompt = negativePrompt }
        if let strength { request.strength = strength }
        if let guidanceScale { request.guidanceScale = guidanceScale }
        if let imageGuidanceScale { request.imageGuidanceScale = imageGuidanceScale }
        if let steps { request.numInferenceSteps = steps }
        if let seed { request.seed = seed }
        if let numImages { request.numImagesPerPrompt = numImages }
        if let loras { request.loras = loras }
    }
}
