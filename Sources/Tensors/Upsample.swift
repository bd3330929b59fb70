// Nearest-neighbour 2× upsampling of NCHW: out[n, c, y, x] = in[n, c, ⌊y/2⌋, ⌊x/2⌋]
// (F.interpolate(scale_factor=2, mode="nearest")), one input row written to two output rows.

extension Tensor {
    /// `F.interpolate(self, scale_factor=2.0, mode="nearest")` for an NCHW tensor.
    public func upsampledNearest2x() -> Tensor {
        precondition(rank == 4, "upsample needs NCHW, got \(shape)")
        let planes = shape[0] * shape[1], height = shape[2], width = shape[3]
        var result = Tensor(uninitialized: [shape[0], shape[1], height * 2, width * 2])
        KernelProfile.run("upsample") {
            withUnsafeBufferPointer { input in
                result.withUnsafeMutableBufferPointer { output in
                    parallelFor(planes * height, minimumChunk: 16) { inputRow in
                        let source = input.baseAddress! + inputRow * width
                        let destination = output.baseAddress! + inputRow * 4 * width
                        for x in 0..<width {
                            destination[2 * x] = source[x]
                            destination[2 * x + 1] = source[x]
                        }
                        (destination + 2 * width).update(from: destination, count: 2 * width)
                    }
                }
            }
        }
        return result
    }
}

extension Tensor {
    /// `F.interpolate(self, size=(height, width), mode="nearest")`: source index ⌊dst · in/out⌋ (float scale,
    /// clamped), exactly torch's `nearest_idx`; an exact 2× falls back to the fast path.
    public func upsampledNearest(height: Int, width: Int) -> Tensor {
        precondition(rank == 4, "upsample needs NCHW, got \(shape)")
        let inHeight = shape[2], inWidth = shape[3]
        if height == 2 * inHeight && width == 2 * inWidth { return upsampledNearest2x() }
        let rowSource = Tensor.nearestIndices(output: height, input: inHeight)
        let columnSource = Tensor.nearestIndices(output: width, input: inWidth)
        let planes = shape[0] * shape[1]
        var result = Tensor(uninitialized: [shape[0], shape[1], height, width])
        KernelProfile.run("upsample") {
            withUnsafeBufferPointer { input in
                result.withUnsafeMutableBufferPointer { output in
                    parallelFor(planes * height, minimumChunk: 16) { outputRow in
                        let plane = outputRow / height, y = outputRow % height
                        let source = input.baseAddress! + (plane * inHeight + rowSource[y]) * inWidth
                        let destination = output.baseAddress! + outputRow * width
                        for x in 0..<width { destination[x] = source[columnSource[x]] }
                    }
                }
            }
        }
        return result
    }

    /// torch's `nearest_idx`: `min(Int(Float(dst) · (Float(in) / Float(out))), in − 1)`, with the exact-2× shift.
    static func nearestIndices(output: Int, input: Int) -> [Int] {
        if output == 2 * input { return (0..<output).map { $0 >> 1 } }
        if output == input { return Array(0..<output) }
        let scale = Float(input) / Float(output)
        return (0..<output).map { min(Int((Float($0) * scale).rounded(.down)), input - 1) }
    }
}
