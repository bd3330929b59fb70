// What turns a step's predicted clean latents into a picture: the fitted projection or the tiny autoencoder,
// both ending in the VAE image processor's RGB8 conversion.

import Images
import Models
import Tensors

/// Makes previews of predicted clean latents `[1, C, h, w]` (scaled as the UNet sees latents).
public protocol PreviewDecoder {
    /// The latents as RGB `[1, 3, H, W]` in about [−1, 1].
    func rgb(of latents: Tensor) throws -> Tensor
}

extension PreviewDecoder {
    /// The preview of `latents` as RGB8 (`VaeImageProcessor.postprocess`).
    public func preview(_ latents: Tensor) throws -> RGBImage {
        try VaeImageProcessor.rgb8(rgb(of: latents))[0]
    }
}

/// Previews by the tiny autoencoder's decoder, at the image's size.
struct TinyAutoencoderPreview: PreviewDecoder {
    let autoencoder: AutoencoderTiny

    /// `vae.decode(latents / scaling_factor)`, as a diffusers pipeline decodes with `AutoencoderTiny`.
    func rgb(of latents: Tensor) throws -> Tensor {
        let scaling = autoencoder.config.scalingFactor
        return autoencoder.decode(scaling == 1 ? latents : latents.mapped { $0 / scaling })
    }
}
