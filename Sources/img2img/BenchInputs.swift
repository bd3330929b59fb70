// The fixed inputs of `img2img bench`'s stages — a prompt, a test image, seeded latents and text states drawn
// from torch's CPU generator (the same tensors Benchmarks/compare_torch.py draws) — and each stage's call, for SD
// and SDXL components alike.

import ArgumentParser
import Foundation
import Images
import Models
import Pipelines
import Random
import Tensors

/// The inputs of every stage, and how each stage runs.
struct BenchInputs {
    let pipeline: any ImageToImagePipeline
    let components: any LatentDiffusionComponents
    /// Set for an SDXL folder.
    let sdxl: StableDiffusionXLComponents?
    let size: Int
    static let prompt = "a photograph of an astronaut riding a horse"

    /// The stages of `pipeline` at `size` (default: the UNet's native size).
    init(pipeline: any ImageToImagePipeline, size: Int?) throws {
        self.pipeline = pipeline
        switch pipeline {
        case let sd as StableDiffusionImg2ImgPipeline: (components, sdxl) = (sd.components, nil)
        case let xl as StableDiffusionXLImg2ImgPipeline: (components, sdxl) = (xl.components, xl.components)
        default: throw ValidationError("bench runs SD1.x/2.x img2img and SDXL folders")
        }
        self.size = size ?? (components.unet.config.sampleSize ?? 64) * components.imageProcessor.scaleFactor
    }

    /// Whether this model has `stage` (the Lightning mode is SDXL's).
    func offers(_ stage: String) -> Bool { stage != "lightning" || sdxl != nil }

    /// Runs one stage (whole-pipeline stages once, the others `repeats` times) and returns its last output.
    func run(_ stage: String, repeats: Int, warmups: Int) throws -> (BenchResult, Tensor?) {
        let (unet, vae) = (components.unet, components.vae)
        let latentSize = size / components.imageProcessor.scaleFactor
        let latentChannels = vae.config.latentChannels
        var output: Tensor?
        // Every stage starts with no model resident (as each pipeline stage does): its peak RSS is its own.
        components.models.forEach { $0.releaseResidentWeights() }
        KeptScratch.releaseAll()
        switch stage {
        case "text":
            return (BenchProbe.measure("text encoding", repeats: repeats, warmups: warmups) {
                output = try? encodePrompt()
            }, output)
        case "vae-encode":
            let image = try components.imageProcessor.preprocess(testImage())
            return (BenchProbe.measure("VAE encode \(size)²", repeats: repeats, warmups: warmups) {
                output = vae.encode(image).mean
            }, output)
        case "unet-b1", "unet-b2":
            let batch = stage == "unet-b1" ? 1 : 2
            let sample = randn([batch, latentChannels, latentSize, latentSize], seed: 1)
            let context = randn([batch, 77, unet.config.crossAttentionDims[0]], seed: 2)
            let (textEmbeds, timeIDs) = addedConditioning(batch: batch)
            return (BenchProbe.measure("UNet \(latentSize)² batch \(batch)", repeats: repeats, warmups: warmups) {
                output = unet(sample, timesteps: [500], encoderHiddenStates: context, addedTextEmbeds: textEmbeds,
                              addedTimeIDs: timeIDs)
            }, output)
        case "vae-decode":
            let latents = randn([1, latentChannels, latentSize, latentSize], seed: 3)
            return (BenchProbe.measure("VAE decode \(size)²", repeats: repeats, warmups: warmups) {
                output = vae.decode(latents)
            }, output)
        case "img2img":
            let (steps, guidance) = sdxl == nil ? (20, 7.5) : (8, 5.0)
            return (try generate("img2img \(steps) steps × 0.5, CFG", pipeline, steps: steps, guidance: guidance), nil)
        case "turbo":
            return (try generate("turbo 2 steps × 0.5, no CFG", pipeline, steps: 2, guidance: 0), nil)
        default:
            var options = GenerationOptions()
            options.schedulerConfig = SDXLLightning.scheduler(from: sdxl!.schedulerConfig)
            return (try generate("Lightning text-to-image 4 steps", StableDiffusionXLPipeline(components: sdxl!),
                                 steps: 4, guidance: 0, options: options), nil)
        }
    }

    /// The prompt's text states: SD's encoder output, or SDXL's encoders' `hidden_states[-2]` side by side.
    func encodePrompt() throws -> Tensor {
        if let xl = pipeline as? StableDiffusionXLImg2ImgPipeline { return try xl.promptStates(Self.prompt) }
        let sd = components as! StableDiffusionComponents
        return try PromptEncoder(tokenizer: sd.tokenizer, textEncoder: sd.textEncoder).encode(Self.prompt)
    }

    /// SDXL's pooled text embeds and time ids (the image's size, crop (0, 0), the size again), else none.
    func addedConditioning(batch: Int) -> (Tensor?, Tensor?) {
        guard let sdxl else { return (nil, nil) }
        let side = Float(size)
        let ids: [Float] = sdxl.requiresAestheticsScore ? [side, side, 0, 0, 6] : [side, side, 0, 0, side, side]
        let timeIDs = Tensor(shape: [batch, ids.count], values: Array((0..<batch).map { _ in ids }.joined()))
        return (randn([batch, sdxl.textEncoder2.config.projectionDim], seed: 4), timeIDs)
    }

    /// One whole `generate` call at strength 0.5.
    private func generate(_ name: String, _ pipeline: any ImageToImagePipeline, steps: Int, guidance: Double,
                          options base: GenerationOptions = GenerationOptions()) throws -> BenchResult {
        let request = PipelineRequest(prompt: Self.prompt, strength: 0.5, guidanceScale: guidance, steps: steps, seed: 42)
        var options = base
        options.rng = .cpu
        let image = try testImage()
        var failure: Error?
        let result = BenchProbe.measure(name, repeats: 1) {
            do { _ = try pipeline.generate(image: image, request: request, options: options) } catch { failure = error }
        }
        if let failure { throw failure }
        return result
    }

    /// A smooth colour gradient with a few edges (the same image Benchmarks/compare_torch.py builds).
    func testImage() throws -> RGBImage {
        var pixels = [UInt8](repeating: 0, count: size * size * 3)
        for y in 0..<size {
            for x in 0..<size {
                let i = (y * size + x) * 3
                pixels[i] = UInt8(x * 255 / (size - 1))
                pixels[i + 1] = UInt8(y * 255 / (size - 1))
                pixels[i + 2] = ((x / 64) + (y / 64)) % 2 == 0 ? 200 : 40
            }
        }
        return try RGBImage(width: size, height: size, pixels: pixels)
    }

    /// Standard normal values from torch's CPU generator (the same tensors compare_torch.py draws).
    func randn(_ shape: [Int], seed: UInt64) -> Tensor {
        makeGenerator(.cpu, seed: seed).randn(shape)
    }
}
