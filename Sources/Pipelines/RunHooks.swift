// What a generation does besides its arithmetic, kept out of the algorithm's lines: tensor dumps (named by
// stage, with an `image<i>.` prefix when a request makes several images), the step callback (progress and
// cancellation), each step's preview, the trace of each stage, each stage's model released from memory when the stage ends, the
// request's LoRA patches bound while their model runs, and a cancellation checkpoint after each stage.

import Models
import Tensors

/// The hooks of one `generate` call.
final class RunHooks {
    let options: GenerationOptions
    /// The request's LoRA patches, per component.
    let loras: LoRABinding
    /// The image being made (0-based).
    private(set) var image = 0
    /// Makes each step's preview when the run asked for previews and takes them (`onPreview`).
    private let previewDecoder: PreviewDecoder?

    init(options: GenerationOptions, loras: LoRABinding, previewDecoder: PreviewDecoder? = nil) {
        self.options = options
        self.loras = loras
        self.previewDecoder = previewDecoder
    }

    /// Whether each step's predicted clean latents are wanted (for its preview).
    var makesPreviews: Bool { previewDecoder != nil }

    /// Records `tensor` under `name` when the run is dumped.
    func record(_ name: String, _ tensor: @autoclosure () -> Tensor) {
        options.dump?.record(name, tensor())
    }

    /// Records a list of scalars (e.g. timesteps) when the run is dumped.
    func record(_ name: String, values: [Float]) {
        options.dump?.record(name, values: values)
    }

    /// Makes `body` the work of image `index` of `count`, then clears the dump prefix.
    func forEachImage<T>(_ count: Int, _ body: (Int) throws -> T) rethrows -> [T] {
        defer { options.dump?.setPrefix("") }
        return try (0..<count).map { index in
            image = index
            if count > 1 { options.dump?.setPrefix("image\(index).") }
            return try body(index)
        }
    }

    /// Runs one stage of the pipeline on `model` with `patches` bound, then lets the model's mapped weights
    /// leave the resident set: F16 weights are read in place from their files, so each model is resident only
    /// while its stage runs (the next stage maps its pages back from the page cache). The kernels' kept
    /// scratch goes too.
    /// A cancelled run stops here: the stage's kernels skipped their work, so its result is not to be used.
    func stage<T>(_ model: CheckpointBacked, patches: LayerPatches? = nil, _ body: () throws -> T) throws -> T {
        defer {
            model.releaseResidentWeights()
            KeptScratch.releaseAll()
        }
        let result = try patches.map { try $0.bind(body) } ?? body()
        try WorkCancellation.checkpoint()
        return result
    }

    /// Runs `body` as the traced stage `name` when the run is traced (`shape`: what its result's shape is).
    func traced<T>(_ name: @autoclosure () -> String, shape: (T) -> [Int], _ body: () throws -> T) rethrows -> T {
        guard let trace = options.trace else { return try body() }
        return try trace.record(name(), image: image, shape: shape, body)
    }

    /// Runs `body`, a stage whose result is a tensor, traced as `name`.
    func traced(_ name: @autoclosure () -> String, _ body: () throws -> Tensor) rethrows -> Tensor {
        try traced(name(), shape: \.shape, body)
    }

    /// Reports a finished denoising step, then its preview; throws `PipelineError.cancelled` when the step
    /// callback says stop.
    func finished(_ step: DenoisingStep) throws {
        if let onStep = options.onStep, !onStep(image, step) { throw PipelineError.cancelled }
        if let previewDecoder, let onPreview = options.onPreview, let original = step.predictedOriginalSample {
            onPreview(image, step, try previewDecoder.preview(original))
        }
    }
}
