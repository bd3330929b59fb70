// The pictures a run can make of each denoising step's predicted clean latents (x̂₀), for progress previews:
// the model's linear latent→RGB projection (free, latent-sized) or the tiny autoencoder TAESD (image-sized).

/// Which preview of each step's predicted clean latents a run makes (`GenerationOptions.previews`).
public enum PreviewKind: String, CaseIterable, Sendable {
    /// The model's linear latent→RGB projection fitted to its VAE (`LatentProjection`): a few multiply-adds per
    /// latent pixel; the preview has the latents' size (1/8 of the image's sides).
    case projection
    /// The tiny autoencoder `madebyollin/taesd` (SD1.x/2.x) or `taesdxl` (SDXL), diffusers `AutoencoderTiny`,
    /// installed under the model root: image-sized previews, at a few percent of the VAE decoder's cost.
    case tinyAutoencoder = "taesd"
}
