// out[n, o, y, x] = bias[o] + Σ_{c,ky,kx} w[o, c, ky, kx] · in'[n, c, y·s − top + ky, x·s − left + kx] (+ residual),
// zero outside the image: the reference of Conv2D.swift — one Double sum per output element, where in' is the
// input after the fusion's map (upsampled by index arithmetic, or x·scale + shift then the activation).

extension Reference {
    /// `F.conv2d(input', weight, bias, stride, padding) (+ residual)` for NCHW input and an `[out, in, kh, kw]`
    /// weight, with `fusion`'s input map and residual done as separate plain steps.
    public static func conv2d(_ input: Tensor, weight: LayerWeight, bias: Tensor? = nil, stride: Int = 1,
                              padding: Padding2D = 0, fusing fusion: Conv2DFusion = .none) -> Tensor {
        let x = mapped(input, fusion.input)
        let (batch, inChannels, height, width) = (x.shape[0], x.shape[1], x.shape[2], x.shape[3])
        let (outChannels, kernelHeight, kernelWidth) = (weight.shape[0], weight.shape[2], weight.shape[3])
        let outHeight = (height + padding.top + padding.bottom - kernelHeight) / stride + 1
        let outWidth = (width + padding.left + padding.right - kernelWidth) / stride + 1
        let values = x.scalars, w = weight.floatTensor.scalars, b = bias?.scalars, r = fusion.residual?.scalars
        var out = [Float](repeating: 0, count: batch * outChannels * outHeight * outWidth)
        for n in 0..<batch {
            for o in 0..<outChannels {
                for oy in 0..<outHeight {
                    for ox in 0..<outWidth {
                        var sum = 0.0
                        for c in 0..<inChannels {
                            for ky in 0..<kernelHeight {
                                for kx in 0..<kernelWidth {
                                    let iy = oy * stride - padding.top + ky, ix = ox * stride - padding.left + kx
                                    guard iy >= 0, iy < height, ix >= 0, ix < width else { continue }
                                    let tap = ((o * inChannels + c) * kernelHeight + ky) * kernelWidth + kx
                                    sum += Double(w[tap]) * Double(values[((n * inChannels + c) * height + iy) * width + ix])
                                }
                            }
                        }
                        let index = ((n * outChannels + o) * outHeight + oy) * outWidth + ox
                        out[index] = Float(sum + Double(b?[o] ?? 0) + Double(r?[index] ?? 0))
                    }
                }
            }
        }
        return Tensor(shape: [batch, outChannels, outHeight, outWidth], values: out)
    }

    /// The tensor a convolution with input map `map` reads, computed element by element.
    static func mapped(_ input: Tensor, _ map: Conv2DFusion.Input) -> Tensor {
        let (batch, channels, height, width) = (input.shape[0], input.shape[1], input.shape[2], input.shape[3])
        let x = input.scalars
        switch map {
        case .stored:
            return input
        case .upsampledNearest2x:
            var y = [Float](repeating: 0, count: 4 * x.count)
            for plane in 0..<batch * channels {
                for oy in 0..<2 * height {
                    for ox in 0..<2 * width {
                        y[(plane * 2 * height + oy) * 2 * width + ox] = x[(plane * height + oy / 2) * width + ox / 2]
                    }
                }
            }
            return Tensor(shape: [batch, channels, 2 * height, 2 * width], values: y)
        case .normalized(let normalization):
            let plane = height * width
            let y = x.indices.map { i -> Float in
                let (scale, shift) = normalization.parameters(image: i / (channels * plane), channel: (i / plane) % channels)
                let value = Double(x[i]) * Double(scale) + Double(shift)
                return Float(normalization.activation.map { activation($0, value) } ?? value)
            }
            return Tensor(shape: input.shape, values: y)
        }
    }
}
