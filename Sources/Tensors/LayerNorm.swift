// y = (x − mean) / √(var + eps) · γ + β over the last dimension (torch.nn.LayerNorm), one row at a time,
// rows in parallel; statistics as in GroupNorm (one read: blockwise centred sums merged in Double).

extension Tensor {
    /// `F.layer_norm(self, [C], weight, bias, eps)` over the last dimension.
    public func layerNorm(weight: Tensor?, bias: Tensor?, epsilon: Float) -> Tensor {
        let width = shape.last ?? 1
        precondition(weight == nil || weight!.count == width, "layer norm weight \(weight!.shape) does not match \(shape)")
        let rows = count / max(width, 1)
        var result = Tensor(uninitialized: shape)
        let unit = Tensor(repeating: 1, shape: [width]), zero = Tensor(zeros: [width])
        let gamma = weight ?? unit, beta = bias ?? zero
        KernelProfile.run("layer norm") {
            withUnsafeBufferPointer { input in
                result.withUnsafeMutableBufferPointer { output in
                    gamma.withUnsafeBufferPointer { g in
                        beta.withUnsafeBufferPointer { b in
                            parallelFor(rows, minimumChunk: 8) { row in
                                let source = input.baseAddress! + row * width
                                let destination = output.baseAddress! + row * width
                                let (mean, rstd) = Tensor.meanAndReciprocalStd(source, count: width, epsilon: epsilon)
                                for i in 0..<width {
                                    destination[i] = (source[i] - mean) * rstd * g[i] + b[i]
                                }
                            }
                        }
                    }
                }
            }
        }
        return result
    }
}
