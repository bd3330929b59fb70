// out[b, i, h] = Σ_j softmax_j(scale · q[b, i, h] · k[b, j, h] [j ≤ i when causal]) · v[b, j, h] per head h:
// the reference of Attention.swift — the whole score row of each query in Double, its maximum subtracted
// before the exponentials, then the weighted sum of the values.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension Reference {
    /// `F.scaled_dot_product_attention` over `[B, N, heads·D]` query and `[B, M, heads·D]` key and value;
    /// `scale` defaults to 1/√D; `causal` masks the keys after each query.
    public static func scaledDotProduct(query: Tensor, key: Tensor, value: Tensor, heads: Int, scale: Float? = nil,
                                        causal: Bool = false) -> Tensor {
        let (batch, queries, width) = (query.shape[0], query.shape[1], query.shape[2])
        let keys = key.shape[1], headDim = width / heads
        let scale = Double(scale ?? 1 / Float(headDim).squareRoot())
        let q = query.scalars, k = key.scalars, v = value.scalars
        var out = [Float](repeating: 0, count: query.count)
        var scores = [Double](repeating: 0, count: keys)
        for b in 0..<batch {
            for h in 0..<heads {
                for i in 0..<queries {
                    let visible = causal ? min(keys, i + 1) : keys
                    let row = (b * queries + i) * width + h * headDim
                    for j in 0..<visible {
                        let column = (b * keys + j) * width + h * headDim
                        var dot = 0.0
                        for d in 0..<headDim { dot += Double(q[row + d]) * Double(k[column + d]) }
                        scores[j] = scale * dot
                    }
                    let largest = scores[0..<visible].max()!
                    var total = 0.0
                    for j in 0..<visible {
                        scores[j] = exp(scores[j] - largest)
                        total += scores[j]
                    }
                    for d in 0..<headDim {
                        var sum = 0.0
                        for j in 0..<visible { sum += scores[j] * Double(v[(b * keys + j) * width + h * headDim + d]) }
                        out[row + d] = Float(sum / total)
                    }
                }
            }
        }
        return Tensor(shape: query.shape, values: out)
    }
}
