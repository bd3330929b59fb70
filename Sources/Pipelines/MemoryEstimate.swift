// A request's peak resident memory, known before it is queued. Only one stage's model runs at a time, and its
// F16 weights are read in place from their file mapping (resident only while it runs), so a generation peaks
// in one stage: the idle process, plus what the request holds throughout (its input and finished images), plus
// the larger of each stage's weights and the tensor storage it holds at its peak. Tensor storage is counted by
// a `MemoryLedger` over dry runs (a cancelled `WorkCancellation` bound: the kernels skip their arithmetic and
// the pages they are given are never touched):
//  - the UNet's storage is linear in its batch rows and, past a small size, proportional to the latent pixels
//    (its attention is tiled, so nothing is quadratic; below that size, weight-sized temporaries set the peak):
//    dry runs at a 64² latent, batch 1 and 2, once at load, scale to any size (at 128² and 256² on SD1.5
//    they give the dry runs' own figures to 0.1 %);
//  - the VAE's is piecewise: a block whose tensors pass `RowBands.thresholdBytes` runs in row bands, one block
//    at one size and another at another, so the VAE is dry-run at the request's own size (about 0.1 s, a few
//    seconds for banded sizes; kept per size).
// Memory the ledger does not see is a fixed allowance, `kernelAllowance`: freed buffers kept for reuse
// (`RecycledMemory.idleBudget`), the Winograd weights' kept scratch and the scratch allocated inside the parallel
// workers. With it the VAE decoder's estimate was 7 % (1024²) and 14 % (512²) above its measured peak on a full-size
// SD1.5; without it, 1.5 % and 10 % below. Not counted: run-time LoRA patches, the safety checker (its ~0.6 GB of weights set no peak).

import Foundation
import Models
import Tensors

/// A model's peak memory by request, in bytes.
public final class MemoryEstimate: Sendable {
    /// The resident set with no stage running, measured when the estimate is made.
    public let idleBytes: Int
    /// The weights each stage keeps resident while it runs (the text encoders', the UNet's, the VAE's).
    public let textEncoderWeights: Int, unetWeights: Int, vaeWeights: Int
    /// Tensor storage of a UNet call on `referenceSide`² latents at its peak: `unetBase` plus `unetPerRow` per
    /// batch row (bytes).
    public let unetBase: Int, unetPerRow: Int
    /// The latent side the UNet is measured at.
    public static let referenceSide = 64
    /// What the kernels hold beyond the tensors a ledger counts: the recycled-buffer pool, plus 128 MB of kept
    /// and per-worker scratch.
    public static let kernelAllowance = RecycledMemory.idleBudget + (128 << 20)
    private let vae: VAEProbe

    /// Measures `unet` (dry runs at `referenceSide`², batch 1 and 2) and takes the models' weights from their
    /// checkpoints; `textEncoders` are the prompt stages' models.
    public init(unet: UNet2DConditionModel, vae: AutoencoderKL, textEncoders: [CheckpointBacked], imageScale: Int) {
        let call = UNetDryRun(unet)
        let one = Self.dryRunPeak { call(rows: 1, side: Self.referenceSide) }
        let two = Self.dryRunPeak { call(rows: 2, side: Self.referenceSide) }
        unetPerRow = two - one
        unetBase = one - unetPerRow
        self.vae = VAEProbe(vae: vae, imageScale: imageScale)
        textEncoderWeights = textEncoders.map(\.checkpoint.halfPrecisionBytes).max() ?? 0
        unetWeights = unet.checkpoint.halfPrecisionBytes
        vaeWeights = vae.checkpoint.halfPrecisionBytes
        RecycledMemory.releaseIdle()
        idleBytes = ProcessMeasurement.residentBytes()
    }

    /// The peak of the stages `plan` runs, largest first: (stage name, bytes including the idle process).
    public func stagePeaks(_ plan: DenoisingPlan) -> [(stage: String, bytes: Int)] {
        let held = idleBytes + Self.kernelAllowance + Self.heldBytes(plan, imageScale: vae.imageScale)
        var stages = [("text encoders", textEncoderWeights), ("UNet", unetWeights + unetStorage(plan)),
                      ("VAE decoder", vaeWeights + vae.peak(.decode, latentWidth: plan.latentWidth, latentHeight: plan.latentHeight))]
        if plan.encodesImage {
            stages.append(("VAE encoder", vaeWeights + vae.peak(.encode, latentWidth: plan.latentWidth,
                                                                  latentHeight: plan.latentHeight)))
        }
        return stages.map { ($0.0, held + $0.1) }.sorted { $0.bytes > $1.bytes }
    }

    /// The UNet's tensor storage for `plan`: the reference figures scaled by the latent pixels, never below them.
    public func unetStorage(_ plan: DenoisingPlan) -> Int {
        let scale = max(1, Double(plan.latentHeight * plan.latentWidth) / Double(Self.referenceSide * Self.referenceSide))
        return Int((Double(unetBase + plan.rows * unetPerRow) * scale).rounded(.up))
    }

    /// The request's peak: its largest stage.
    public func peakBytes(_ plan: DenoisingPlan) -> Int { stagePeaks(plan)[0].bytes }

    /// What a request holds through every stage: its image as float pixels and its finished images.
    static func heldBytes(_ plan: DenoisingPlan, imageScale: Int) -> Int {
        let pixels = plan.latentHeight * plan.latentWidth * imageScale * imageScale
        return 3 * pixels * (MemoryLayout<Float>.size + plan.images)
    }

    /// The peak tensor storage `body` allocates, run dry.
    static func dryRunPeak(_ body: () -> Void) -> Int {
        WorkCancellation { false }.bind { MemoryLedger().peakIncrease(body).bytes }
    }

    /// The VAE's peak storage at a request's size, dry-run once per size.
    private final class VAEProbe: Sendable {
        enum Pass: Hashable { case encode, decode }
        private struct Size: Hashable { let pass: Pass, width: Int, height: Int }

        nonisolated(unsafe) let coder: VAEDryRun
        var imageScale: Int { coder.imageScale }
        private let peaks = Locked<[Size: Int]>([:])

        init(vae: AutoencoderKL, imageScale: Int) {
            coder = VAEDryRun(vae: vae, imageScale: imageScale)
        }

        func peak(_ pass: Pass, latentWidth: Int, latentHeight: Int) -> Int {
            let size = Size(pass: pass, width: latentWidth, height: latentHeight)
            if let known = peaks.withLock({ $0[size] }) { return known }
            let bytes = MemoryEstimate.dryRunPeak { [coder] in
                switch pass {
                case .encode: coder.encode(latentWidth: latentWidth, latentHeight: latentHeight)
                case .decode: coder.decode(latentWidth: latentWidth, latentHeight: latentHeight)
                }
            }
            peaks.withLock { $0[size] = bytes }
            return bytes
        }
    }
}

extension StableDiffusionSteps {
    public func measureMemory() -> MemoryEstimate {
        let encoders = components.models.filter { !($0 is UNet2DConditionModel) && !($0 is AutoencoderKL) }
        return MemoryEstimate(unet: components.unet, vae: components.vae, textEncoders: encoders,
                              imageScale: components.imageProcessor.scaleFactor)
    }
}
