// Running mean and sum of squared deviations of a group norm's values, read once: each block of 256 is summed,
// then its squares are centred on the block's own mean (a second pass over data still in L1), and the blocks
// merge by Chan's formula in Double — the accuracy of a two-pass variance at one pass's traffic. Moments of
// separate runs (a tensor's row bands) merge the same way.

/// Count, mean and Σ(x − mean)² of the values added so far.
public struct GroupMoments: Sendable {
    public private(set) var count = 0
    public private(set) var mean = 0.0
    public private(set) var m2 = 0.0

    public init() {}

    /// Adds `count` contiguous floats.
    public mutating func add(_ values: UnsafePointer<Float>, count: Int) {
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
            merge(count: n, mean: blockMean, m2: Double(lanes.sum()) - Double(n) * offset * offset)
            start += n
        }
    }

    /// Merges the moments of other values (Chan et al.).
    public mutating func merge(_ other: GroupMoments) { merge(count: other.count, mean: other.mean, m2: other.m2) }

    mutating func merge(count n: Int, mean otherMean: Double, m2 otherM2: Double) {
        guard n > 0 else { return }
        let merged = count + n
        let delta = otherMean - mean
        mean += delta * Double(n) / Double(merged)
        m2 += otherM2 + delta * delta * Double(count) * Double(n) / Double(merged)
        count = merged
    }

    /// The mean and 1/√(biased variance + eps), as Float.
    public func meanAndReciprocalStd(epsilon: Float) -> (Float, Float) {
        let variance = max(0, m2 / Double(max(count, 1)))
        return (Float(mean), Float(1 / (variance + Double(epsilon)).squareRoot()))
    }
}
