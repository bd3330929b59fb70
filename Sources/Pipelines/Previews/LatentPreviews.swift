// The previews of one loaded model's latents: its latent→RGB projection, fitted to its VAE on first use and then
// kept, and its tiny autoencoder (when installed under the model root), loaded on first use and kept. Shared by
// every run of the model, so the fit and the load happen once.

import Foundation
import Models

/// The preview decoders of one model, made on first use.
public final class LatentPreviews: @unchecked Sendable {
    /// The tiny autoencoder this model family uses ("taesd" or "taesdxl").
    public let tinyAutoencoderName: String
    /// Its folder, when installed under the model root.
    public let tinyAutoencoderFolder: URL?
    private let searched: [String]
    private let vae: AutoencoderKL
    private let lock = NSLock()
    private var projection: LatentProjection?
    private var tinyAutoencoder: AutoencoderTiny?

    /// The previews of latents decoded by `vae`; the tiny autoencoder `tinyAutoencoderName` is looked for
    /// under `modelRoot`.
    init(vae: AutoencoderKL, tinyAutoencoderName: String, modelRoot: URL?) {
        self.vae = vae
        self.tinyAutoencoderName = tinyAutoencoderName
        (tinyAutoencoderFolder, searched) = TinyAutoencoderLocator.locate(tinyAutoencoderName, under: modelRoot)
    }

    /// The decoder of `kind`; throws `PipelineError.previewUnavailable` for a tiny autoencoder that is not
    /// installed or does not fit the model's latents.
    public func decoder(_ kind: PreviewKind) throws -> PreviewDecoder {
        switch kind {
        case .projection: return try fittedProjection()
        case .tinyAutoencoder: return TinyAutoencoderPreview(autoencoder: try loadedTinyAutoencoder())
        }
    }

    /// The projection fitted to the model's VAE (fitted on the first call).
    public func fittedProjection() throws -> LatentProjection {
        try lock.withLock {
            if let projection { return projection }
            defer { vae.releaseResidentWeights() }
            let fitted = try LatentProjection.fitted(to: vae)
            projection = fitted
            return fitted
        }
    }

    /// The tiny autoencoder (loaded on the first call).
    func loadedTinyAutoencoder() throws -> AutoencoderTiny {
        try lock.withLock {
            if let tinyAutoencoder { return tinyAutoencoder }
            guard let folder = tinyAutoencoderFolder else {
                let name = "\(TinyAutoencoderLocator.organisation)/\(tinyAutoencoderName)"
                throw PipelineError.previewUnavailable(
                    "no tiny autoencoder for previews: download \(name) into the model root (looked in: "
                        + (searched.isEmpty ? "no model root given" : searched.joined(separator: ", "))
                        + "), or use the projection previews")
            }
            let loaded: AutoencoderTiny
            do { loaded = try AutoencoderTiny(directory: folder) } catch {
                throw PipelineError.previewUnavailable("cannot load the tiny autoencoder in \(folder.path): \(error)")
            }
            guard loaded.config.latentChannels == vae.config.latentChannels else {
                throw PipelineError.previewUnavailable(
                    "the tiny autoencoder in \(folder.path) reads \(loaded.config.latentChannels) latent channels; "
                        + "this model's VAE makes \(vae.config.latentChannels)")
            }
            tinyAutoencoder = loaded
            return loaded
        }
    }
}
