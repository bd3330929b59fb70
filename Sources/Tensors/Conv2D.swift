// out[n, o, y, x] = bias[o] + Σ_{c,ky,kx} w[o, c, ky, kx] · in[n, c, y·s − pad + ky, x·s − pad + kx]  (NCHW),
// optionally of the input upsampled or group-normalised as it is read, plus a residual as the output is written.
// 1×1 stride-1 convs are one GEMM per image; large 3×3 stride-1 convs use Winograd
// (WinogradConvolution.swift), stride-1 convs with ≤ 8 channels on a side direct summation
// (DirectConvolution.swift); others unfold a band of output rows for a block of input channels into an im2col
// panel (bounded size, built in parallel) and multiply it by those channels' columns of the [out, in·kh·kw]
// weight, accumulating block by block.
// Every algorithm equals `Reference.conv2d` (Conv2DReference.swift) within max|a−b|/max|b| ≤ 2e-6, Winograd
// F(4×4) within 1e-5 (its larger transform constants round more), fusions included (Conv2DReferenceTests).

/// Zero padding on each side of the image, in pixels; an integer literal pads all four sides alike.
public struct Padding2D: Equatable, Sendable, ExpressibleByIntegerLiteral {
    public var top: Int, bottom: Int, left: Int, right: Int

    public init(top: Int, bottom: Int, left: Int, right: Int) {
        self.top = top; self.bottom = bottom; self.left = left; self.right = right
    }

    /// The same padding on all four sides.
    public static func uniform(_ pixels: Int) -> Padding2D {
        Padding2D(top: pixels, bottom: pixels, left: pixels, right: pixels)
    }

    /// `padding=n` as torch writes it: n pixels on every side.
    public init(integerLiteral pixels: Int) {
        self = .uniform(pixels)
    }
}

/// Geometry of one convolution: input, kernel and output sizes.
struct ConvGeometry {
    let inChannels: Int, height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let stride: Int
    let padding: Padding2D
    /// Whether the stored input is half this geometry's height and width, to be read upsampled ×2 by nearest
    /// neighbour (only the Winograd kernels read it so; the others get the upsampled tensor).
    var inputUpsampled = false
    /// Floats of one stored input channel.
    var storedPlane: Int { inputUpsampled ? (height / 2) * (width / 2) : height * width }
    var outHeight: Int { (height + padding.top + padding.bottom - kernelHeight) / stride + 1 }
    var outWidth: Int { (width + padding.left + padding.right - kernelWidth) / stride + 1 }
    var patchSize: Int { inChannels * kernelHeight * kernelWidth }
    var isPointwise: Bool {
        kernelHeight == 1 && kernelWidth == 1 && stride == 1 && padding == .uniform(0)
    }

    /// The algorithm `algorithm` resolves to here. `.automatic` computes stride-1 convs with at most 8 input or
    /// output channels directly (the networks' image/latent ends, where a GEMM is too thin), and Winograd only
    /// for 3×3 stride-1 convs: `.automatic` takes it
    /// for output planes of at least 32×32 with 16 or more channels each side, where it beats im2col: F(4×4, 3×3)
    /// from 64×64 up (the VAE's layers and the UNet's first level: 1.3–1.4× faster than F(2×2) there, relative
    /// error still ~1e-5), F(2×2, 3×3) at 32×32 (where F(4×4)'s 2.25× larger transformed weights eat its gain).
    func resolve(_ algorithm: ConvolutionAlgorithm, outChannels: Int) -> ConvolutionAlgorithm {
        if algorithm == .direct || (algorithm == .automatic && !isPointwise && (inChannels <= 8 || outChannels <= 8)) {
            return stride == 1 ? .direct : .im2col
        }
        guard kernelHeight == 3, kernelWidth == 3, stride == 1 else { return .im2col }
        switch algorithm {
        case .automatic:
            guard outHeight * outWidth >= 1024 && inChannels >= 16 && outChannels >= 16 else { return .im2col }
            return outHeight * outWidth >= 4096 ? .winogradF4 : .winogradF2
        default: return algorithm
        }
    }
}

/// One image's input normalisation as the conv kernels apply it: channel c's values x become
/// act(x · scale[c] + shift[c]) as they are read; zero padding stays zero (it pads the normalised tensor).
struct InputMap {
    let normalization: ChannelNormalization
    let image: Int

    init(_ normalization: ChannelNormalization, image: Int) {
        self.normalization = normalization
        self.image = image
    }

    /// Channel c's `count` values from `source`, mapped into `destination`.
    @inline(__always)
    func apply(channel c: Int, _ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        let (scale, shift) = normalization.parameters(image: image, channel: c)
        normalization.apply(source, destination, count: count, scale: scale, shift: shift)
    }
}

/// How `conv2d` computes a convolution.
public enum ConvolutionAlgorithm: Sendable {
    /// Winograd for large 3×3 stride-1 convolutions (F(4×4) from 64×64 outputs, F(2×2) from 32×32), im2col +
    /// GEMM otherwise.
    case automatic
    /// im2col panels (or a plain GEMM for 1×1) times the weight matrix, for every shape.
    case im2col
    /// Winograd F(2×2, 3×3) wherever the kernel is 3×3 with stride 1 (im2col otherwise).
    case winogradF2
    /// Winograd F(4×4, 3×3) wherever the kernel is 3×3 with stride 1 (im2col otherwise).
    case winogradF4
    /// Direct summation, register-blocked, for stride 1 (im2col otherwise).
    case direct
}

/// The work `conv2d` does besides the convolution, in the same passes: what it reads in place of its stored input,
/// and what it adds to its output as it writes it.
public struct Conv2DFusion {
    /// What the convolution reads.
    public enum Input {
        /// The stored tensor.
        case stored
        /// `F.interpolate(x, scale_factor=2, mode="nearest")` (diffusers' `Upsample2D`).
        case upsampledNearest2x
        /// `act(x · scale[n, c] + shift[n, c])`: a group norm (+ SiLU) as its statistics define it.
        case normalized(ChannelNormalization)

        var isUpsampled: Bool {
            if case .upsampledNearest2x = self { return true } else { return false }
        }

        /// The input map applied to `x` on its own: the tensor a convolution without the fusion would read.
        public func applied(to x: Tensor) -> Tensor {
            switch self {
            case .stored: return x
            case .upsampledNearest2x: return x.upsampledNearest2x()
            case .normalized(let normalization): return x.normalized(by: normalization)
            }
        }
    }

    public var input: Input
    /// Added to the output (whose shape it has): the residual add of a ResNet block.
    public var residual: Tensor?

    public init(input: Input = .stored, adding residual: Tensor? = nil) {
        self.input = input
        self.residual = residual
    }

    /// A plain convolution.
    public static var none: Conv2DFusion { Conv2DFusion() }
    /// The convolution of the input upsampled ×2 by nearest neighbour.
    public static var upsamplingNearest2x: Conv2DFusion { Conv2DFusion(input: .upsampledNearest2x) }

    /// The convolution of `act(norm(x))` as `normalization` describes it (of x itself when nil), plus `residual`.
    public static func normalizing(_ normalization: ChannelNormalization?, adding residual: Tensor? = nil) -> Conv2DFusion {
        Conv2DFusion(input: normalization.map { .normalized($0) } ?? .stored, adding: residual)
    }
}

extension Tensor {
    /// `F.conv2d(x', weight, bias, stride, padding) (+ residual)` for NCHW input and an `[out, in, kh, kw]` weight in
    /// its stored precision (a half weight is widened block by block as it is read), where x' is this tensor as
    /// `fusion` maps it (upsampled, or normalised) and the residual is `fusion`'s, both done within the conv's own
    /// passes where the algorithm allows. `algorithm` forces a method (tests, benchmarks); `.automatic` picks one
    /// by shape (`ConvGeometry.resolve`).
    public func conv2d(weight: LayerWeight, bias: Tensor? = nil, stride: Int = 1, padding: Padding2D = 0,
                       fusing fusion: Conv2DFusion = .none, algorithm: ConvolutionAlgorithm = .automatic) -> Tensor {
        precondition(rank == 4 && weight.shape.count == 4, "conv2d needs NCHW input and OIHW weight, got \(shape), \(weight.shape)")
        let scale = fusion.input.isUpsampled ? 2 : 1
        var geometry = ConvGeometry(inChannels: shape[1], height: scale * shape[2], width: scale * shape[3],
                                    kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                                    stride: stride, padding: padding)
        var normalization: ChannelNormalization?
        switch fusion.input {
        case .stored: break
        case .normalized(let map): normalization = map
        case .upsampledNearest2x:
            // Winograd's input transform reads each stored row twice and each value twice, so the 4× larger
            // upsampled tensor is never written; the other algorithms get it materialised.
            switch geometry.resolve(algorithm, outChannels: weight.shape[0]) {
            case .winogradF2, .winogradF4: geometry.inputUpsampled = true
            default:
                return upsampledNearest2x().conv2d(weight: weight, bias: bias, stride: stride, padding: padding,
                                                   fusing: Conv2DFusion(adding: fusion.residual), algorithm: algorithm)
            }
        }
        return convolve(geometry, weight: weight, bias: bias, algorithm: algorithm, adding: fusion.residual,
                        normalizing: normalization)
    }

    /// The convolution `geometry` describes, of this tensor (stored upsampled-by-half when the geometry says so).
    private func convolve(_ geometry: ConvGeometry, weight: LayerWeight, bias: Tensor?, algorithm: ConvolutionAlgorithm,
                          adding residual: Tensor?, normalizing normalization: ChannelNormalization?) -> Tensor {
        let stride = geometry.stride
        precondition(weight.shape[1] == shape[1], "conv2d: input has \(shape[1]) channels, weight expects \(weight.shape[1])")
        precondition(stride >= 1 && geometry.outHeight > 0 && geometry.outWidth > 0,
                     "conv2d: kernel \(weight.shape) with stride \(stride) does not fit input \(shape)")
        let batch = shape[0], outChannels = weight.shape[0]
        precondition(bias == nil || bias!.count == outChannels, "bias has \(bias!.count) values, expected \(outChannels)")
        var result = Tensor(uninitialized: [batch, outChannels, geometry.outHeight, geometry.outWidth])
        precondition(residual == nil || residual!.shape == result.shape,
                     "conv2d: residual \(residual!.shape) does not match the output \(result.shape)")
        let flops = 2 * Double(batch * outChannels) * Double(geometry.patchSize * geometry.outHeight * geometry.outWidth)
        let resolved = geometry.resolve(algorithm, outChannels: outChannels)
        precondition(normalization == nil || normalization!.scale.count == batch * geometry.inChannels,
                     "conv2d: the input normalisation does not fit \(shape)")
        switch resolved {
        case .winogradF2:
            KernelProfile.run("conv 3×3 Winograd F(2×2)", flops: flops) {
                convolveWinograd(geometry, WinogradF2.self, weight: weight, bias: bias, residual: residual,
                                 normalization: normalization, into: &result)
            }
        case .winogradF4:
            KernelProfile.run("conv 3×3 Winograd F(4×4)", flops: flops) {
                convolveWinograd(geometry, WinogradF4.self, weight: weight, bias: bias, residual: residual,
                                 normalization: normalization, into: &result)
            }
        case .direct:
            KernelProfile.run("conv direct", flops: flops) {
                convolveDirectly(geometry, weight: weight, bias: bias, residual: residual, normalization: normalization,
                                 into: &result)
            }
        default:
            precondition(!geometry.inputUpsampled, "conv2d: only the Winograd kernels read an input upsampled")
            // im2col and 1×1 read their input many times or straight from BLAS: normalise it once, up front.
            let input = normalization.map { normalized(by: $0) } ?? self
            KernelProfile.run(geometry.isPointwise ? "conv 1×1 (GEMM)" : "conv im2col", flops: flops) {
                input.convolveByGEMM(geometry, weight: weight, bias: bias, residual: residual, into: &result)
            }
        }
        return result
    }

    /// im2col (or a plain GEMM for 1×1) per image, accumulated onto the output filled with bias (+ residual).
    func convolveByGEMM(_ geometry: ConvGeometry, weight: LayerWeight, bias: Tensor?, residual: Tensor?,
                        into result: inout Tensor) {
        let batch = shape[0], outChannels = weight.shape[0]
        let plane = geometry.outHeight * geometry.outWidth
        result.fillChannels(with: bias, adding: residual, channels: outChannels, plane: plane)
        let beta: Float = bias == nil && residual == nil ? 0 : 1
        withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { out in
                for n in 0..<batch {
                    let image = input.baseAddress! + n * geometry.inChannels * geometry.height * geometry.width
                    let output = out.baseAddress! + n * outChannels * plane
                    if geometry.isPointwise {
                        weight.multiply(image, n: plane, ldp: plane, beta: beta, into: output, ldc: plane)
                    } else {
                        Tensor.convolveByPanels(image, geometry, weight, beta, output)
                    }
                }
            }
        }
    }

    /// Direct summation per image (few input or output channels).
    func convolveDirectly(_ geometry: ConvGeometry, weight: LayerWeight, bias: Tensor?, residual: Tensor?,
                          normalization: ChannelNormalization?, into result: inout Tensor) {
        let batch = shape[0], outChannels = weight.shape[0]
        let plane = geometry.outHeight * geometry.outWidth
        withUnsafeBufferPointer { input in
            // Few channels on one side: the whole weight is small, widened once when stored as half.
            weight.floatTensor.withUnsafeBufferPointer { w in
                result.withUnsafeMutableBufferPointer { out in
                    Tensor.withBaseAddresses(bias, residual) { b, r in
                        for n in 0..<batch {
                            let image = input.baseAddress! + n * geometry.inChannels * geometry.height * geometry.width
                            DirectConvolution.convolve(image, geometry, weight: w.baseAddress!, outChannels: outChannels,
                                                       bias: b, adding: r.map { $0 + n * outChannels * plane },
                                                       normalizing: normalization.map { InputMap($0, image: n) },
                                                       out.baseAddress! + n * outChannels * plane)
                        }
                    }
                }
            }
        }
    }

    /// Winograd F(m×m, 3×3) per image: the weights are transformed once per call, into kept scratch.
    func convolveWinograd<Tiling: WinogradTiling>(_ geometry: ConvGeometry, _ tiling: Tiling.Type, weight: LayerWeight,
                                                   bias: Tensor?, residual: Tensor?,
                                                   normalization: ChannelNormalization?, into result: inout Tensor) {
        typealias Winograd = WinogradConvolution<Tiling>
        let outChannels = weight.shape[0]
        let count = Winograd.transformedWeightCount(weight, inChannels: geometry.inChannels)
        KeptScratch.winogradWeights.withBuffer(count: count) { u in
            Winograd.transformWeights(weight, inChannels: geometry.inChannels, into: u)
            convolveWinograd(geometry, tiling, transformedWeights: u, outChannels: outChannels, bias: bias,
                             residual: residual, normalization: normalization, into: &result)
        }
    }

    /// `convolveWinograd` with the weights already transformed (`u`).
    private func convolveWinograd<Tiling: WinogradTiling>(_ geometry: ConvGeometry, _ tiling: Tiling.Type,
                                                           transformedWeights u: UnsafePointer<Float>, outChannels: Int,
                                                           bias: Tensor?, residual: Tensor?,
                                                           normalization: ChannelNormalization?, into result: inout Tensor) {
        typealias Winograd = WinogradConvolution<Tiling>
        let batch = shape[0]
        let plane = geometry.outHeight * geometry.outWidth
        withUnsafeBufferPointer { input in
            result.withUnsafeMutableBufferPointer { out in
                Tensor.withBaseAddresses(bias, residual) { b, r in
                    for n in 0..<batch {
                        let image = input.baseAddress! + n * geometry.inChannels * geometry.storedPlane
                        Winograd.convolve(image, geometry, transformedWeights: u, outChannels: outChannels,
                                          bias: b, adding: r.map { $0 + n * outChannels * plane },
                                          normalizing: normalization.map { InputMap($0, image: n) },
                                          out.baseAddress! + n * outChannels * plane)
                    }
                }
            }
        }
    }

    /// Calls `body` with the first elements of `bias` and `residual` (nil for an absent one).
    static func withBaseAddresses(_ bias: Tensor?, _ residual: Tensor?,
                                  _ body: (UnsafePointer<Float>?, UnsafePointer<Float>?) -> Void) {
        func withResidual(_ b: UnsafePointer<Float>?) {
            if let residual { residual.withUnsafeBufferPointer { body(b, $0.baseAddress!) } } else { body(b, nil) }
        }
        if let bias { bias.withUnsafeBufferPointer { withResidual($0.baseAddress!) } } else { withResidual(nil) }
    }

    /// Sets each channel plane of an NC… tensor to `bias[c]` (+ the same plane of `residual`); leaves the
    /// tensor untouched when both are nil.
    mutating func fillChannels(with bias: Tensor?, adding residual: Tensor? = nil, channels: Int, plane: Int) {
        guard bias != nil || residual != nil else { return }
        precondition(bias == nil || bias!.count == channels, "bias has \(bias!.count) values, expected \(channels)")
        let biasValues = bias?.scalars ?? [Float](repeating: 0, count: channels)
        let planes = count / plane
        withUnsafeMutableBufferPointer { y in
            let out = y.baseAddress!
            if let residual {
                residual.withUnsafeBufferPointer { r in
                    let source = r.baseAddress!
                    parallelFor(planes, minimumChunk: 4) { p in
                        let shift = VectorMath.Vector(repeating: biasValues[p % channels])
                        VectorMath.map(source + p * plane, out + p * plane, count: plane) { $0 + shift }
                    }
                }
            } else {
                parallelFor(planes, minimumChunk: 4) { p in
                    (out + p * plane).update(repeating: biasValues[p % channels], count: plane)
                }
            }
        }
    }

    /// Largest im2col panel, in floats (8 MiB): big enough for an efficient GEMM, small enough for L3.
    static let panelBudget = 1 << 21
    /// Output pixels a panel covers at least (all of a smaller image): sgemm runs well below peak on narrower
    /// products (at 16² with 2560 input channels, a panel of whole channels would cover only 5 rows).
    static let minimumPanelColumns = 256

    /// One image: unfold a band of output rows for a block of input channels at a time, then
    /// `out[:, band] += W[:, block] · panel`. Bands are as tall as the budget allows with every channel, but
    /// at least `minimumPanelColumns` wide; a panel then takes as many channels as fit the budget.
    static func convolveByPanels(_ image: UnsafePointer<Float>, _ g: ConvGeometry, _ weight: LayerWeight,
                                 _ beta: Float, _ output: UnsafeMutablePointer<Float>) {
        let taps = g.kernelHeight * g.kernelWidth
        let minimumRows = (minimumPanelColumns + g.outWidth - 1) / g.outWidth
        let rowsPerBand = min(g.outHeight, max(1, minimumRows, panelBudget / max(1, g.patchSize * g.outWidth)))
        let channelsPerPanel = min(g.inChannels, max(1, panelBudget / (taps * rowsPerBand * g.outWidth)))
        let panelFloats = channelsPerPanel * taps * rowsPerBand * g.outWidth
        let panel = RecycledMemory.allocate(floats: panelFloats)
        defer { RecycledMemory.deallocate(panel, floats: panelFloats) }
        for firstRow in stride(from: 0, to: g.outHeight, by: rowsPerBand) {
            let rows = min(rowsPerBand, g.outHeight - firstRow)
            let columns = rows * g.outWidth
            for firstChannel in stride(from: 0, to: g.inChannels, by: channelsPerPanel) {
                let channels = firstChannel..<min(g.inChannels, firstChannel + channelsPerPanel)
                unfold(image, g, firstRow: firstRow, rows: rows, channels: channels, into: panel)
                weight.multiply(panel, inputs: channels.lowerBound * taps..<channels.upperBound * taps, n: columns,
                                ldp: columns, beta: firstChannel == 0 ? beta : 1, into: output + firstRow * g.outWidth,
                                ldc: g.outHeight * g.outWidth)
            }
        }
    }

    /// im2col for output rows `firstRow..<firstRow+rows` and input channels `channels`:
    /// panel[((c − channels.lowerBound)·kh + ky)·kw + kx][pixel].
    static func unfold(_ image: UnsafePointer<Float>, _ g: ConvGeometry, firstRow: Int, rows: Int, channels: Range<Int>,
                       into panel: UnsafeMutablePointer<Float>) {
        let columns = rows * g.outWidth
        let taps = g.kernelHeight * g.kernelWidth
        parallelFor(channels.count * taps, minimumChunk: 4) { patchRow in
            let kx = patchRow % g.kernelWidth
            let ky = (patchRow / g.kernelWidth) % g.kernelHeight
            let channel = channels.lowerBound + patchRow / taps
            let source = image + channel * g.height * g.width
            let destination = panel + patchRow * columns
            // Output columns whose input column lies inside the image: ix = ox·s − left + kx ∈ [0, W).
            let firstValid = max(0, (g.padding.left - kx + g.stride - 1) / g.stride)
            let lastValid = min(g.outWidth, (g.width + g.padding.left - kx + g.stride - 1) / g.stride)
            for r in 0..<rows {
                let iy = (firstRow + r) * g.stride - g.padding.top + ky
                let line = destination + r * g.outWidth
                guard iy >= 0, iy < g.height, firstValid < lastValid else {
                    line.update(repeating: 0, count: g.outWidth)
                    continue
                }
                line.update(repeating: 0, count: firstValid)
                let inputRow = source + iy * g.width - g.padding.left + kx
                if g.stride == 1 {
                    (line + firstValid).update(from: inputRow + firstValid, count: lastValid - firstValid)
                } else {
                    for ox in firstValid..<lastValid { line[ox] = inputRow[ox * g.stride] }
                }
                (line + lastValid).update(repeating: 0, count: g.outWidth - lastValid)
            }
        }
    }
}
