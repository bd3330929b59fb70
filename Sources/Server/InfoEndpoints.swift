// The runner's metadata routes: `/health` (`{"status":…}`), `/version` (pipeline, model id, VERSION) and the
// hardware routes, which on a machine without NVIDIA GPUs answer with empty maps, as the runner does there.

import Hummingbird

/// Health, version and hardware answers.
struct InfoEndpoints: Sendable {
    /// The only pipeline this server runs.
    static let pipelineName = "image-to-image"

    let configuration: ServerConfiguration
    let model: ModelState

    func health() -> Response {
        RunnerResponses.json(.object([("status", .string(model.healthStatus))]))
    }

    func version() -> Response {
        RunnerResponses.json(.object([
            ("pipeline", .string(Self.pipelineName)),
            ("model_id", .string(configuration.modelID)),
            ("version", .string(configuration.version)),
        ]))
    }

    func hardwareInfo() -> Response { hardware(key: "gpu_info") }

    func hardwareStats() -> Response { hardware(key: "gpu_stats") }

    private func hardware(key: String) -> Response {
        RunnerResponses.json(.object([
            ("pipeline", .string(Self.pipelineName)),
            ("model_id", .string(configuration.modelID)),
            (key, .object([])),
        ]))
    }
}
