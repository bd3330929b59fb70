// A model's nominal FLOPs as a function of the image size, measured once when it loads, so a request can be
// priced before it is queued. Each stage is run dry — with a cancelled `WorkCancellation` bound, every kernel
// records the FLOPs of its shapes (`KernelProfile`) and skips its arithmetic — at three small latent sizes, and
// fitted as c + a·n + b·n² in latent pixels n: convolutions and linear layers grow with n, self-attention with n².
// Exact when the latent sides are multiples of 2^(UNet levels − 1); otherwise the UNet's lower levels round
// up and it runs a few percent more (7 % at 5×6 latents on the test model, less as the image grows).
// The text encoders (a fixed ~20–130 GFLOP per prompt, under 2 % of an SDXL step at 1024²) are not counted.

import Models
import Tensors

/// What a request costs on one model, in nominal FLOPs.
public struct WorkEstimate: Sendable, Equatable {
    /// FLOPs = constant + linear·n + quadratic·n² at n latent pixels.
    public struct Scaling: Sendable, Equatable {
        public var constant: Double
        public var linear: Double
        public var quadratic: Double

        public func at(latentPixels n: Double) -> Double { constant + linear * n + quadratic * n * n }

        /// The exact fit through three measurements at latent pixel counts `n`.
        static func fit(_ n: [Double], _ flops: [Double]) -> Scaling {
            // Divided differences of a quadratic through three points.
            let slope01 = (flops[1] - flops[0]) / (n[1] - n[0]), slope12 = (flops[2] - flops[1]) / (n[2] - n[1])
            let quadratic = (slope12 - slope01) / (n[2] - n[0])
            let linear = slope01 - quadratic * (n[0] + n[1])
            return Scaling(constant: flops[0] - linear * n[0] - quadratic * n[0] * n[0], linear: linear,
                           quadratic: quadratic)
        }
    }

    /// One batch row of one UNet call.
    public var unetRow: Scaling
    /// One image through the VAE encoder and decoder.
    public var vaeEncode: Scaling
    public var vaeDecode: Scaling

    /// The FLOPs of everything `plan` runs: the VAE encode (once), then per image its UNet calls and decode.
    public func flops(_ plan: DenoisingPlan) -> Double {
        let n = Double(plan.latentHeight * plan.latentWidth)
        let perImage = Double(plan.timesteps.count * plan.rows) * unetRow.at(latentPixels: n)
            + vaeDecode.at(latentPixels: n)
        return (plan.encodesImage ? vaeEncode.at(latentPixels: n) : 0) + Double(plan.images) * perImage
    }

    /// Measures `unet` and `vae` (one dry forward of each stage at latent sides 8, 16 and 24).
    public static func measure(unet: UNet2DConditionModel, vae: AutoencoderKL, imageScale: Int) -> WorkEstimate {
        let sides = [8, 16, 24]
        let pixels = sides.map { Double($0 * $0) }
        func fit(_ stage: (Int) -> Void) -> Scaling { .fit(pixels, sides.map { side in dryRunFLOPs { stage(side) } }) }
        let call = UNetDryRun(unet), coder = VAEDryRun(vae: vae, imageScale: imageScale)
        return WorkEstimate(
            unetRow: fit { side in call(rows: 1, side: side) },
            vaeEncode: fit { side in coder.encode(latentWidth: side, latentHeight: side) },
            vaeDecode: fit { side in coder.decode(latentWidth: side, latentHeight: side) })
    }

    /// The nominal FLOPs `body`'s kernels are called for, with their arithmetic skipped.
    private static func dryRunFLOPs(_ body: () -> Void) -> Double {
        WorkCancellation { false }.bind { KernelProfile.measure(body).flops }
    }
}

extension StableDiffusionSteps {
    public func measureWork() -> WorkEstimate {
        WorkEstimate.measure(unet: components.unet, vae: components.vae, imageScale: components.imageProcessor.scaleFactor)
    }
}
