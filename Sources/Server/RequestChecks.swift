// The per-request rules between a valid form and the pipeline: our deployment limits (400 with the option to
// change), then what the runner refuses and how it words it — a seed torch cannot take, a `loras` value
// `LoraLoader` refuses (its message plus the period its route appends), a strength diffusers refuses — and the
// mapping of the form onto a GenerationRequest.

import Pipelines

/// Checks and conversions of a validated form.
enum RequestChecks {
    /// torch's `manual_seed` takes integers in [−2⁶³, 2⁶⁴−1] (negative ones as two's complement).
    static let seedRange: ClosedRange<Int128> = Int128(Int64.min)...Int128(UInt64.max)

    /// A message when the request exceeds this deployment's limits.
    static func limitViolation(_ form: ImageToImageForm, limits: RequestLimits) -> String? {
        if form.image.bytes.count > limits.maxUploadBytes {
            return "The image upload is \(form.image.bytes.count) bytes; this server accepts at most \(limits.maxUploadBytes) "
                + "(--max-upload-bytes)."
        }
        if form.numInferenceSteps > limits.maxSteps {
            return "num_inference_steps is \(form.numInferenceSteps); this server allows at most \(limits.maxSteps) (--max-steps)."
        }
        if form.numImagesPerPrompt > limits.maxImages {
            return "num_images_per_prompt is \(form.numImagesPerPrompt); this server allows at most \(limits.maxImages) "
                + "(--max-images)."
        }
        return nil
    }

    /// The request's LoRA ids and strengths, or the runner's 400 message for the `loras` field.
    static func loras(_ form: ImageToImageForm) -> Result<[String: Float], RequestRefusal> {
        do {
            return .success(try LoRASelection.parse(form.loras))
        } catch {
            return .failure(RequestRefusal(message: "\(error)."))
        }
    }

    /// What the runner answers 400 to before generating, in its order and words (the `loras` field is checked
    /// between the seed and the strength); nil if nothing.
    static func runnerRefusal(_ form: ImageToImageForm, seed: Int128, backend: any ImageGenerationBackend) -> String? {
        // torch.Generator.manual_seed overflows → ValueError → the route's generic message.
        if !seedRange.contains(seed) || !seedRange.contains(seed + Int128(form.numImagesPerPrompt) - 1) {
            return "Image-to-image pipeline error."
        }
        if case let .failure(refusal) = loras(form) { return refusal.message }
        if backend.usesStrength, let message = strengthRefusal(form, modelID: backend.modelID) {
            return "Error during model execution: \(message)."
        }
        return nil
    }

    /// diffusers' strength checks, after the runner's turbo rule `strength = max(1/steps, strength)`.
    static func strengthRefusal(_ form: ImageToImageForm, modelID: String) -> String? {
        var strength = form.strength
        if RunnerRules.turboModels.contains(modelID), form.numInferenceSteps >= 1 {
            strength = max(1 / Double(form.numInferenceSteps), strength)
        }
        if strength < 0 || strength > 1 {
            return "The value of strength should in [0.0, 1.0] but is \(PythonFloatRepr.string(strength))"
        }
        if strength.isNaN { return "cannot convert float NaN to integer" }
        return nil
    }

    /// The pipeline request; `numInferenceSteps` < 1 stays ≤ 0 so the pipeline uses its own default.
    static func generationRequest(_ form: ImageToImageForm, seed: Int128, loras: [String: Float]) -> GenerationRequest {
        var request = GenerationRequest(prompt: form.prompt)
        request.loras = loras
        request.negativePrompt = form.negativePrompt
        request.strength = Float(form.strength)
        request.guidanceScale = Float(form.guidanceScale)
        request.imageGuidanceScale = Float(form.imageGuidanceScale)
        request.numInferenceSteps = Int(clamping: form.numInferenceSteps)
        request.numImagesPerPrompt = Int(clamping: form.numImagesPerPrompt)
        request.seed = UInt64(truncatingIfNeeded: seed)
        request.safetyCheck = form.safetyCheck
        return request
    }
}

/// A 400 message for a request the runner refuses.
struct RequestRefusal: Error {
    let message: String
}
