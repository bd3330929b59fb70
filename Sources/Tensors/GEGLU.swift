// GEGLU's gate: for x = [h, g] split in half along the last dimension, out = h · GELU(g) (diffusers `GEGLU`:
// `hidden, gate = proj(x).chunk(2, -1); hidden * gelu(gate)`), in one pass with no copies of the halves.

extension Tensor {
    /// `h * gelu(g)` for `[h, g] = self.chunk(2, dim=-1)`, with the exact (erf) GELU: `[…, 2n] → […, n]`.
    public func geglu() -> Tensor {
        let width = shape.last ?? 0
        precondition(width % 2 == 0, "geglu needs an even last dimension, got \(shape)")
        let half = width / 2, rows = count / max(width, 1)
        var result = Tensor(uninitialized: Array(shape.dropLast()) + [half])
        KernelProfile.run("geglu") {
            withUnsafeBufferPointer { input in
                result.withUnsafeMutableBufferPointer { output in
                    let x = input.baseAddress!, y = output.baseAddress!
                    parallelFor(rows, minimumChunk: 16) { row in
                        let hidden = x + row * width, gate = hidden + half, out = y + row * half
                        var i = 0
                        while i + 16 <= half {
                            let g = Activation.gelu.apply(VectorMath.load(gate, i))
                            VectorMath.store(VectorMath.load(hidden, i) * g, out, i)
                            i += 16
                        }
                        if i < half {
                            let g = Activation.gelu.apply(VectorMath.loadPartial(gate, i, count: half - i))
                            let h = VectorMath.loadPartial(hidden, i, count: half - i)
                            VectorMath.storePartial(h * g, out, i, count: half - i)
                        }
                    }
                }
            }
        }
        return result
    }
}
