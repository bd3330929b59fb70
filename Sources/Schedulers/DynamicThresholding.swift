// Dynamic thresholding of the predicted x₀ (Imagen, arXiv 2205.11487), as diffusers' `_threshold_sample`: per
// batch item, s = the `ratio` quantile of |x₀| (torch.quantile, linear interpolation; NaN when any value is NaN),
// clamped to [1, sample_max_value]; x₀ ← clamp(x₀, −s, s) / s. Float32 throughout, as torch computes it.
// `step` applies it to the predicted x₀ before using it, in diffusers' order of the checks: thresholding when
// `thresholding` is on, else clamping to ±clip_sample_range when `clip_sample` is on.

import Tensors

/// diffusers' `_threshold_sample` with `dynamic_thresholding_ratio` and `sample_max_value`.
public struct DynamicThresholding: Sendable, Equatable {
    /// The quantile of |x₀| used as the threshold (`dynamic_thresholding_ratio`).
    public var ratio: Double
    /// The largest threshold (`sample_max_value`).
    public var sampleMaxValue: Double

    /// A thresholding with the given ratio and maximum threshold.
    public init(ratio: Double, sampleMaxValue: Double) {
        self.ratio = ratio
        self.sampleMaxValue = sampleMaxValue
    }

    /// The thresholding a config switches on with `thresholding` (nil when off), with diffusers' defaults
    /// 0.995 and 1.0; a ratio outside [0, 1] is an `unsupported` error (torch.quantile rejects it).
    static func configured(by config: SchedulerConfig, scheduler: String) throws -> DynamicThresholding? {
        guard config.thresholding ?? false else { return nil }
        let thresholding = DynamicThresholding(ratio: config.dynamicThresholdingRatio ?? 0.995,
                                               sampleMaxValue: config.sampleMaxValue ?? 1.0)
        guard thresholding.ratio >= 0 && thresholding.ratio <= 1 else {
            throw SchedulerError.unsupported(scheduler: scheduler, field: "dynamic_thresholding_ratio",
                                             value: "\(thresholding.ratio)", supported: "a quantile in [0, 1]")
        }
        return thresholding
    }

    /// The thresholded sample; the first dimension is the batch, the rest are flattened per item.
    public func apply(_ sample: Tensor) -> Tensor {
        let batch = sample.shape.first ?? 1
        guard batch > 0, sample.count > 0 else { return sample }
        let perItem = sample.count / batch
        var result = sample
        result.withUnsafeMutableBufferPointer { values in
            for item in 0..<batch {
                let range = item * perItem..<(item + 1) * perItem
                let quantile = Self.quantile(values[range].map { abs($0) }, Float(ratio))
                let threshold = Self.clamp(quantile, lower: 1, upper: Float(sampleMaxValue))
                for index in range {
                    values[index] = Self.clamp(values[index], lower: -threshold, upper: threshold) / threshold
                }
            }
        }
        return result
    }

    /// `torch.quantile(values, q)` (linear interpolation; NaNs sort last and make the result NaN).
    static func quantile(_ values: [Float], _ q: Float) -> Float {
        let sorted = values.sorted { $0 < $1 || (!$0.isNaN && $1.isNaN) }
        let lastIndex = sorted.count - 1
        let rank = values.contains(where: \.isNaN) ? Float(lastIndex) : q * Float(lastIndex)
        let below = Int(rank)
        let above = min(Int(rank.rounded(.up)), lastIndex)
        return lerp(sorted[below], sorted[above], weight: rank - Float(below))
    }

    /// torch.lerp: start + w·(end − start) for |w| < 0.5, else end − (end − start)·(1 − w), fused as on the CPU.
    static func lerp(_ start: Float, _ end: Float, weight: Float) -> Float {
        let difference = end - start
        return abs(weight) < 0.5
            ? start.addingProduct(weight, difference)
            : end.addingProduct(-difference, 1 - weight)
    }

    /// `torch.clamp(x, lower, upper)`: min(max(x, lower), upper) with NaN propagated from any operand.
    static func clamp(_ x: Float, lower: Float, upper: Float) -> Float {
        if x.isNaN || lower.isNaN || upper.isNaN { return .nan }
        return min(max(x, lower), upper)
    }
}

// MARK: - Limiting x̂₀ in `step`

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
