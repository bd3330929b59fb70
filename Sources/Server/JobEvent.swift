// The events of a watched job as `GET /x/jobs/{id}/events` streams them (Server-Sent Events: `event: NAME`,
// `data: JSON`, a blank line): `queued` once its request is accepted, `plan` with the step accounting, `started`
// when the inference thread takes it, `step` after every denoising step, `preview` with a step's preview as a PNG
// data URL, `trace` with every recorded stage, and `end` with the HTTP status its request was answered with.
// The payloads use the API's snake_case; the README and the OpenAPI document describe them.

import Foundation
import Pipelines

/// One event of a watched job.
enum JobEvent: Sendable {
    /// The request was accepted and waits for the inference thread.
    case queued
    /// What the request will run (`DenoisingPlan`), with the accounting line the server logs.
    case plan(Plan)
    /// The inference thread took the job after `queueWait` seconds.
    case started(queueWait: Double)
    /// A denoising step finished.
    case step(Step)
    /// A step's preview, as a PNG data URL.
    case preview(image: Int, index: Int, url: String)
    /// The stages of the run (`PipelineTrace`), in order.
    case trace([PipelineTrace.Entry])
    /// The job is over: its request was answered with `status` (nil: it never ran or its client left).
    case end(status: Int?, message: String?)
    /// A keep-alive comment (not stored, not an event for the page).
    case keepAlive

    /// The denoising plan of a request as the `plan` event carries it.
    struct Plan: Encodable, Sendable {
        let accounting: String
        let steps: Int
        let stepsRun: Int
        let unetCallsPerImage: Int
        let images: Int
        let strength: Double?
        let timesteps: [Float]
        let latentSize: [Int]
        let teraFLOPs: Double?

        init(_ plan: DenoisingPlan, accounting: String, flops: Double?) {
            self.accounting = accounting
            steps = plan.steps
            stepsRun = plan.stepsRun
            unetCallsPerImage = plan.timesteps.count
            images = plan.images
            strength = plan.strength
            timesteps = plan.timesteps
            latentSize = [plan.latentHeight, plan.latentWidth]
            teraFLOPs = flops.map { $0 / 1e12 }
        }

        enum CodingKeys: String, CodingKey {
            case accounting, steps, stepsRun = "steps_run", unetCallsPerImage = "unet_calls_per_image", images
            case strength, timesteps, latentSize = "latent_size", teraFLOPs = "tflops"
        }
    }

    /// A finished step: `index` (0-based) of `count` of image `image`, `elapsed` seconds after the run started.
    struct Step: Encodable, Sendable {
        let image: Int
        let index: Int
        let count: Int
        let timestep: Float
        let elapsed: Double
    }

    /// The event's name on the stream.
    var name: String {
        switch self {
        case .queued: "queued"
        case .plan: "plan"
        case .started: "started"
        case .step: "step"
        case .preview: "preview"
        case .trace: "trace"
        case .end: "end"
        case .keepAlive: "keep-alive"
        }
    }

    /// Whether a newer event of the same kind makes this one useless to a late subscriber.
    var isSuperseded: Bool {
        switch self {
        case .step, .preview: true
        default: false
        }
    }

    /// The event as Server-Sent Events text.
    var serverSentEvent: String {
        if case .keepAlive = self { return ": keep-alive\n\n" }
        return "event: \(name)\ndata: \(payload)\n\n"
    }

    /// The event's data: one line of JSON.
    var payload: String {
        switch self {
        case .queued, .keepAlive: Self.json(Empty())
        case let .plan(plan): Self.json(plan)
        case let .started(wait): Self.json(["queue_wait_seconds": wait])
        case let .step(step): Self.json(step)
        case let .preview(image, index, url): Self.json(Preview(image: image, index: index, url: url))
        case let .trace(entries): Self.json(["entries": entries])
        case let .end(status, message): Self.json(End(status: status, message: message))
        }
    }

    private struct Empty: Encodable {}

    private struct Preview: Encodable {
        let image: Int
        let index: Int
        let url: String
    }

    private struct End: Encodable {
        let status: Int?
        let message: String?

        func encode(to encoder: Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(status, forKey: .status)  // null, not absent, when the request never ran
            try container.encodeIfPresent(message, forKey: .message)
        }

        enum CodingKeys: String, CodingKey { case status, message }
    }

    /// Compact JSON without line breaks (an SSE `data:` line must not contain one).
    private static func json<T: Encodable>(_ value: T) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf",
                                                                      nan: "nan")
        // Every payload is made of strings, numbers, arrays and optionals, which always encode.
        guard let data = try? encoder.encode(value) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}
