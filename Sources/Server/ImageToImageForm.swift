// The 12 fields of `POST /image-to-image` read from a submitted form with the runner's FastAPI semantics:
// its defaults, its error for each field in declaration order, and two FastAPI 0.115 quirks that the runner
// shows — an empty text value falls back to the default of an optional field, but an empty *required* value
// (and an empty `seed`, whose default is None) is validated as the empty string.

import Pipelines

/// The API's parameters as the runner's route receives them, before any model-specific rule.
struct ImageToImageForm: Sendable {
    var prompt: String
    var image: UploadedFile
    var modelID = ""
    var loras = ""
    var strength = 0.8
    var guidanceScale = 7.5
    var imageGuidanceScale = 1.5
    var negativePrompt = ""
    var safetyCheck = true
    /// Absent: the route draws one in [0, 2³²−1].
    var seed: Int128?
    var numInferenceSteps: Int128 = 100
    var numImagesPerPrompt: Int128 = 1

    /// Reads the fields; throws the FastAPI validation issues of every invalid field, in the runner's order.
    init(_ form: SubmittedForm) throws(ValidationFailure) {
        var reader = FieldReader(form: form)
        let prompt = reader.requiredString("prompt")
        let image = reader.requiredFile("image")
        modelID = reader.string("model_id") ?? modelID
        loras = reader.string("loras") ?? loras
        strength = reader.number("strength") ?? strength
        guidanceScale = reader.number("guidance_scale") ?? guidanceScale
        imageGuidanceScale = reader.number("image_guidance_scale") ?? imageGuidanceScale
        negativePrompt = reader.string("negative_prompt") ?? negativePrompt
        safetyCheck = reader.boolean("safety_check") ?? safetyCheck
        seed = reader.integer("seed", emptyIsInvalid: true)
        numInferenceSteps = reader.integer("num_inference_steps") ?? numInferenceSteps
        numImagesPerPrompt = reader.integer("num_images_per_prompt") ?? numImagesPerPrompt
        guard reader.issues.isEmpty, let prompt, let image else { throw ValidationFailure(issues: reader.issues) }
        self.prompt = prompt
        self.image = image
    }

    /// The request's fields for the runner's rules (`RunnerContract`); step and image counts beyond `Int`
    /// saturate (the deployment's limits refuse them first).
    var generationRequest: GenerationRequest {
        var request = GenerationRequest(prompt: prompt)
        request.negativePrompt = negativePrompt
        request.strength = strength
        request.guidanceScale = guidanceScale
        request.imageGuidanceScale = imageGuidanceScale
        request.numInferenceSteps = Int(clamping: numInferenceSteps)
        request.numImagesPerPrompt = Int(clamping: numImagesPerPrompt)
        request.seed = seed
        request.safetyCheck = safetyCheck
        request.loras = loras
        return request
    }
}

/// The 422 answer: every invalid field.
struct ValidationFailure: Error, Sendable {
    let issues: [ValidationIssue]
}

/// Reads typed fields from a form, collecting an issue for each one that does not parse.
private struct FieldReader {
    let form: SubmittedForm
    var issues: [ValidationIssue] = []

    mutating func requiredString(_ name: String) -> String? {
        switch form[name] {
        case nil: issues.append(.missing(name)); return nil
        case let .text(text): return text
        case let .file(file): issues.append(.fileForScalar(name, .string, file)); return nil
        }
    }

    mutating func requiredFile(_ name: String) -> UploadedFile? {
        switch form[name] {
        case nil: issues.append(.missing(name)); return nil
        case let .text(text): issues.append(.notAFile(name, text)); return nil
        case let .file(file): return file
        }
    }

    /// An optional field's text, nil when absent or empty (the default applies); files are type errors.
    private mutating func optionalText(_ name: String, kind: ScalarKind, emptyIsInvalid: Bool = false) -> String? {
        switch form[name] {
        case nil: return nil
        case let .text(text): return text.isEmpty && !emptyIsInvalid ? nil : text
        case let .file(file): issues.append(.fileForScalar(name, kind, file)); return nil
        }
    }

    mutating func string(_ name: String) -> String? { optionalText(name, kind: .string) }

    mutating func number(_ name: String) -> Double? {
        guard let text = optionalText(name, kind: .number) else { return nil }
        guard let value = LaxScalarParsing.float(text) else { issues.append(.floatParsing(name, text)); return nil }
        return value
    }

    mutating func integer(_ name: String, emptyIsInvalid: Bool = false) -> Int128? {
        guard let text = optionalText(name, kind: .integer, emptyIsInvalid: emptyIsInvalid) else { return nil }
        guard let value = LaxScalarParsing.integer(text) else { issues.append(.intParsing(name, text)); return nil }
        return value
    }

    mutating func boolean(_ name: String) -> Bool? {
        guard let text = optionalText(name, kind: .boolean) else { return nil }
        guard let value = LaxScalarParsing.boolean(text) else { issues.append(.boolParsing(name, text)); return nil }
        return value
    }
}
