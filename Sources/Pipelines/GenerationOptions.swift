// How to run a request: choices of the deployment or the command line, not of the API's caller.

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

    public init() {}
}
