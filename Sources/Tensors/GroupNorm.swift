// y = (x − mean_g) / √(var_g + eps) · γ_c + β_c, statistics over each (image, group of channels), then an
// optional fused activation (SiLU in every diffusers ResNet block). One read for the statistics (blockwise
// mean and centred squares, merged in Double) gives a per-channel affine map; one pass applies it — or the
// convolution that follows applies it as it reads its input (`conv2d(…, fusing: .normalizing(…))`), and nothing
// is written. Equals `Reference.groupNorm` (GroupNormReference.swift) within max|a−b|/max|b| ≤ 1e-6
// (GroupNormReferenceTests).

/// A per-(image, channel) affine map with an optional activation, x ↦ act(x · scale + shift): a group norm
/// (+ SiLU) as its statistics define it, to be applied where the normalised tensor is read (see `conv2d`'s
/// `.normalizing` fusion) instead of materialised.
public struct ChannelNormalization: Sendable {
    /// Scale and shift per image and channel, `[batch · channels]`.
    public let scale: [Float], shift: [Float]
    public let activation: Activation?
    public let channels: Int

    /// The map for image `n`, channel `c`.
    @inlinable
    public func parameters(image n: Int, channel c: Int) -> (scale: Float, shift: Float) {
        (scale[n * channels + c], shift[n * channels + c])
    }

    /// `act(x · scale + shift)` over `count` floats.
    @inlinable @inline(__always)
    public func apply(_ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int,
                      scale: Float, shift: Float) {
        Tensor.scaleShift(input, output, count: count, scale: scale, shift: shift, activation: activation)
    }
}

extension Tensor {
    /// `F.group_norm(self, groups, weight, bias, eps)` on an `[N, C, …]` tensor, optionally followed by an activation.
    public func groupNorm(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float,
                          activation: Activation? = nil) -> Tensor {
        let normalization = groupNormalization(groups: groups, weight: weight, bias: bias, epsilon: epsilon,
                                               activation: activation)
        return normalized(by: normalization)
    }

    /// The group norm's statistics as a per-channel map (one read of the tensor), without applying it.
    public func groupNormalization(groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float,
                                   activation: Activation? = nil) -> ChannelNormalization {
        precondition(rank >= 2, "group norm needs [N, C, …], got \(shape)")
        let batch = shape[0], channels = shape[1]
        precondition(groups > 0 && channels % groups == 0, "group norm: \(channels) channels not divisible by \(groups) groups")
        let plane = count / (batch * channels)
        let channelsPerGroup = channels / groups
        let gamma = weight?.scalars, beta = bias?.scalars
        var scale = [Float](repeating: 0, count: batch * channels), shift = scale
        KernelProfile.run("group norm statistics") {
            withUnsafeBufferPointer { input in
                scale.withUnsafeMutableBufferPointer { scales in
                    shift.withUnsafeMutableBufferPointer { shifts in
                        let scales = scales.baseAddress!, shifts = shifts.baseAddress!
                        parallelFor(batch * groups) { block in
                            let start = block * channelsPerGroup * plane
                            let (mean, rstd) = Tensor.meanAndReciprocalStd(input.baseAddress! + start,
                                                                           count: channelsPerGroup * plane, epsilon: epsilon)
                            for local in 0..<channelsPerGroup {
                                let channel = (block % groups) * channelsPerGroup + local
                                let a = rstd * (gamma?[channel] ?? 1)
                                scales[block * channelsPerGroup + local] = a
                                shifts[block * channelsPerGroup + local] = (beta?[channel] ?? 0) - mean * a
                            }
                        }
                    }
                }
            }
        }
        return ChannelNormalization(scale: scale, shift: shift, activation: activation, channels: channels)
    }

    /// `act(x · scale[n, c] + shift[n, c])` for every element of an `[N, C, …]` tensor.
    public func normalized(by normalization: ChannelNormalization) -> Tensor {
        precondition(rank >= 2 && shape[1] == normalization.channels && normalization.scale.count == shape[0] * shape[1],
                     "normalisation for \(normalization.channels) channels does not fit \(shape)")
        let planes = shape[0] * shape[1], plane = count / max(planes, 1)
        var result = Tensor(uninitialized: shape)
        KernelProfile.run(normalization.activation == nil ? "group norm" : "group norm + activation") {
            withUnsafeBufferPointer { input in
                result.withUnsafeMutableBufferPointer { output in
                    parallelFor(planes) { p in
                        normalization.apply(input.baseAddress! + p * plane, output.baseAddress! + p * plane, count: plane,
                                            scale: normalization.scale[p], shift: normalization.shift[p])
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
