// Nearest-neighbour 2× upsampling of NCHW: out[n, c, y, x] = in[n, c, ⌊y/2⌋, ⌊x/2⌋]
// (F.interpolate(scale_factor=2, mode="nearest")), one input row written to two output rows.

extension Tensor {
    /// `F.interpolate(self, scale_factor=2.0, mode="nearest")` for an NCHW tensor.
    public func upsampledNearest2x() -> Tensor {
        precondition(rank == 4, "upsample needs NCHW, got \(shape)")
        let planes = shape[0] * shape[1], height = shape[2], width = shape[3]
        var result = Tensor(uninitialized: [shape[0], shape[1], height * 2, width * 2])
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
        return result
    }
}
