// Direct convolution (any kernel size and padding, stride 1) for layers with very few input or output channels
// — the image/latent ends of the SD networks (3 or 4 channels in, 3, 4 or 8 out) — where im2col + GEMM runs
// at a few GFLOP/s: out[o, y, x] = bias[o] + Σ_{c,ky,kx} w[o, c, ky, kx] · in[c, y − top + ky, x − left + kx].
// Each task is one output row; 4 output channels × 32 pixels stay in registers across the whole Σ.
// Equals `Reference.conv2d` within max|a−b|/max|b| ≤ 2e-6 (Conv2DReferenceTests).

/// Stride-1 convolution computed directly, register-blocked over output channels and pixels.
enum DirectConvolution {
    /// Output channels per register block.
    static let channelBlock = 4
    /// Output pixels per register block (two SIMD16 vectors).
    static let pixelBlock = 32

    /// One image: `output = bias + conv(image, weight)` (+ `residual`), output fully written.
    static func convolve(_ image: UnsafePointer<Float>, _ g: ConvGeometry, weight: UnsafePointer<Float>,
                         outChannels: Int, bias: UnsafePointer<Float>?, adding residual: UnsafePointer<Float>?,
                         normalizing map: InputMap?, _ output: UnsafeMutablePointer<Float>) {
        let taps = g.patchSize
        // Weights regrouped as [block][tap][4] (zero for channels past the last), so one block reads them in order.
        let blocks = (outChannels + channelBlock - 1) / channelBlock
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: blocks * taps * channelBlock)
        defer { packed.deallocate() }
        packed.initialize(repeating: 0, count: blocks * taps * channelBlock)
        for o in 0..<outChannels {
            for tap in 0..<taps {
                packed[((o / channelBlock) * taps + tap) * channelBlock + o % channelBlock] = weight[o * taps + tap]
            }
        }
        let plane = g.outHeight * g.outWidth
        parallelFor(g.outHeight, minimumChunk: 2) { y in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: g.kernelWidth * (pixelBlock + 16)) { edge in
                for block in 0..<blocks {
                    var x = 0
                    while x < g.outWidth {
                        let row = RowBlock(y: y, x: x, pixels: min(pixelBlock, g.outWidth - x), block: block,
                                           outChannels: outChannels, plane: plane)
                        accumulate(image, g, packed + block * taps * channelBlock, row, bias: bias,
                                   residual: residual, map: map, output, edge: edge.baseAddress!)
                        x += pixelBlock
                    }
                }
            }
        }
    }

    /// Where one register block writes: output row y, pixels x..<x+pixels, channels 4·block..<4·block+4.
    struct RowBlock {
        let y: Int, x: Int, pixels: Int, block: Int, outChannels: Int, plane: Int
    }

    /// Σ over every input channel and kernel tap for one block, then bias (+ residual) and the stores.
    @inline(__always)
    static func accumulate(_ image: UnsafePointer<Float>, _ g: ConvGeometry, _ w: UnsafePointer<Float>, _ r: RowBlock,
                           bias: UnsafePointer<Float>?, residual: UnsafePointer<Float>?, map: InputMap?,
                           _ output: UnsafeMutablePointer<Float>, edge: UnsafeMutablePointer<Float>) {
        typealias V = VectorMath.Vector
        var a0 = V(), a1 = V(), b0 = V(), b1 = V(), c0 = V(), c1 = V(), d0 = V(), d1 = V()
        // Input columns this block reads: x − left ..< x − left + 32 + kw − 1; inside the row, read in place.
        let firstColumn = r.x - g.padding.left
        let span = pixelBlock + g.kernelWidth - 1
        let inside = map == nil && firstColumn >= 0 && firstColumn + span <= g.width
        var tap = 0
        for c in 0..<g.inChannels {
            for ky in 0..<g.kernelHeight {
                let iy = r.y - g.padding.top + ky
                guard iy >= 0, iy < g.height else { tap += g.kernelWidth; continue }
                var line = image + (c * g.height + iy) * g.width + firstColumn
                if !inside {
                    // A zero-padded (and normalised) copy of the columns this block needs.
                    let low = max(0, -firstColumn), high = max(low, min(span, g.width - firstColumn))
                    edge.update(repeating: 0, count: low)
                    if let map {
                        map.apply(channel: c, line + low, edge + low, count: high - low)
                    } else {
                        (edge + low).update(from: line + low, count: high - low)
                    }
                    (edge + high).update(repeating: 0, count: span - high)
                    line = UnsafePointer(edge)
                }
                for kx in 0..<g.kernelWidth {
                    let x0 = VectorMath.load(line, kx), x1 = VectorMath.load(line, kx + 16)
                    let k = w + tap * channelBlock
                    a0 += x0 * k[0]; a1 += x1 * k[0]
                    b0 += x0 * k[1]; b1 += x1 * k[1]
                    c0 += x0 * k[2]; c1 += x1 * k[2]
                    d0 += x0 * k[3]; d1 += x1 * k[3]
                    tap += 1
                }
            }
        }
        @inline(__always) func put(_ lane: Int, _ low: V, _ high: V) {
            let o = r.block * channelBlock + lane
            guard o < r.outChannels else { return }
            let offset = o * r.plane + r.y * g.outWidth + r.x
            let shift = V(repeating: bias?[o] ?? 0)
            var first = low + shift, second = high + shift
            if let residual {
                first += WinogradStore.load(residual + offset, 0, min(16, r.pixels))
                if r.pixels > 16 { second += WinogradStore.load(residual + offset, 16, r.pixels - 16) }
            }
            WinogradStore.store(first, output + offset, 0, min(16, r.pixels))
            if r.pixels > 16 { WinogradStore.store(second, output + offset, 16, r.pixels - 16) }
        }
        put(0, a0, a1); put(1, b0, b1); put(2, c0, c1); put(3, d0, d1)
    }
}
