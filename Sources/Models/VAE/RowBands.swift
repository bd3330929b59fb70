// The VAE at large sizes, a row band at a time. At 2048² its full-resolution activations are 128–512 channels ×
// 2048² floats — 2 to 8 GB each — and a ResNet block holds three of them. Past `RowBands.thresholdBytes` the
// blocks run in bands of rows instead, with the same arithmetic: a 3×3 convolution of output rows [r0, r1) reads
// input rows [r0 − 1, r1 + 1) (zero padding only at the image's own edges), and a group norm's statistics are
// the merged moments of its bands (`GroupMoments`), so nothing is blended and no tile seams exist (unlike
// diffusers' `enable_vae_tiling`). Two patterns remove the largest tensors:
//  - an upsampler followed by a ResNet block: the upsampled-and-convolved tensor is never stored; it is
//    recomputed band by band: for its group-norm statistics, for conv1, and for the shortcut;
//  - every ResNet block: conv2's bands, plus the shortcut's (or the input's) rows, overwrite conv1's output in
//    place (keeping the one row the next band still reads), so the block's output reuses that storage and the
//    shortcut is never stored whole.
// The outputs agree with the whole-tensor computation to float rounding (the convolution tiles and the moment
// blocks fall differently); `VAEBandingTests` bounds the difference.

import Tensors

/// When and how the VAE's blocks run in row bands.
public enum RowBands {
    /// Tensors larger than this (bytes) are not stored whole by a ResNet block: it runs in bands. 1 GiB keeps
    /// 1024² images (SDXL's) on the whole-tensor path, which is faster; 2048² ones go banded.
    nonisolated(unsafe) public static var thresholdBytes = 1 << 30
    /// Output rows per band (a multiple of 4, the Winograd tile height).
    nonisolated(unsafe) public static var rows = 64

    /// Whether a tensor of `shape` is large enough to run in bands (batch 1 only).
    static func applies(to shape: [Int]) -> Bool {
        shape.count == 4 && shape[0] == 1 && shape.reduce(MemoryLayout<Float>.size, *) > thresholdBytes
    }

    /// Consecutive bands of `rows` rows covering `0..<height` — only the first two once the bound work is
    /// cancelled: a cancelled run stops within two bands (the copies between bands are not kernels that poll),
    /// and a dry run (`MemoryLedger`) still allocates the largest band's temporaries (the second band is the
    /// first with a halo on both sides, as every middle band has).
    static func bands(height: Int) -> some Sequence<Range<Int>> {
        let cancellation = WorkCancellation.current
        return stride(from: 0, to: height, by: rows).lazy
            .prefix(while: { start in start <= rows || cancellation?.isRequested != true })
            .map { $0..<min(height, $0 + rows) }
    }

    /// `rows` widened by `halo` on each side, within `0..<height`.
    static func widened(_ rows: Range<Int>, by halo: Int, height: Int) -> Range<Int> {
        max(0, rows.lowerBound - halo)..<min(height, rows.upperBound + halo)
    }
}

extension Conv2d {
    /// Output rows `rows` of this stride-1, 3×3, padding-1 convolution over an input `height` rows tall, from
    /// `input`, which holds the input rows `RowBands.widened(rows, by: 1, …)` (zero padding at the image's edges
    /// only), with `fusion` done as the whole-tensor call does it.
    func band(_ rows: Range<Int>, height: Int, of input: Tensor, fusing fusion: Conv2DFusion = .none) -> Tensor {
        precondition(padding == .uniform(1) && stride == 1 && weight.shape[2] == 3, "row bands are for 3×3 convolutions")
        let edges = Padding2D(top: rows.lowerBound == 0 ? 1 : 0, bottom: rows.upperBound == height ? 1 : 0,
                              left: 1, right: 1)
        return callAsFunction(input, padding: edges, fusing: fusion)
    }
}

extension Tensor {
    /// Rows `rows` (axis 2) of an `[N, C, H, W]` tensor.
    func rows(_ rows: Range<Int>) -> Tensor { slice(along: 2, from: rows.lowerBound, count: rows.count) }

    /// Writes `band` (`[N, C, r, W]`) over rows `start..<start + r`.
    mutating func writeRows(_ band: Tensor, at start: Int) {
        let (planes, height, width, count) = (shape[0] * shape[1], shape[2], shape[3], band.shape[2])
        precondition(band.shape[0] * band.shape[1] == planes && band.shape[3] == width && start + count <= height,
                     "band \(band.shape) does not fit rows \(start)… of \(shape)")
        band.withUnsafeBufferPointer { source in
            withUnsafeMutableBufferPointer { target in
                for p in 0..<planes {
                    (target.baseAddress! + (p * height + start) * width)
                        .update(from: source.baseAddress! + p * count * width, count: count * width)
                }
            }
        }
    }
}

extension ResnetBlock2D {
    /// `x = block(x)` (no time embedding): in row bands when the block's tensors are large — conv1's output is
    /// stored whole (conv2's group norm needs all of it), then conv2 and the shortcut run in bands and their sum
    /// overwrites conv1's output, which becomes `x`; else the whole-tensor call.
    func apply(to x: inout Tensor) {
        let widest = [x.shape[0], max(x.shape[1], conv1.weight.shape[0])] + x.shape.suffix(2)
        guard RowBands.applies(to: widest) else { x = callAsFunction(x); return }
        let normalization1 = norm1.normalization(of: x, activation: activation)
        var hidden = conv1(x, fusing: .normalizing(normalization1))
        overwriteWithOutput(&hidden) { band in
            let own = x.rows(band)
            return shortcut.map { $0(own) } ?? own
        }
        x = hidden
    }

    /// `block(upsampler(x))`: in row bands, without storing the upsampled tensor, when that tensor is large;
    /// else the whole-tensor calls.
    func apply(after upsampler: Upsample2D, to x: Tensor) -> Tensor {
        let upsampledShape = [x.shape[0], upsampler.conv.weight.shape[0], 2 * x.shape[2], 2 * x.shape[3]]
        guard RowBands.applies(to: upsampledShape) else { return callAsFunction(upsampler(x)) }
        return inBands(after: upsampler, of: x)
    }

    /// The block on `upsampler(x)` without storing the upsampled tensor: its bands are computed three times, for
    /// the group norm's moments, for conv1, and for the shortcut as conv2's bands overwrite conv1's output — so
    /// besides `x` the block holds one tensor of its output's size, not two.
    private func inBands(after upsampler: Upsample2D, of x: Tensor) -> Tensor {
        let height = 2 * x.shape[2]
        /// Rows `rows` of upsampler(x): its convolution of the ×2 nearest upsampled source rows.
        func upsampled(_ rows: Range<Int>) -> Tensor {
            let need = RowBands.widened(rows, by: 1, height: height)
            let source = x.rows(need.lowerBound / 2..<(need.upperBound + 1) / 2).upsampledNearest2x()
            let offset = need.lowerBound - 2 * (need.lowerBound / 2)
            return upsampler.conv.band(rows, height: height, of: source.rows(offset..<offset + need.count))
        }
        var moments: [GroupMoments]?
        for band in RowBands.bands(height: height) {
            let part = upsampled(band).groupMoments(groups: norm1.groups)
            moments = moments.map { zip($0, part).map { var m = $0; m.merge($1); return m } } ?? part
        }
        let normalization1 = ChannelNormalization(moments: moments!, groups: norm1.groups, channels: norm1.weight.count,
                                                  weight: norm1.weight, bias: norm1.bias, epsilon: norm1.epsilon,
                                                  activation: activation)
        let outChannels = conv1.weight.shape[0], width = 2 * x.shape[3]
        var hidden = Tensor(uninitialized: [1, outChannels, height, width])
        for band in RowBands.bands(height: height) {
            let input = upsampled(RowBands.widened(band, by: 1, height: height))
            hidden.writeRows(conv1.band(band, height: height, of: input, fusing: .normalizing(normalization1)),
                             at: band.lowerBound)
        }
        overwriteWithOutput(&hidden) { band in
            let own = upsampled(band)
            return shortcut.map { $0(own) } ?? own
        }
        return hidden
    }

    /// `hidden ← (residual + conv2(act(norm2(hidden)))) / outputScaleFactor`, a band at a time, in place: a band's
    /// conv2 reads the hidden rows one above and one below it, so the row above — already overwritten by the
    /// band before — is kept from before that band was written (`carry`). `residual(rows)` gives the shortcut's
    /// rows.
    private func overwriteWithOutput(_ hidden: inout Tensor, residual: (Range<Int>) -> Tensor) {
        let normalization2 = norm2.normalization(of: hidden, activation: activation)
        let height = hidden.shape[2]
        var carry: Tensor?
        for band in RowBands.bands(height: height) {
            var input = hidden.rows(RowBands.widened(band, by: 1, height: height))
            if let carry { input.writeRows(carry, at: 0) }
            carry = hidden.rows(band.upperBound - 1..<band.upperBound)
            let sum = conv2.band(band, height: height, of: input,
                                 fusing: .normalizing(normalization2, adding: residual(band)))
            hidden.writeRows(outputScaleFactor == 1 ? sum : sum * (1 / outputScaleFactor), at: band.lowerBound)
        }
    }
}
