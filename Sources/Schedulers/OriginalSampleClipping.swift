// What `step` does to the predicted x₀ before using it, in diffusers' order of the checks: dynamic
// thresholding when `thresholding` is on, else clamping to ±clip_sample_range when `clip_sample` is on.

import Tensors

/// `clip_sample_range` (default 1) when `clip_sample` is on — its class default is `clipsByDefault` — else nil.
func clipRange(_ config: SchedulerConfig, clipsByDefault: Bool) -> Float? {
    (config.clipSample ?? clipsByDefault) ? Float(config.clipSampleRange ?? 1.0) : nil
}

/// x̂₀ thresholded when `thresholding` is set, else clamped to ±`clipRange` when that is set, else unchanged.
func limitedOriginalSample(_ original: Tensor, thresholding: DynamicThresholding?, clipRange: Float?) -> Tensor {
    if let thresholding { return thresholding.apply(original) }
    guard let clipRange else { return original }
    return original.mapped { VectorMath.clamp($0, -clipRange, clipRange) }
}
