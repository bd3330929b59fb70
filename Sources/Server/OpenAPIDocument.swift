// The OpenAPI document `GET /openapi.json` serves: the runner's own description of the routes we implement (its
// openapi.yaml for /image-to-image, /health, /version and /hardware/*, plus the 503 we answer when the model is
// loading, the queue is full or the server is shutting down). It is data, kept as the package resource
// Resources/openapi.json (beside the executable as `img2img_Server.resources`); at serve time `info.version`
// becomes the deployment's VERSION, as the runner's own document carries its version.

import Foundation
import Hummingbird

/// The server's OpenAPI 3.1 description, read from the package's `openapi.json` resource.
enum OpenAPIDocument {
    /// Reading or completing the bundled document failed (an installation without the resource bundle).
    struct Unavailable: Error, CustomStringConvertible {
        let reason: String
        var description: String { "the OpenAPI document is unavailable: \(reason)" }
    }

    /// The document as bundled, with `info.version` set to `version`: compact JSON, keys sorted.
    static func json(version: String) throws -> String {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json") else {
            throw Unavailable(reason: "openapi.json is missing from the resource bundle")
        }
        do {
            let data = try Data(contentsOf: url)
            guard var document = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                  var info = document["info"] as? [String: Any] else {
                throw Unavailable(reason: "openapi.json has no `info` object")
            }
            info["version"] = version
            document["info"] = info
            let text = try JSONSerialization.data(withJSONObject: document, options: [.sortedKeys, .withoutEscapingSlashes])
            return String(decoding: text, as: UTF8.self)
        } catch let error as Unavailable {
            throw error
        } catch {
            throw Unavailable(reason: "\(error)")
        }
    }

    /// The `/openapi.json` route's answer, built once: the document for `version`, or a 500 naming what is missing.
    static func answer(version: String) -> @Sendable () -> Response {
        do {
            let text = try json(version: version)
            return { RunnerResponses.json(raw: text) }
        } catch {
            let message = "\(error)"
            return { RunnerResponses.error(.internalServerError, message) }
        }
    }
}
