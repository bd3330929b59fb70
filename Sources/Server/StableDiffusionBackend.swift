// The server's backend over `ImageToImageService` (the pipeline plus its safety checker): the same call
// `img2img generate` makes, so a response image is byte-identical to the CLI's PNG for the same parameters and
// generator, with the step callback wired to cancellation and, for a watched request, to its watcher (steps,
// previews, trace). Safety-checker failures are reported apart from the model's, because the runner answers them
// differently (500 instead of 400).

import Foundation
import Images
import Models
import Pipelines
import Tensors
import Random
import Safety

/// Runs requests on one loaded model; used from a single thread at a time.
public final class StableDiffusionBackend: ImageGenerationBackend, @unchecked Sendable {
    private let service: ImageToImageService
    private let rng: RandomSource

    public let workEstimate: WorkEstimate?
    public let memoryEstimate: MemoryEstimate?
    public let previewKind: PreviewKind?

    public var profile: PipelineProfile { service.pipeline.profile }

    /// Wraps a loaded pipeline and checker; `rng` picks the torch generator the seeds reproduce, `previews` how a
    /// watched run's step previews are made (the tiny autoencoder is loaded here, so a missing one fails the
    /// model's loading rather than a request; the projection is fitted on the first watched run). Measures the
    /// model's work and memory by image size (dry runs, a fraction of a second).
    public init(service: ImageToImageService, rng: RandomSource, previews: PreviewKind = .projection) throws {
        self.service = service
        self.rng = rng
        if previews == .tinyAutoencoder { _ = try service.pipeline.previews.decoder(previews) }
        previewKind = previews
        workEstimate = service.pipeline.measureWork()
        memoryEstimate = service.pipeline.measureMemory()
    }

    public func plan(_ request: PipelineRequest, imageWidth: Int, imageHeight: Int) throws -> DenoisingPlan? {
        try service.pipeline.plan(request, imageWidth: imageWidth, imageHeight: imageHeight)
    }

    /// Loads the model at `location` (an SDXL-Lightning id as `lightningMode` says) and the safety checker `safetyChecker` names (nil: the model's own, else the
    /// runner's default; "none": no checker), resolving checker and LoRA ids in `store` (LoRAs by id only, never
    /// by a path a client sends), LoRA updates applied as `loraApplication` says.
    public convenience init(location: ModelLocation, modelID: String, rng: RandomSource, safetyChecker: String?,
                            store: ModelStore, lightningMode: LightningMode = .runner,
                            loraApplication: LoRAApplication = .merged, previews: PreviewKind = .projection) throws {
        let library = LoRALibrary(store: store, allowsPaths: false)
        let pipeline = try PipelineLoader.load(location, modelID: modelID, lightningMode: lightningMode,
                                               loraLibrary: library, loraApplication: loraApplication)
        let checker = try SafetyCheckerLocator.load(option: safetyChecker, modelFolder: location.folder, store: store)
        try self.init(service: ImageToImageService(pipeline: pipeline, safetyChecker: checker), rng: rng, previews: previews)
    }

    /// Runs the pipeline and the safety checker as `img2img generate` does. Once `shouldContinue` says false
    /// the kernels stop within one work item and the run throws `CancellationError` (or `PipelineError.cancelled`
    /// between denoising steps). A `watcher` hears every step and its preview, and gets the run's trace at the end.
    public func generate(image: RGBImage, request: PipelineRequest, watcher: (any GenerationWatcher)?,
                         shouldContinue: @escaping @Sendable () -> Bool) throws -> [GeneratedImage] {
        let cancellation = WorkCancellation(whileTrue: shouldContinue)
        var options = GenerationOptions()
        options.rng = rng
        options.onStep = { image, step in
            watcher?.stepFinished(image: image, index: step.index, count: step.count, timestep: step.timestep)
            return !cancellation.isRequested
        }
        if let watcher { watch(&options, by: watcher) }
        return try cancellation.bind {
            let images: [GeneratedImage]
            do {
                images = try service.run(image: image, request: request, options: options)
            } catch let error as SafetyError {
                throw AfterGenerationFailure(underlying: error)
            }
            try WorkCancellation.checkpoint()  // the safety checker's kernels may have stopped early
            if let trace = options.trace { watcher?.traced(trace.entries) }
            return images
        }
    }

    /// Sets `options` to trace the run and send each step's preview to `watcher`. A preview decoder that cannot be
    /// made (the projection's fit failing) leaves the run without previews: watching never changes what a
    /// request is answered.
    private func watch(_ options: inout GenerationOptions, by watcher: any GenerationWatcher) {
        options.trace = PipelineTrace()
        guard let previewKind, (try? service.pipeline.previews.decoder(previewKind)) != nil else { return }
        options.previews = previewKind
        options.onPreview = { image, step, preview in watcher.preview(image: image, index: step.index, preview) }
    }
}
