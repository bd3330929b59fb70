// `img2img serve`: Livepeer's image-to-image API over HTTP, configured like the runner container (MODEL_ID,
// MODEL_DIR, AUTH_TOKEN, VERSION from the environment) or by options; defaults to the bundled test model on
// 127.0.0.1:8000. The model folder is resolved before listening; its weights load while /health says LOADING.

import ArgumentParser
import Foundation
import Logging
import Models
import Pipelines
import Random
import Server
import Tensors

/// Serves POST /image-to-image, /health, /version and /hardware/* as the Livepeer AI runner does.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve Livepeer's image-to-image API (the AI runner's HTTP interface).",
        discussion: """
            Environment (as the runner container): MODEL_ID (model to serve), MODEL_DIR (model root), \
            AUTH_TOKEN (require 'Authorization: Bearer <token>'), VERSION (reported by /version), \
            PIPELINE (must be image-to-image when set). Options override MODEL_ID and MODEL_DIR.
            """)

    @Option(help: "A model folder or Hugging Face id (default: $MODEL_ID, else the bundled test model).") var model: String?
    @Option(help: "Model root for ids (default $MODEL_DIR, else ~/.lpData/models).") var modelDir: String?
    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port).") var port = 8000
    @Option(help: "Generator the seeds reproduce: cuda (the runner on a GPU) or cpu (torch CPU).") var rng: RandomSource = .cuda
    @Option(help: "Safety checker: a model id or folder, or none (default: the model's own, else \(SafetyCheckerLocator.defaultID)).")
    var safetyChecker: String?
    @Option(help: "How LoRA updates apply: merged (into a copy of each adapted weight) or runtime.")
    var loraMode: LoRAApplication = .merged
    @Option(help: "SDXL-Lightning ids: runner (text-to-image, the image ignored, as the runner) or img2img.")
    var lightningMode: LightningMode = .runner
    @Option(help: "How the playground's step previews are made: projection (the model's latent→RGB map fitted to its VAE; latent-sized) or taesd (the tiny autoencoder madebyollin/taesd or taesdxl under the model root; image-sized).")
    var previewDecoder: PreviewKind = .projection
    @Option(help: "Largest image upload in bytes.") var maxUploadBytes = RequestLimits().maxUploadBytes
    @Option(help: "Largest input image in pixels (width × height).") var maxPixels = RequestLimits().maxImagePixels
    @Option(help: "Largest num_inference_steps.") var maxSteps = RequestLimits().maxSteps
    @Option(help: "Largest num_images_per_prompt.") var maxImages = RequestLimits().maxImages
    @Option(help: "Longest prompt or negative prompt, in characters.") var maxPromptChars = RequestLimits().maxPromptCharacters
    @Option(help: "Requests that may wait while one runs (more get 503).") var queueCapacity = RequestLimits().queueCapacity
    @Option(help: "Largest estimated work of one request, in TFLOP (UNet calls actually run plus the VAE).")
    var maxRequestTflops = RequestLimits().maxRequestTeraFLOPs
    @Option(help: "Largest estimated peak memory of the process while one request runs, in GB (default: 90 % of RAM).")
    var maxRequestGb = RequestLimits().maxRequestGigabytes
    @Option(help: "Seconds a request may run once started before it is stopped (503).")
    var requestTimeout = RequestLimits().requestTimeout.secondsValue
    @Option(help: "Seconds from a request's first byte to the end of its head (then 408).")
    var headTimeout = ConnectionPolicy().headTimeout.secondsValue
    @Option(help: "Longest pause, in seconds, while a request body is sent (then 408).")
    var bodyIdleTimeout = ConnectionPolicy().bodyIdleTimeout.secondsValue
    @Option(help: "Seconds from a request's head to the end of its body (then 408).")
    var bodyTimeout = ConnectionPolicy().bodyTimeout.secondsValue
    @Option(help: "Seconds an open connection may wait for its next request.")
    var keepAliveTimeout = ConnectionPolicy().keepAliveTimeout.secondsValue
    @Option(help: "Connections open at once (more wait to be accepted).") var maxConnections = ConnectionPolicy().maxConnections
    @Option(help: "Seconds requests in flight may run after SIGTERM before they are cancelled.")
    var shutdownGrace = ConnectionPolicy().shutdownGrace.secondsValue

    func validate() throws {
        let durations = [("--head-timeout", headTimeout), ("--body-idle-timeout", bodyIdleTimeout),
                         ("--body-timeout", bodyTimeout), ("--keep-alive-timeout", keepAliveTimeout),
                         ("--shutdown-grace", shutdownGrace), ("--request-timeout", requestTimeout)]
        for (option, seconds) in durations where !(seconds >= 0 && seconds <= 86_400) {
            throw ValidationError("\(option) must be between 0 and 86400 seconds")
        }
        if maxConnections < 1 { throw ValidationError("--max-connections must be at least 1") }
        if !(maxRequestTflops > 0) { throw ValidationError("--max-request-tflops must be positive") }
        if !(maxRequestGb > 0) { throw ValidationError("--max-request-gb must be positive") }
    }

    func run() async throws {
        HeapTuning.limitArenas(to: 2)
        let environment = ProcessInfo.processInfo.environment
        if let pipeline = environment["PIPELINE"], !pipeline.isEmpty, pipeline != "image-to-image" {
            throw ValidationError("PIPELINE is '\(pipeline)'; this server only runs the image-to-image pipeline")
        }
        let reference = model ?? environment["MODEL_ID"].flatMap { $0.isEmpty ? nil : $0 }
        let location = try ModelStore(root: modelDir).locate(reference ?? BundledModel.path)
        // The weights (and the safety checker) load in the background; /health says LOADING meanwhile.
        var configuration = ServerConfiguration(modelID: reference ?? BundledModel.id)
        configuration.host = host
        configuration.port = port
        configuration.authToken = environment["AUTH_TOKEN"]
        configuration.version = environment["VERSION"].flatMap { $0.isEmpty ? nil : $0 } ?? "undefined"
        configuration.limits.maxUploadBytes = maxUploadBytes
        configuration.limits.maxImagePixels = maxPixels
        configuration.limits.maxSteps = maxSteps
        configuration.limits.maxImages = maxImages
        configuration.limits.maxPromptCharacters = maxPromptChars
        configuration.limits.queueCapacity = queueCapacity
        configuration.limits.maxRequestTeraFLOPs = maxRequestTflops
        configuration.limits.maxRequestGigabytes = maxRequestGb
        configuration.limits.requestTimeout = .seconds(requestTimeout)
        configuration.connections.headTimeout = .seconds(headTimeout)
        configuration.connections.bodyIdleTimeout = .seconds(bodyIdleTimeout)
        configuration.connections.bodyTimeout = .seconds(bodyTimeout)
        configuration.connections.keepAliveTimeout = .seconds(keepAliveTimeout)
        configuration.connections.maxConnections = maxConnections
        configuration.connections.shutdownGrace = .seconds(shutdownGrace)

        LoggingSystem.bootstrap(StreamLogHandler.standardError)
        var logger = Logger(label: "img2img.server")
        logger.logLevel = environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
        let unetNote = location.unetFile.map { " with \($0.lastPathComponent)" } ?? ""
        let auth = configuration.authToken?.isEmpty == false ? "on" : "off"
        logger.info("serving \(configuration.modelID) from \(location.folder.path)\(unetNote) (rng \(rng.rawValue), OpenBLAS \(OpenBLASCore.current), auth \(auth))")
        let modelID = configuration.modelID
        let store = ModelStore(root: modelDir)
        let server = ImageToImageServer(configuration: configuration, logger: logger) {
            [rng, safetyChecker, loraMode, lightningMode, previewDecoder] in
            try StableDiffusionBackend(location: location, modelID: modelID, rng: rng, safetyChecker: safetyChecker,
                                       store: store, lightningMode: lightningMode, loraApplication: loraMode,
                                       previews: previewDecoder)
        }
        try await server.run()
    }
}
