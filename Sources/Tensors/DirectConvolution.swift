// Direct convolution (any kernel size and padding, stride 1) for layers with very few input or output channels
// — the image/latent ends of the SD networks (3 or 4 channels in, 3, 4 or 8 out) — where im2col + GEMM runs
// at a few GFLOP/s: out[o, y, x] = bias[o] + Σ_{c,ky,kx} w[o, c, ky, kx] · in[c, y − top + ky, x − left + kx].
// Each task is a band of output rows: the input rows it reads are first copied, zero-padded (and normalised,
// when the conv reads a group norm + SiLU of its input), into a per-worker band, so every input value is mapped
// once per band rather than once per kernel row and pixel block; then 4 output channels × 32 pixels stay in
// registers across the whole Σ, reading the band in place.
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
        let band = InputBand(g)
        let bands = (g.outHeight + band.rows - 1) / band.rows
        parallelWorkers(sharing: bands) { take in
            let values = UnsafeMutablePointer<Float>.allocate(capacity: band.floats)
            defer { values.deallocate() }
            while let index = take() {
                let firstRow = index * band.rows, rows = min(band.rows, g.outHeight - firstRow)
                band.fill(values, from: image, firstOutputRow: firstRow, outputRows: rows, map: map)
                for y in firstRow..<firstRow + rows {
                    for block in 0..<blocks {
                        for x in stride(from: 0, to: g.outWidth, by: pixelBlock) {
                            let row = RowBlock(y: y, x: x, pixels: min(pixelBlock, g.outWidth - x), block: block,
                                               outChannels: outChannels, plane: plane)
                            accumulate(values + (y - firstRow) * band.rowStride + x, band, g,
                                       packed + block * taps * channelBlock, row, bias: bias, residual: residual,
                                       output)
                        }
                    }
                }
            }
        }
    }

    /// The zero-padded input rows one band of output rows reads, channel by channel: [inChannels][rows + kh − 1]
    /// rows of `rowStride` floats (the padded width, rounded so a last, partial pixel block still reads inside).
    struct InputBand {
        /// Output rows per band.
        let rows: Int
        /// Input rows a band holds per channel.
        let inputRows: Int
        let rowStride: Int
        let geometry: ConvGeometry
        /// Floats a band may take at most (rows shrink to fit, down to one): 8 MB.
        static let budget = 1 << 21
        /// Output rows per band at most: each input row is then mapped (8 + kh − 1) / 8 times, not kh.
        static let maximumRows = 8

        init(_ g: ConvGeometry) {
            geometry = g
            rowStride = (g.outWidth + pixelBlock - 1) / pixelBlock * pixelBlock + g.kernelWidth - 1
            let fitting = InputBand.budget / max(1, g.inChannels * rowStride) - (g.kernelHeight - 1)
            rows = max(1, min(InputBand.maximumRows, fitting, g.outHeight))
            inputRows = rows + g.kernelHeight - 1
        }

        var floats: Int { geometry.inChannels * inputRows * rowStride }
        /// Floats between two channels of the band.
        var channelStride: Int { inputRows * rowStride }

        /// Copies (maps) the input rows output rows firstOutputRow..<+outputRows read, zeros where they pad.
        func fill(_ band: UnsafeMutablePointer<Float>, from image: UnsafePointer<Float>, firstOutputRow: Int,
                  outputRows: Int, map: InputMap?) {
            let g = geometry, left = g.padding.left
            let columns = min(g.width, rowStride - left)
            for c in 0..<g.inChannels {
                for i in 0..<outputRows + g.kernelHeight - 1 {
                    let line = band + c * channelStride + i * rowStride
                    let iy = firstOutputRow - g.padding.top + i
                    guard iy >= 0, iy < g.height else { line.update(repeating: 0, count: rowStride); continue }
                    line.update(repeating: 0, count: left)
                    let source = image + (c * g.height + iy) * g.width
                    if let map {
                        map.apply(channel: c, source, line + left, count: columns)
                    } else {
                        (line + left).update(from: source, count: columns)
                    }
                    (line + left + columns).update(repeating: 0, count: rowStride - left - columns)
                }
            }
        }
    }

    /// Where one register block writes: output row y, pixels x..<x+pixels, channels 4·block..<4·block+4.
    struct RowBlock {
        let y: Int, x: Int, pixels: Int, block: Int, outChannels: Int, plane: Int
    }

    /// Σ over every input channel and kernel tap for one block, read from the band at `origin` (its first channel's
    /// first row, at the block's first column), then bias (+ residual) and the stores.
    @inline(__always)
    static func accumulate(_ origin: UnsafePointer<Float>, _ band: InputBand, _ g: ConvGeometry,
                           _ w: UnsafePointer<Float>, _ r: RowBlock, bias: UnsafePointer<Float>?,
                           residual: UnsafePointer<Float>?, _ output: UnsafeMutablePointer<Float>) {
        typealias V = VectorMath.Vector
        var a0 = V(), a1 = V(), b0 = V(), b1 = V(), c0 = V(), c1 = V(), d0 = V(), d1 = V()
        var tap = 0
        for c in 0..<g.inChannels {
            for ky in 0..<g.kernelHeight {
                let line = origin + c * band.channelStride + ky * band.rowStride
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
