// Everything a deployment chooses about the server: where it listens, the model id it answers for, the
// runner's AUTH_TOKEN and VERSION, and the limits that keep one CPU-bound process responsive.

import Foundation
import Pipelines

/// The settings of one server.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    /// 0 picks a free port (tests); the bound one is reported by `ImageToImageServer.run(onListening:)`.
    public var port = 8000
    /// The id `/version` reports and `model_id` must match.
    public var modelID: String
    /// Requests must carry `Authorization: Bearer <token>` when set (the runner's AUTH_TOKEN).
    public var authToken: String?
    /// What `/version` reports (the runner's VERSION; "undefined" when unset).
    public var version = "undefined"
    public var limits = RequestLimits()
    /// Deadlines and bounds per connection.
    public var connections = ConnectionPolicy()
    /// How many jobs the playground may watch, and for how long.
    public var jobs = JobWatchPolicy()

    public init(modelID: String) {
        self.modelID = modelID
    }
}

/// Upper bounds on what one request may ask for; beyond them the server answers 400 (503 for the queue).
public struct RequestLimits: Sendable {
    /// Largest accepted image upload, in bytes (the whole multipart body may exceed it by `formOverheadBytes`).
    public var maxUploadBytes = 10 * 1024 * 1024
    /// Largest accepted image, width × height of the decoded upload.
    public var maxImagePixels = 2048 * 2048
    /// Largest `num_inference_steps`.
    public var maxSteps = 1000
    /// Largest `num_images_per_prompt`.
    public var maxImages = 16
    /// Requests that may wait while one runs; more get 503.
    public var queueCapacity = 8
    /// Longest `prompt` and `negative_prompt`, in characters: CLIP reads 77 tokens (a few hundred characters), so
    /// this only bounds the work a hostile request can ask of the tokenizer.
    public var maxPromptCharacters = 10_000

    /// Largest estimated work of one request, in nominal TFLOP (`WorkEstimate`: the UNet calls actually run and
    /// the VAE, counted from the model's shapes). FLOPs rather than seconds so a limit means the same on every
    /// machine and in every test; at this 2-core machine's ~0.1 TFLOP/s, 1000 TFLOP is about three hours —
    /// SDXL img2img at 1024² with 50 guided steps (about 700: 6.8 TFLOP per UNet row) passes, 2048² × 16 images × 1000 steps does not.
    public var maxRequestTeraFLOPs: Double = 1000
    /// Largest estimated peak resident memory of the process while one request runs, in GB (10⁹ bytes;
    /// `MemoryEstimate`: the idle process, the request's images and its largest stage). Defaults to 90 % of
    /// this machine's physical memory: a request is refused only when it would not fit, so every request the
    /// other limits admit runs where memory allows (SD1.5 at 2048² peaks near 6 GB, SDXL's larger UNet more).
    public var maxRequestGigabytes: Double = RequestLimits.physicalMemoryBytes.map { 0.9 * Double($0) / 1e9 } ?? .infinity
    /// Longest a request may run once it started (its queue wait not counted); then it is stopped (503).
    public var requestTimeout: Duration = .seconds(4 * 3600)

    /// Room for the text fields and multipart framing around the image.
    public static let formOverheadBytes = 256 * 1024

    public init() {}

    /// A 400 message naming the option when `plan`'s estimated work exceeds the limit, else nil.
    func costViolation(_ plan: DenoisingPlan, flops: Double) -> String? {
        guard flops > maxRequestTeraFLOPs * 1e12 else { return nil }
        return "This request would take about \(Self.tera(flops)) TFLOP (\(plan.unetCalls) UNet calls of \(plan.rows) "
            + "batch row\(plan.rows == 1 ? "" : "s") on \(plan.latentWidth)×\(plan.latentHeight) latents, and the VAE); "
            + "this server accepts at most \(Self.tera(maxRequestTeraFLOPs * 1e12)) TFLOP per request (--max-request-tflops)."
    }

    /// A 400 message naming the option when `plan`'s estimated peak memory exceeds the limit, else nil.
    func memoryViolation(_ plan: DenoisingPlan, peaks: [(stage: String, bytes: Int)]) -> String? {
        guard let largest = peaks.first, Double(largest.bytes) > maxRequestGigabytes * 1e9 else { return nil }
        return "This request would need about \(Self.giga(Double(largest.bytes))) GB of memory at its peak (the "
            + "\(largest.stage) on \(plan.latentWidth)×\(plan.latentHeight) latents, \(plan.rows) batch "
            + "row\(plan.rows == 1 ? "" : "s")); this server admits at most \(Self.giga(maxRequestGigabytes * 1e9)) GB per "
            + "request (--max-request-gb)."
    }

    /// Bytes in GB with three significant digits.
    static func giga(_ bytes: Double) -> String { String(format: "%.3g", bytes / 1e9) }

    /// This machine's physical memory (MemTotal of /proc/meminfo), when known.
    static let physicalMemoryBytes: Int? = {
        guard let info = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = info.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
              let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kilobytes * 1024
    }()

    /// FLOPs in TFLOP with three significant digits.
    static func tera(_ flops: Double) -> String { String(format: "%.3g", flops / 1e12) }

    /// A 400 message naming the option to change when the request exceeds these limits, else nil.
    func violation(_ form: ImageToImageForm) -> String? {
        if form.image.bytes.count > maxUploadBytes {
            return "The image upload is \(form.image.bytes.count) bytes; this server accepts at most \(maxUploadBytes) "
                + "(--max-upload-bytes)."
        }
        for (field, text) in [("prompt", form.prompt), ("negative_prompt", form.negativePrompt)]
        where text.count > maxPromptCharacters {
            return "\(field) is \(text.count) characters; this server accepts at most \(maxPromptCharacters) "
                + "(--max-prompt-chars)."
        }
        if form.numInferenceSteps > maxSteps {
            return "num_inference_steps is \(form.numInferenceSteps); this server allows at most \(maxSteps) (--max-steps)."
        }
        if form.numImagesPerPrompt > maxImages {
            return "num_images_per_prompt is \(form.numImagesPerPrompt); this server allows at most \(maxImages) "
                + "(--max-images)."
        }
        return nil
    }
}
