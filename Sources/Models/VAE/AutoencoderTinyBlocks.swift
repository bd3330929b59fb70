// The parts of diffusers' `AutoencoderTiny` (TAESD): `AutoencoderTinyBlock` (three 3×3 convs with the activation
// between them, plus the input, then ReLU), `EncoderTiny` (conv, then per stage a stride-2 conv and blocks, then a
// conv to the latent channels) and `DecoderTiny` (tanh clamp, conv + activation, then per stage blocks, nearest
// ×2 upsampling and a conv). Their layers sit in one `nn.Sequential` each, so parameters are keyed
// `layers.<position>` with the parameter-free activations and upsamplers counted in.

import Tensors

/// diffusers `AutoencoderTinyBlock`: ReLU(conv(act(conv(act(conv(x))))) + skip(x)), skip a bias-free 1×1 conv
/// when the width changes.
struct AutoencoderTinyBlock {
    let convs: [Conv2d]
    let skip: Conv2d?
    let activation: Activation

    init(_ scope: WeightScope, inChannels: Int, outChannels: Int, activation: Activation) {
        // `conv` is Sequential(conv, act, conv, act, conv): the convs sit at 0, 2, 4.
        convs = [0, 2, 4].map { position in
            Conv2d(scope["conv"][position], inChannels: position == 0 ? inChannels : outChannels,
                   outChannels: outChannels, kernel: 3, padding: 1)
        }
        skip = inChannels == outChannels
            ? nil : Conv2d(scope["skip"], inChannels: inChannels, outChannels: outChannels, kernel: 1, bias: false)
        self.activation = activation
    }

    func callAsFunction(_ x: Tensor) -> Tensor {
        var hidden = convs[0](x)
        hidden.apply(activation)
        hidden = convs[1](hidden)
        hidden.apply(activation)
        var output = convs[2](hidden, fusing: Conv2DFusion(adding: skip.map { $0(x) } ?? x))
        output.apply(.relu)
        return output
    }
}

/// diffusers `EncoderTiny`: images in [−1, 1] → latents, each stage after the first halving the sides.
struct EncoderTiny {
    /// The stride-2 conv (none in the first stage) and blocks of each stage.
    let stages: [(downsampler: Conv2d?, blocks: [AutoencoderTinyBlock])]
    let convIn: Conv2d, convOut: Conv2d

    init(_ scope: WeightScope, config: AutoencoderTinyConfig, activation: Activation) {
        let layers = scope["layers"], channels = config.encoderBlockOutChannels
        var position = 0
        func next() -> WeightScope { defer { position += 1 }; return layers[position] }
        convIn = Conv2d(next(), inChannels: config.inChannels, outChannels: channels[0], kernel: 3, padding: 1)
        stages = config.numEncoderBlocks.enumerated().map { stage, count in
            let width = channels[stage]
            let downsampler = stage == 0
                ? nil : Conv2d(next(), inChannels: width, outChannels: width, kernel: 3, stride: 2, padding: 1, bias: false)
            let blocks = (0..<count).map { _ in
                AutoencoderTinyBlock(next(), inChannels: width, outChannels: width, activation: activation)
            }
            return (downsampler, blocks)
        }
        convOut = Conv2d(next(), inChannels: channels[channels.count - 1], outChannels: config.latentChannels,
                         kernel: 3, padding: 1)
    }

    /// `layers(x.add(1).div(2))`: TAESD reads images in [0, 1].
    func callAsFunction(_ images: Tensor) -> Tensor {
        var hidden = convIn(images.mapped { ($0 + 1) / 2 })
        for stage in stages {
            if let downsampler = stage.downsampler { hidden = downsampler(hidden) }
            for block in stage.blocks { hidden = block(hidden) }
        }
        return convOut(hidden)
    }
}

/// diffusers `DecoderTiny`: latents → images in [−1, 1], each stage but the last doubling the sides.
struct DecoderTiny {
    /// The blocks of each stage and its closing conv (run on the upsampled blocks' output, but in the last stage).
    let stages: [(blocks: [AutoencoderTinyBlock], conv: Conv2d)]
    let convIn: Conv2d
    let activation: Activation

    init(_ scope: WeightScope, config: AutoencoderTinyConfig, activation: Activation) {
        let layers = scope["layers"], channels = config.decoderBlockOutChannels
        var position = 0
        func next() -> WeightScope { defer { position += 1 }; return layers[position] }
        convIn = Conv2d(next(), inChannels: config.latentChannels, outChannels: channels[0], kernel: 3, padding: 1)
        position += 1  // the activation
        let last = channels.count - 1
        stages = config.numDecoderBlocks.enumerated().map { stage, count in
            let width = channels[stage]
            let blocks = (0..<count).map { _ in
                AutoencoderTinyBlock(next(), inChannels: width, outChannels: width, activation: activation)
            }
            if stage < last { position += 1 }  // the upsampler
            let conv = Conv2d(next(), inChannels: width, outChannels: stage < last ? width : config.outChannels,
                              kernel: 3, padding: 1, bias: stage == last)
            return (blocks, conv)
        }
        self.activation = activation
    }

    /// `tanh(x / 3) · 3` (a soft clamp of the latents), the layers, then `· 2 − 1` from TAESD's [0, 1].
    func callAsFunction(_ latents: Tensor) -> Tensor {
        // tanh(y) = 2σ(2y) − 1
        var hidden = convIn(latents.mapped { 3 * (2 * VectorMath.sigmoid(2 * ($0 / 3)) - 1) })
        hidden.apply(activation)
        for (index, stage) in stages.enumerated() {
            for block in stage.blocks { hidden = block(hidden) }
            hidden = stage.conv(hidden, fusing: index < stages.count - 1 ? .upsamplingNearest2x : .none)
        }
        return hidden.mapped { $0 * 2 - 1 }
    }
}
