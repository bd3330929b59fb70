// How to run a request: choices of the deployment or the command line, not of the API's caller.

import Images
import Random
import Schedulers

/// Options of a `generate` call that are not part of the API request.
public struct GenerationOptions {
    /// Which torch generator the seeds reproduce (`cuda` gives what the runner on a GPU gives).
    public var rng: RandomSource = .cuda
    /// A scheduler `_class_name` replacing the model's (and the runner's) choice.
    public var schedulerOverride: String?
    /// A whole scheduler config replacing the model's (as `Scheduler.from_config(..., **overrides)` gives).
    public var schedulerConfig: SchedulerConfig?
    /// Collects intermediate tensors when set.
    public var dump: TensorDump?
    /// Records every stage's time, FLOPs and memory when set.
    public var trace: PipelineTrace?
    /// Called after every denoising step of image `image`; return false to cancel.
    public var onStep: ((_ image: Int, _ step: DenoisingStep) -> Bool)?
    /// Which preview of each step's predicted clean latents (`DenoisingStep.predictedOriginalSample`) to make for
    /// `onPreview`; nil: none (nothing runs). `.tinyAutoencoder` needs a `taesd` / `taesdxl` folder under the model
    /// root, else the run fails with `PipelineError.previewUnavailable` before any work.
    public var previews: PreviewKind?
    /// Called after every denoising step of image `image` (after `onStep`) with that step's preview, when
    /// `previews` is set: latent-sized (1/8 of the image's sides) for `.projection`, image-sized for
    /// `.tinyAutoencoder`.
    public var onPreview: ((_ image: Int, _ step: DenoisingStep, _ preview: RGBImage) -> Void)?

    public init() {}
}
