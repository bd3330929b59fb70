// The model calls the work and memory estimates run dry, on zero inputs of a given latent size: a UNet call of a
// given batch with the conditioning its config asks for (the added text embeddings and time ids of an SDXL UNet),
// and the VAE's encoder and decoder on one image.

import Models
import Tensors

/// A UNet called on zero inputs of any batch and latent size.
struct UNetDryRun {
    let unet: UNet2DConditionModel
    let context: Int

    init(_ unet: UNet2DConditionModel) {
        self.unet = unet
        let config = unet.config
        context = (try? config.crossAttentionDim.values(blocks: config.blockOutChannels.count, field: ""))?.max() ?? 768
    }

    func callAsFunction(rows: Int, side: Int) {
        let config = unet.config
        let added: (Tensor?, Tensor?) = config.requiresAddedConditioning
            ? (Tensor(zeros: [rows, (config.projectionClassEmbeddingsInputDim ?? 0) - (config.additionTimeEmbedDim ?? 0)]),
               Tensor(zeros: [rows, 1]))
            : (nil, nil)
        _ = unet(Tensor(zeros: [rows, config.inChannels, side, side]), timesteps: [Float](repeating: 999, count: rows),
                 encoderHiddenStates: Tensor(zeros: [rows, 77, context]), addedTextEmbeds: added.0,
                 addedTimeIDs: added.1)
    }
}

/// The VAE's encoder or decoder on one zero image of any latent size.
struct VAEDryRun {
    let vae: AutoencoderKL
    /// Image pixels per latent pixel along a side.
    let imageScale: Int

    func encode(latentWidth: Int, latentHeight: Int) {
        _ = vae.encode(Tensor(zeros: [1, 3, latentHeight * imageScale, latentWidth * imageScale]))
    }

    func decode(latentWidth: Int, latentHeight: Int) {
        _ = vae.decode(Tensor(zeros: [1, vae.config.latentChannels, latentHeight, latentWidth]))
    }
}
