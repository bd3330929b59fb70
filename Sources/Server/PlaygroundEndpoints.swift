// The playground page: `GET /` and `GET /ui` serve one plain HTML page, `/ui/playground.css` and
// `/ui/playground.js` its style and script — package resources (Resources/playground), no build step, nothing
// fetched from elsewhere (its Content-Security-Policy allows this server only). `GET /x/playground` tells the page
// what this deployment accepts: the loaded model's defaults and which fields it reads, the limits, whether a
// bearer token is needed and how to watch a job. Field defaults and descriptions the page reads from
// `/openapi.json`, so neither is written twice. Like /version and /openapi.json these need no token: they hold
// nothing of any request; the page asks for the token before it sends one.

import Foundation
import Hummingbird
import HTTPTypes
import Pipelines

/// The page, its assets and its configuration route.
struct PlaygroundEndpoints: Sendable {
    /// A file of the page: the path it is served at, its resource and content type.
    struct Asset: Sendable {
        let paths: [String]
        let resource: String
        let contentType: String
    }

    static let assets = [
        Asset(paths: ["/", "/ui"], resource: "index.html", contentType: "text/html; charset=utf-8"),
        Asset(paths: ["/ui/playground.css"], resource: "playground.css", contentType: "text/css; charset=utf-8"),
        Asset(paths: ["/ui/playground.js"], resource: "playground.js", contentType: "text/javascript; charset=utf-8"),
    ]
    /// The configuration route.
    static let configPath = "/x/playground"
    /// The events route, as the configuration names it for the page.
    static let eventsPath = "/x/jobs/{id}/events"

    /// What the page may load: this server only; images also from data: and blob: URLs (results, uploads).
    static let contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; "
        + "img-src 'self' data: blob:; connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"

    let configuration: ServerConfiguration
    let model: ModelState

    /// The answer serving `asset`, read once: the file, or a 500 naming what is missing.
    static func answer(_ asset: Asset) -> @Sendable () -> Response {
        guard let url = Bundle.module.url(forResource: asset.resource, withExtension: nil, subdirectory: "playground"),
              let data = try? Data(contentsOf: url) else {
            let message = "The playground's \(asset.resource) is missing from the resource bundle."
            return { RunnerResponses.error(.internalServerError, message) }
        }
        let bytes = ByteBuffer(bytes: data)
        return {
            var headers = HTTPFields()
            headers[.contentType] = asset.contentType
            headers[.contentLength] = String(bytes.readableBytes)
            headers[.cacheControl] = "no-cache"
            headers[.contentSecurityPolicy] = contentSecurityPolicy
            headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: bytes))
        }
    }

    /// `GET /x/playground`.
    func config() -> Response {
        let limits = configuration.limits
        let answer = PlaygroundConfig(
            modelID: configuration.modelID, version: configuration.version, health: model.healthStatus,
            authRequired: BearerToken(configuration.authToken) != nil,
            model: { if case let .ready(backend) = model.current { return .init(backend.profile, previews: backend.previewKind) }
                     else { return nil } }(),
            limits: .init(maxUploadBytes: limits.maxUploadBytes, maxImagePixels: limits.maxImagePixels,
                          maxSteps: limits.maxSteps, maxImages: limits.maxImages,
                          maxPromptCharacters: limits.maxPromptCharacters, maxRequestTFLOPs: limits.maxRequestTeraFLOPs,
                          maxLoRAs: LoRASelection.limit),
            jobHeader: JobBoard.header.rawName, eventsPath: Self.eventsPath)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, integers, booleans and finite limits: always encodable.
        let text = (try? encoder.encode(answer)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
        return RunnerResponses.json(raw: text)
    }
}

/// The `GET /x/playground` answer.
struct PlaygroundConfig: Encodable {
    /// Which of the API's fields the loaded model reads, and its default step count.
    struct Model: Encodable {
        let defaultSteps: Int
        let readsImage: Bool
        let readsStrength: Bool
        let readsGuidance: Bool
        let readsImageGuidance: Bool
        /// How step previews are made ("projection", "taesd"; nil: none are sent).
        let previews: String?

        init(_ profile: PipelineProfile, previews: PreviewKind?) {
            self.previews = previews?.rawValue
            defaultSteps = profile.defaultSteps
            readsImage = profile.usesImage
            readsStrength = profile.usesImage && profile.usesStrength
            // Turbo models and SDXL-Lightning run with guidance 0 whatever the request says (RunnerContract).
            readsGuidance = !RunnerContract.turboModels.contains(profile.modelID) && SDXLLightning(modelID: profile.modelID) == nil
            // The one image pipeline without strength is InstructPix2Pix, whose three-way guidance reads it.
            readsImageGuidance = profile.usesImage && !profile.usesStrength
        }

        enum CodingKeys: String, CodingKey {
            case defaultSteps = "default_steps", readsImage = "reads_image", readsStrength = "reads_strength"
            case readsGuidance = "reads_guidance_scale", readsImageGuidance = "reads_image_guidance_scale", previews
        }

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(defaultSteps, forKey: .defaultSteps)
            try container.encode(readsImage, forKey: .readsImage)
            try container.encode(readsStrength, forKey: .readsStrength)
            try container.encode(readsGuidance, forKey: .readsGuidance)
            try container.encode(readsImageGuidance, forKey: .readsImageGuidance)
            try container.encode(previews, forKey: .previews)  // null, not absent, when none are sent
        }
    }

    /// The deployment's limits (`RequestLimits`) and the runner's LoRA count limit.
    struct Limits: Encodable {
        let maxUploadBytes: Int
        let maxImagePixels: Int
        let maxSteps: Int
        let maxImages: Int
        let maxPromptCharacters: Int
        let maxRequestTFLOPs: Double
        let maxLoRAs: Int

        enum CodingKeys: String, CodingKey {
            case maxUploadBytes = "max_upload_bytes", maxImagePixels = "max_image_pixels", maxSteps = "max_steps"
            case maxImages = "max_images", maxPromptCharacters = "max_prompt_characters"
            case maxRequestTFLOPs = "max_request_tflops", maxLoRAs = "max_loras"
        }
    }

    let modelID: String
    let version: String
    let health: String
    let authRequired: Bool
    /// nil while the model loads or when it failed to.
    let model: Model?
    let limits: Limits
    let jobHeader: String
    let eventsPath: String

    enum CodingKeys: String, CodingKey {
        case modelID = "model_id", version, health, authRequired = "auth_required", model, limits
        case jobHeader = "job_header", eventsPath = "events_path"
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(modelID, forKey: .modelID)
        try container.encode(version, forKey: .version)
        try container.encode(health, forKey: .health)
        try container.encode(authRequired, forKey: .authRequired)
        try container.encode(model, forKey: .model)  // null while loading, not absent
        try container.encode(limits, forKey: .limits)
        try container.encode(jobHeader, forKey: .jobHeader)
        try container.encode(eventsPath, forKey: .eventsPath)
    }
}
