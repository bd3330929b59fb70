// Dynamic thresholding (Imagen, arXiv:2205.11487) as diffusers' `_threshold_sample`: per batch item, s is the
// `ratio` quantile of |x₀| (torch.quantile, linear interpolation), clamped to [1, max]; x₀ ← clamp(x₀, −s, s)/s.

import Foundation
import Tensors

/// `_threshold_sample(sample)` for a [B, …] tensor.
func multistepThreshold(_ sample: Tensor, ratio: Double, maxValue: Double) -> Tensor {
    let batch = sample.shape.first ?? 1
    guard batch > 0, sample.count > 0 else { return sample }
    let rowLength = sample.count / batch
    var result = Tensor(uninitialized: sample.shape)
    result.withUnsafeMutableBufferPointer { out in
        sample.withUnsafeBufferPointer { x in
            for row in 0..<batch {
                let values = UnsafeBufferPointer(rebasing: x[(row * rowLength)..<((row + 1) * rowLength)])
                let quantile = multistepTorchQuantile(values.map { abs($0) }, Float(ratio))
                let s = multistepTorchClamp(quantile, lower: 1, upper: Float(maxValue))
                for i in (row * rowLength)..<((row + 1) * rowLength) {
                    out[i] = multistepTorchClamp(x[i], lower: -s, upper: s) / s
                }
            }
        }
    }
    return result
}

/// `torch.quantile(values, q)` (linear interpolation; NaN when any value is NaN), float32 arithmetic.
func multistepTorchQuantile(_ values: [Float], _ q: Float) -> Float {
    let sorted = values.sorted { $0 < $1 || (!$0.isNaN && $1.isNaN) }
    let lastIndex = sorted.count - 1
    let rank = values.contains(where: \.isNaN) ? Float(lastIndex) : q * Float(lastIndex)
    let below = Int(rank)
    let above = min(Int(rank.rounded(.up)), lastIndex)
    return multistepTorchLerp(sorted[below], sorted[above], weight: rank - Float(below))
}

/// `torch.lerp` as ATen's kernel evaluates it (fused multiply-add, from the nearer end).
func multistepTorchLerp(_ start: Float, _ end: Float, weight: Float) -> Float {
    abs(weight) < 0.5 ? start.addingProduct(weight, end - start)
                      : end.addingProduct(-(end - start), 1 - weight)
}

/// `torch.clamp(x, lower, upper)`: `min(max(x, lower), upper)` with NaN propagated from any operand.
func multistepTorchClamp(_ x: Float, lower: Float, upper: Float) -> Float {
    if x.isNaN || lower.isNaN || upper.isNaN { return .nan }
    return min(max(x, lower), upper)
}
