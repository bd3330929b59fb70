// y = (x − mean_g) / √(var_g + eps) · γ_c + β_c, statistics over each (image, group of channels), then an
// optional fused activation (SiLU in every diffusers ResNet block). One read for the statistics (blockwise
// mean and centred squares, merged in Double), one fused scale-shift-activate pass.

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

    /// Mean and 1/√(biased variance + eps) of `count` floats, reading memory once: each block of 256 is summed,
    /// then its squares are centred on the block's own mean (a second pass over data still in L1), and the
    /// blocks merge by Chan's formula in Double — the accuracy of a two-pass variance at one pass's traffic.
    @inlinable
    static func meanAndReciprocalStd(_ values: UnsafePointer<Float>, count: Int, epsilon: Float) -> (Float, Float) {
        var total = 0, mean = 0.0, m2 = 0.0
        var start = 0
        while start < count {
            let n = min(256, count - start)
            let block = values + start
            let blockMean = VectorMath.sum(block, count: n) / Double(n)
            // Padding lanes load the block mean, so they contribute zero to the centred squares.
            let centre = Float(blockMean), centred = VectorMath.Vector(repeating: centre)
            var lanes = VectorMath.Vector()
            var i = 0
            while i + 16 <= n { let d = VectorMath.load(block, i) - centred; lanes += d * d; i += 16 }
            if i < n {
                let d = VectorMath.loadPartial(block, i, count: n - i, padding: centre) - centred
                lanes += d * d
            }
            // Σ(x − c)² around the rounded centre c, corrected to the exact block mean: − n(mean − c)².
            let offset = blockMean - Double(centre)
            let blockM2 = Double(lanes.sum()) - Double(n) * offset * offset
            let merged = total + n
            let delta = blockMean - mean
            mean += delta * Double(n) / Double(merged)
            m2 += blockM2 + delta * delta * Double(total) * Double(n) / Double(merged)
            total = merged
            start += n
        }
        let variance = max(0, m2 / Double(count))
        return (Float(mean), Float(1 / (variance + Double(epsilon)).squareRoot()))
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
