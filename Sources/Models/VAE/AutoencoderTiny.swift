// The diffusers `AutoencoderTiny` (madebyollin's TAESD / TAESDXL): a small conv-only autoencoder distilled to
// the SD / SDXL VAE's latent space, used to preview latents at image resolution for a fraction of the VAE's cost.
// Its latents are the UNet's (scaling factor 1); the pipeline divides by `scaling_factor`, as diffusers does.

import Foundation
import SafeTensors
import Tensors

/// The diffusers `AutoencoderTiny`.
public struct AutoencoderTiny {
    public let config: AutoencoderTinyConfig
    let encoder: EncoderTiny
    let decoder: DecoderTiny
    /// The checkpoint the weights are read from.
    public let checkpoint: TensorSource

    public init(config: AutoencoderTinyConfig, weights: Weights) throws {
        try config.validate()
        self.config = config
        checkpoint = weights.source
        let activation = Activation(configName: config.actFn)!
        encoder = EncoderTiny(weights.scope("encoder"), config: config, activation: activation)
        decoder = DecoderTiny(weights.scope("decoder"), config: config, activation: activation)
        try weights.finish(component: "AutoencoderTiny")
    }

    /// Loads `config.json` and `diffusion_pytorch_model[.fp16].safetensors` from a diffusers folder (as
    /// `madebyollin/taesd` ships it).
    public init(directory: URL) throws {
        let config = try decodeConfig(AutoencoderTinyConfig.self, from: directory.appendingPathComponent("config.json"))
        let source = try openCheckpoint(in: directory, baseName: "diffusion_pytorch_model")
        try self.init(config: config, weights: Weights(source: source))
    }

    /// `encode(images).latents`: images `[B, 3, H, W]` in [−1, 1] → latents `[B, C, H/f, W/f]`.
    public func encode(_ images: Tensor) -> Tensor { encoder(images) }

    /// `decode(latents).sample`: latents `[B, C, h, w]` (already divided by the scaling factor) → images in
    /// about [−1, 1], f times larger.
    public func decode(_ latents: Tensor) -> Tensor { decoder(latents) }
}
