// y = (x − mean_g) / √(var_g + eps) · γ_c + β_c, statistics over each (image, group of channels), then an
// optional fused activation (SiLU in every diffusers ResNet block). One read for the statistics (`GroupMoments`:
// blockwise mean and centred squares, merged in Double; a tensor made a row band at a time merges its bands'
// moments) gives a per-channel affine map; one pass applies it — or the
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

    /// The map with these per-(image, channel) scales and shifts.
    public init(scale: [Float], shift: [Float], activation: Activation?, channels: Int) {
        self.scale = scale
        self.shift = shift
        self.activation = activation
        self.channels = channels
    }

    /// The group norm (+ `activation`) whose statistics are `moments`, one per (image, group) in that order.
    public init(moments: [GroupMoments], groups: Int, channels: Int, weight: Tensor?, bias: Tensor?, epsilon: Float,
                activation: Activation? = nil) {
        let channelsPerGroup = channels / groups
        let gamma = weight?.scalars, beta = bias?.scalars
        var scale = [Float](repeating: 0, count: moments.count * channelsPerGroup), shift = scale
        for (block, blockMoments) in moments.enumerated() {
            let (mean, rstd) = blockMoments.meanAndReciprocalStd(epsilon: epsilon)
            for local in 0..<channelsPerGroup {
                let channel = (block % groups) * channelsPerGroup + local
                let a = rstd * (gamma?[channel] ?? 1)
                scale[block * channelsPerGroup + local] = a
                shift[block * channelsPerGroup + local] = (beta?[channel] ?? 0) - mean * a
            }
        }
        self.init(scale: scale, shift: shift, activation: activation, channels: channels)
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
        let run = channels / groups * (count / (batch * channels))
        var moments = [GroupMoments](repeating: GroupMoments(), count: batch * groups)
        KernelProfile.run("group norm statistics") {
            withUnsafeBufferPointer { input in
                moments.withUnsafeMutableBufferPointer { blocks in
                    let blocks = blocks.baseAddress!
                    parallelFor(batch * groups) { block in blocks[block].add(input.baseAddress! + block * run, count: run) }
                }
            }
        }
        return ChannelNormalization(moments: moments, groups: groups, channels: channels, weight: weight, bias: bias,
                                    epsilon: epsilon, activation: activation)
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

    /// Mean and 1/√(biased variance + eps) of `count` floats, reading memory once (see `GroupMoments`).
    @inlinable
    static func meanAndReciprocalStd(_ values: UnsafePointer<Float>, count: Int, epsilon: Float) -> (Float, Float) {
        var moments = GroupMoments()
        moments.add(values, count: count)
        return moments.meanAndReciprocalStd(epsilon: epsilon)
    }

    /// The moments of each (image, group) of this `[N, C, …]` tensor, to merge with other row bands' (the group
    /// norm of a tensor computed a band at a time, never whole: `ChannelNormalization(moments:…)`).
    public func groupMoments(groups: Int) -> [GroupMoments] {
        let batch = shape[0], channels = shape[1], plane = count / max(batch * channels, 1)
        let run = channels / groups * plane
        return withUnsafeBufferPointer { input in
            (0..<(batch * groups)).map { block in
                var moments = GroupMoments()
                moments.add(input.baseAddress! + block * run, count: run)
                return moments
            }
        }
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
