// The linear latent→RGB projection of a model's latents: rgb = W·z + b per latent pixel, W 3×C, in [−1, 1] — what
// the VAE decoder makes of a latent pixel's colour, to first order. The preview keeps the latents' resolution
// (h × w, 1/8 of the image's sides): that is all the information it has, and a 64×64 PNG per step is cheap to
// make, write and stream; a viewer scales it up (nearest keeps the latent grid visible, smooth scaling hides it).

import Images
import Tensors

/// A linear map from latent channels to RGB in [−1, 1], applied per latent pixel (`LatentProjection.fitted`).
public struct LatentProjection: PreviewDecoder, Equatable, Sendable {
    /// W: 3 rows (R, G, B) of one coefficient per latent channel.
    public let weight: [[Float]]
    /// b: R, G, B.
    public let bias: [Float]

    /// `weight` 3×C and `bias` 3.
    public init(weight: [[Float]], bias: [Float]) {
        precondition(weight.count == 3 && bias.count == 3 && Set(weight.map(\.count)).count == 1,
                     "a latent projection is 3×C plus 3 biases")
        self.weight = weight
        self.bias = bias
    }

    /// C, the latent channels it reads.
    public var latentChannels: Int { weight[0].count }

    /// W·z + b at every pixel of latents `[B, C, h, w]`: RGB `[B, 3, h, w]`.
    public func rgb(of latents: Tensor) -> Tensor {
        precondition(latents.rank == 4 && latents.shape[1] == latentChannels,
                     "the projection reads [B, \(latentChannels), h, w] latents, got \(latents.shape)")
        let (batch, channels) = (latents.shape[0], latentChannels)
        let plane = latents.shape[2] * latents.shape[3]
        var output = Tensor(uninitialized: [batch, 3, latents.shape[2], latents.shape[3]])
        latents.withUnsafeBufferPointer { z in
            output.withUnsafeMutableBufferPointer { rgb in
                for b in 0..<batch {
                    for k in 0..<3 {
                        let row = rgb.baseAddress! + (b * 3 + k) * plane
                        row.update(repeating: bias[k], count: plane)
                        for c in 0..<channels {
                            let source = z.baseAddress! + (b * channels + c) * plane, w = weight[k][c]
                            for pixel in 0..<plane { row[pixel] += w * source[pixel] }
                        }
                    }
                }
            }
        }
        return output
    }
}
