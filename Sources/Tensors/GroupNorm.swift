// y = (x − mean_g) / √(var_g + eps) · γ_c + β_c, statistics over each (image, group of channels), then an
// optional fused activation (SiLU in every diffusers ResNet block). Two passes per group (mean, then
// centred variance, accumulated in Double across SIMD16 blocks), one fused scale-shift-activate pass.

extension Tensor {
    /// `F.group_norm(self, groups, weight, bias, eps)` on an `[N, C, …]` tensor, optionally followed by an activation.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float,
                          activation: Activation? = nil) -> Tensor {
        precondition(rank >= 2, "group norm needs [N, C, …], got \(shape)")
        let batch = shape[0], channels = shape[1]
        precondition(groups > 0 && channels % groups == 0, "group norm: \(channels) channels not divisible by \(groups) groups")
        let plane = count / (batch * channels)
        let channelsPerGroup = channels / groups
        let gamma = weight?.scalars, beta = bias?.scalars
        var result = Tensor(uninitialized: shape)
        KernelProfile.run(activation == nil ? "group norm" : "group norm + activation") {
            withUnsafeBufferPointer { input in
                result.withUnsafeMutableBufferPointer { output in
                    parallelFor(batch * groups) { block in
                        let start = block * channelsPerGroup * plane
                        let (mean, rstd) = Tensor.meanAndReciprocalStd(input.baseAddress! + start,
                                                                       count: channelsPerGroup * plane, epsilon: epsilon)
                        for local in 0..<channelsPerGroup {
                            let channel = (block % groups) * channelsPerGroup + local
                            let scale = rstd * (gamma?[channel] ?? 1)
                            let shift = (beta?[channel] ?? 0) - mean * scale
                            let offset = start + local * plane
                            Tensor.scaleShift(input.baseAddress! + offset, output.baseAddress! + offset, count: plane,
                                              scale: scale, shift: shift, activation: activation)
                        }
                    }
                }
            }
        }
        return result
    }

    /// Mean and 1/√(biased variance + eps) of `count` floats (two passes: mean, then centred squares).
    @inlinable
    static func meanAndReciprocalStd(_ values: UnsafePointer<Float>, count: Int, epsilon: Float) -> (Float, Float) {
        let mean = Float(VectorMath.sum(values, count: count) / Double(count))
        let centred = VectorMath.Vector(repeating: mean)
        // Padding lanes load `mean`, so they contribute zero to the centred sum of squares.
        var sumSquares = 0.0
        var start = 0
        while start < count {
            let end = min(start + 256, count)
            var lanes = VectorMath.Vector()
            var i = start
            while i + 16 <= end { let d = VectorMath.load(values, i) - centred; lanes += d * d; i += 16 }
            if i < end {
                let d = VectorMath.loadPartial(values, i, count: end - i, padding: mean) - centred
                lanes += d * d
            }
            sumSquares += Double(lanes.sum())
            start = end
        }
        let variance = sumSquares / Double(count)
        return (mean, Float(1 / (variance + Double(epsilon)).squareRoot()))
    }

    /// `out = act(in · scale + shift)` over `count` floats.
    @inlinable @inline(__always)
    static func scaleShift(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int,
                           scale: Float, shift: Float, activation: Activation?) {
        if let activation {
            VectorMath.map(input, output, count: count) { activation.apply($0 * scale + shift) }
        } else {
            VectorMath.map(input, output, count: count) { $0 * scale + shift }
        }
    }
}
