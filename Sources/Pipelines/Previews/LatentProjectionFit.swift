// Fitting a model's latent→RGB projection to its own VAE, so a fine-tuned VAE (sdxl-vae-fp16-fix) or a
// random-weight test model gets its own coefficients. Inputs: eight procedural 64×64 images (colour gradients and
// flat patches over the 4×4×4 RGB grid), encoded to their latent means, scaled as the UNet sees latents
// ((mean − shift_factor) · scaling_factor). Targets: the VAE's reconstruction decode(mean), averaged over each
// latent pixel's f×f block. Encoder latents are in distribution (the UNet predicts latents like them; random
// latents decode to textures no image has), and the reconstruction is what the decoder will show of them — the
// image itself for a good VAE, its own colours for another. Least squares of the targets on [latents, 1] over
// every latent pixel (512 for the SD VAE's factor 8) gives W and b. Tests/Fixtures/gen_previews.py does the same
// fit with diffusers; the fit costs one VAE encode and decode of 8 64×64 images, once per loaded model.

import Models
import Tensors

extension LatentProjection {
    /// The side of the fit images.
    public static let fitImageSize = 64

    /// The projection fitted to `vae` (see the file's header).
    public static func fitted(to vae: AutoencoderKL) throws -> LatentProjection {
        let (latents, targets) = fitData(for: vae)
        return try fitted(latents: latents, targets: targets)
    }

    /// What the fit to `vae` reads: the fit images' scaled latent means `[8, C, h, w]` and the VAE's
    /// reconstruction of them averaged over each latent pixel's block `[8, 3, h, w]`.
    public static func fitData(for vae: AutoencoderKL) -> (latents: Tensor, targets: Tensor) {
        let posterior = vae.encode(fitImages())
        let shift = vae.config.shiftFactor ?? 0, scaling = vae.config.scalingFactor
        let latents = posterior.mean.mapped { ($0 - shift) * scaling }
        let factor = fitImageSize / latents.shape[2]
        return (latents, vae.decode(posterior.mean).averagePooled(factor))
    }

    /// The least-squares projection from latents `[N, C, h, w]` to RGB targets `[N, 3, h, w]`, pixel by pixel;
    /// throws `PipelineError.previewUnavailable` when the latents' channels (and 1) are linearly dependent.
    public static func fitted(latents: Tensor, targets: Tensor) throws -> LatentProjection {
        let (count, channels) = (latents.shape[0], latents.shape[1])
        let plane = latents.shape[2] * latents.shape[3]
        precondition(targets.shape == [count, 3, latents.shape[2], latents.shape[3]], "targets \(targets.shape)")
        let z = latents.scalars, y = targets.scalars
        let rows = (0..<count * plane).map { row -> (input: [Double], output: [Double]) in
            let (n, pixel) = row.quotientAndRemainder(dividingBy: plane)
            let input = (0..<channels).map { Double(z[(n * channels + $0) * plane + pixel]) } + [1]
            return (input, (0..<3).map { Double(y[(n * 3 + $0) * plane + pixel]) })
        }
        guard let solution = LeastSquares.solve(rows.map(\.input), rows.map(\.output)) else {
            throw PipelineError.previewUnavailable("cannot fit a latent projection: the VAE's latents of the fit "
                                                   + "images are linearly dependent")
        }
        // solution: (C + 1) rows × 3 columns; the last row is the bias.
        return LatentProjection(weight: (0..<3).map { k in (0..<channels).map { Float(solution[$0][k]) } },
                                bias: (0..<3).map { Float(solution[channels][$0]) })
    }

    /// The eight fit images `[8, 3, 64, 64]` in [−1, 1] (gen_previews.py's `fit_images`): four gradients in
    /// x, y = 0…1 across the image — (x, y, 1 − (x+y)/2), (y, 1 − x, x·y), (1 − x·y, x, 1 − y), ((x+y)/2, 1 − y, x) —
    /// then four 4×4 grids of flat patches, colour i = 16·grid + patch taking RGB levels
    /// (i mod 4, ⌊i/4⌋ mod 4, ⌊i/16⌋) of {0, 1/3, 2/3, 1}; each value v in [0, 1] stored as 2v − 1.
    public static func fitImages(size: Int = fitImageSize) -> Tensor {
        let ramp = (0..<size).map { Float($0) / Float(size - 1) }
        typealias Channel = (_ x: Float, _ y: Float) -> Float
        let gradients: [[Channel]] = [
            [{ x, _ in x }, { _, y in y }, { x, y in 1 - (x + y) / 2 }],
            [{ _, y in y }, { x, _ in 1 - x }, { x, y in x * y }],
            [{ x, y in 1 - x * y }, { x, _ in x }, { _, y in 1 - y }],
            [{ x, y in (x + y) / 2 }, { _, y in 1 - y }, { x, _ in x }],
        ]
        let levels: [Float] = [0, Float(1.0 / 3.0), Float(2.0 / 3.0), 1]
        let side = size / 4
        var images = Tensor(uninitialized: [8, 3, size, size])
        images.withUnsafeMutableBufferPointer { out in
            for image in 0..<8 {
                for channel in 0..<3 {
                    for row in 0..<size {
                        for column in 0..<size {
                            let value: Float
                            if image < 4 {
                                value = gradients[image][channel](ramp[column], ramp[row])
                            } else {
                                let colour = (image - 4) * 16 + (row / side) * 4 + column / side
                                value = levels[[colour % 4, colour / 4 % 4, colour / 16][channel]]
                            }
                            out[((image * 3 + channel) * size + row) * size + column] = value * 2 - 1
                        }
                    }
                }
            }
        }
        return images
    }
}

extension Tensor {
    /// `F.avg_pool2d(self, factor)` of NCHW: the mean of each factor×factor block.
    func averagePooled(_ factor: Int) -> Tensor {
        let (planes, height, width) = (shape[0] * shape[1], shape[2], shape[3])
        let (outHeight, outWidth) = (height / factor, width / factor)
        var output = Tensor(uninitialized: [shape[0], shape[1], outHeight, outWidth])
        withUnsafeBufferPointer { input in
            output.withUnsafeMutableBufferPointer { pooled in
                for plane in 0..<planes {
                    for y in 0..<outHeight {
                        for x in 0..<outWidth {
                            var sum: Float = 0
                            for dy in 0..<factor {
                                for dx in 0..<factor {
                                    sum += input[(plane * height + y * factor + dy) * width + x * factor + dx]
                                }
                            }
                            pooled[(plane * outHeight + y) * outWidth + x] = sum / Float(factor * factor)
                        }
                    }
                }
            }
        }
        return output
    }
}
