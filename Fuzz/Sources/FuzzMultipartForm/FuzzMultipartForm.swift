// Fuzzes `POST /image-to-image`'s body handling: the first line of the input is the Content-Type header (media
// type, boundary, quoted parameters), the rest the body — multipart/form-data split by MultipartKit with its part
// headers, or url-encoded — then the 12 fields read with FastAPI's rules, the 422 JSON rendered, and the
// runner's rules (seed range, `loras` JSON, strength, model-id overrides) applied to a valid form.

import FuzzSupport
@_spi(Fuzzing) import Server

@main
enum FuzzMultipartForm {
    static func main() {
        runFuzzer { bytes in
            let (contentType, body) = splitFirstLine(bytes)
            _ = RequestParsing.imageToImageOutcome(body: body, contentType: contentType)
        }
    }
}
