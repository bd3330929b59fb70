// Dynamic thresholding of the predicted x₀ (Imagen, arXiv 2205.11487): per batch item, s = the `ratio` quantile
// of |x₀| (torch.quantile, linear interpolation), clamped to [1, sample_max_value]; x₀ ← clamp(x₀, −s, s) / s.

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

    /// The thresholded sample; the first dimension is the batch, the rest are flattened per item.
    public func apply(_ sample: Tensor) -> Tensor {
        guard sample.rank >= 1, sample.count > 0 else { return sample }
        let batch = sample.shape[0], perItem = sample.count / max(batch, 1)
        var result = sample
        result.withUnsafeMutableBufferPointer { values in
            for item in 0..<batch {
                let range = item * perItem..<(item + 1) * perItem
                let threshold = thresholdValue(values[range].map { abs($0) })
                for index in range {
                    values[index] = min(max(values[index], -threshold), threshold) / threshold
                }
            }
        }
        return result
    }

    /// `torch.clamp(torch.quantile(|x|, ratio), 1, sample_max_value)` for one item, in float32 as torch does.
    func thresholdValue(_ magnitudes: [Float]) -> Float {
        let sorted = magnitudes.sorted()
        let rank = Float(ratio) * Float(sorted.count - 1)
        let below = Int(rank), above = Int(rank.rounded(.up))
        let weight = rank - Float(below)
        let quantile = interpolate(sorted[below], sorted[above], weight: weight)
        return min(max(quantile, 1), Float(sampleMaxValue))
    }

    /// torch.lerp: start + w·(end − start) for |w| < 0.5, else end − (end − start)·(1 − w), fused as on the CPU.
    private func interpolate(_ start: Float, _ end: Float, weight: Float) -> Float {
        let difference = end - start
        return abs(weight) < 0.5
            ? start.addingProduct(weight, difference)
            : end.addingProduct(-difference, 1 - weight)
    }
}
