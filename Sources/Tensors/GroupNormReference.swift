// y = (x − mean_g) / √(var_g + eps) · γ_c + β_c (+ activation), statistics over each (image, group of channels):
// the reference of GroupNorm.swift — a two-pass mean and biased variance in Double, then one loop per element.

extension Reference {
    /// `F.group_norm(input, groups, weight, bias, eps)` on `[N, C, …]`, optionally followed by `activation`.
    public static func groupNorm(_ input: Tensor, groups: Int, weight: Tensor?, bias: Tensor?, epsilon: Float,
                                 activation: Activation? = nil) -> Tensor {
        let batch = input.shape[0], channels = input.shape[1]
        precondition(channels % groups == 0, "group norm: \(channels) channels not divisible by \(groups) groups")
        let plane = input.count / (batch * channels), perGroup = channels / groups * plane
        let x = input.scalars, gamma = weight?.scalars, beta = bias?.scalars
        var y = [Float](repeating: 0, count: x.count)
        for n in 0..<batch {
            for g in 0..<groups {
                let group = (n * groups + g) * perGroup ..< (n * groups + g + 1) * perGroup
                var mean = 0.0
                for i in group { mean += Double(x[i]) }
                mean /= Double(perGroup)
                var variance = 0.0
                for i in group { variance += (Double(x[i]) - mean) * (Double(x[i]) - mean) }
                variance /= Double(perGroup)
                for i in group {
                    let c = (i / plane) % channels
                    var value = (Double(x[i]) - mean) / (variance + Double(epsilon)).squareRoot()
                    value = value * Double(gamma?[c] ?? 1) + Double(beta?[c] ?? 0)
                    y[i] = Float(activation.map { Reference.activation($0, value) } ?? value)
                }
            }
        }
        return Tensor(shape: input.shape, values: y)
    }
}
