// The one request `img2img verify` sends to a runner and runs locally: the API's fields as a `GenerationRequest`
// (so the local run reads the very values that were sent), the optional `model_id`, and the uploaded image
// bytes as read from disk (the runner and our decoder both read those bytes, not a re-encoding).

import Images
import Pipelines

/// A `POST /image-to-image` request: its text fields and its image upload.
public struct RunnerRequest: Sendable {
    /// The API's fields; `seed` nil lets the runner draw one.
    public var fields: GenerationRequest
    /// Sent as `model_id` when set (the runner refuses a request for a model it does not serve).
    public var modelID: String?
    /// The image file's bytes (PNG or JPEG), sent as they are.
    public var imageBytes: [UInt8]
    /// The file name the upload carries.
    public var imageFilename: String

    public init(fields: GenerationRequest, modelID: String? = nil, imageBytes: [UInt8], imageFilename: String = "image.png") {
        self.fields = fields
        self.modelID = modelID
        self.imageBytes = imageBytes
        self.imageFilename = imageFilename
    }

    /// The form's text fields by their API names, in the runner's declaration order; `seed` only when given.
    /// Numbers are written as Python writes them, so FastAPI parses back the same values.
    public var textFields: [(name: String, value: String)] {
        var result: [(String, String)] = [("prompt", fields.prompt)]
        if let modelID { result.append(("model_id", modelID)) }
        result += [
            ("loras", fields.loras),
            ("strength", PythonFloatRepr.string(fields.strength)),
            ("guidance_scale", PythonFloatRepr.string(fields.guidanceScale)),
            ("image_guidance_scale", PythonFloatRepr.string(fields.imageGuidanceScale)),
            ("negative_prompt", fields.negativePrompt),
            ("safety_check", fields.safetyCheck ? "true" : "false"),
        ]
        if let seed = fields.seed { result.append(("seed", String(seed))) }
        result += [
            ("num_inference_steps", String(fields.numInferenceSteps)),
            ("num_images_per_prompt", String(fields.numImagesPerPrompt)),
        ]
        return result
    }

    /// The upload's content type, from the bytes' signature (what the file is, not what its name says).
    public var imageContentType: String {
        switch ImageFormat.detect(imageBytes) {
        case .png?: return "image/png"
        case .jpeg?: return "image/jpeg"
        case nil: return "application/octet-stream"
        }
    }

    /// The multipart body of the request.
    public func multipartBody(boundary: String = MultipartForm.randomBoundary()) -> MultipartForm {
        var form = MultipartForm(boundary: boundary)
        for (name, value) in textFields { form.addText(name: name, value: value) }
        form.addFile(name: "image", filename: imageFilename, contentType: imageContentType, bytes: imageBytes)
        return form
    }
}
