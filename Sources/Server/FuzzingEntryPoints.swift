// The server's parsers of outside input, reachable without a running server, for the libFuzzer targets in
// Fuzz/: a request body read as the image-to-image route reads it, and the lax scalar grammar of its fields.
// SPI (`@_spi(Fuzzing) import Server`), so none of it joins the module's public interface.

import NIOCore
import Pipelines

/// Entry points into the request parsing of `POST /image-to-image`, for fuzzing.
@_spi(Fuzzing) public enum RequestParsing {
    /// The route's steps up to the model: the body split by `contentType`, the 12 fields read, then either the
    /// 422 body of their validation issues or the runner's rules applied for a pipeline whose model id is the
    /// form's own; returns the response text the route would start from (a refusal's message, or "resolved").
    public static func imageToImageOutcome(body: [UInt8], contentType: String?) -> String {
        let form: ImageToImageForm
        do {
            form = try ImageToImageForm(SubmittedForm(body: ByteBuffer(bytes: body), contentType: contentType))
        } catch {
            return ResponseJSON.array(error.issues.map(\.json)).serialized
        }
        let profile = PipelineProfile(modelID: form.modelID, defaultSteps: 50, usesStrength: true)
        do {
            _ = try RunnerContract.resolve(form.generationRequest, for: profile, drawSeed: { 0 })
            return "resolved"
        } catch {
            return error.message
        }
    }

    /// A form value read as the runner's pydantic reads a float, an int and a bool field.
    public static func laxScalars(_ text: String) -> (float: Double?, integer: Int128?, boolean: Bool?) {
        (LaxScalarParsing.float(text), LaxScalarParsing.integer(text), LaxScalarParsing.boolean(text))
    }
}
