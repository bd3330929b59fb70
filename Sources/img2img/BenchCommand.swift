// `img2img bench --model DIR`: times each stage of SD img2img at 512² on the loaded model — text encoding,
// VAE encode, UNet forward (64² latent, batch 1 and 2), VAE decode, a 20-step × 0.5 img2img with CFG and an
// SD-Turbo-style 2-step × 0.5 run without guidance — against an sgemm measured in the same process.

import ArgumentParser
import Foundation
import Images
import Models
import Pipelines
import Random
import SafeTensors
import Tensors

/// Benchmarks every stage of the pipeline on a model folder (e.g. one written by `weights synth`).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Time text encoding, VAE encode/decode, UNet forward and whole img2img runs at 512².",
        discussion: "Threads: IMG2IMG_THREADS sets the worker count (default: the online cores); OpenBLAS runs single-threaded inside each worker.")

    @Option(help: "A diffusers model folder.") var model: String
    @Option(help: "Runs per short stage (the median is reported).") var repeats: Int = 3
    @Option(help: "Untimed runs before each short stage.") var warmups: Int = 1
    @Option(help: "Image height and width in pixels.") var size: Int = 512
    @Option(parsing: .upToNextOption,
            help: "Stages to run: text, vae-encode, unet-b1, unet-b2, vae-decode, img2img, turbo (default: all).")
    var stages: [String] = BenchCommand.allStages
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Flag(help: "Also print where each stage's time went, kernel family by kernel family.") var profile = false
    @Option(help: "Write each short stage's output to this safetensors file (for compare_torch.py's error check).")
    var outputs: String?

    static let allStages = ["text", "vae-encode", "unet-b1", "unet-b2", "vae-decode", "img2img", "turbo"]

    func validate() throws {
        for stage in stages where !Self.allStages.contains(stage) {
            throw ValidationError("unknown stage \(stage); choose from \(Self.allStages.joined(separator: ", "))")
        }
        guard size > 0, size % 8 == 0 else { throw ValidationError("--size must be a positive multiple of 8") }
    }

    func run() throws {
        let sgemm = BenchProbe.sgemmReference(repeats: 3)
        let loadStart = Date()
        let components = try StableDiffusionComponents(index: ModelIndex(folder: URL(fileURLWithPath: model)), modelID: "bench")
        var report = BenchReport(model: model, workers: parallelWorkerCount, blasThreads: BLASThreads.count,
                                 sgemmGFLOPS: sgemm, loadSeconds: Date().timeIntervalSince(loadStart), stages: [])
        let inputs = BenchInputs(components: components, size: size)
        var produced: [(name: String, tensor: Tensor)] = []
        for stage in Self.allStages where stages.contains(stage) {
            let (result, output) = try inputs.run(stage, repeats: repeats, warmups: warmups)
            report.stages.append(result)
            if let output { produced.append((stage, output)) }
            print(String(format: "%@: %.3f s", stage, result.median))
        }
        if let outputs { try SafeTensorsWriter.write(produced, to: URL(fileURLWithPath: outputs)) }
        print(report.table())
        if profile { print(report.kernelTable()) }
        if let json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: json))
        }
    }
}

/// The fixed inputs of every stage: a prompt, a 512² test image and seeded latents / text states.
struct BenchInputs {
    let components: StableDiffusionComponents
    let size: Int
    static let prompt = "a photograph of an astronaut riding a horse"

    /// Runs one stage (whole-pipeline stages once, the others `repeats` times) and returns its last output.
    func run(_ stage: String, repeats: Int, warmups: Int) throws -> (BenchResult, Tensor?) {
        let (textEncoder, unet, vae) = (components.textEncoder, components.unet, components.vae)
        let latentSize = size / components.imageProcessor.scaleFactor
        let latentChannels = vae.config.latentChannels
        var output: Tensor?
        // Every stage starts with no model resident (as each pipeline stage does): its peak RSS is its own.
        components.models.forEach { $0.releaseResidentWeights() }
        KeptScratch.releaseAll()
        switch stage {
        case "text":
            return (BenchProbe.measure("text encoding", repeats: repeats, warmups: warmups) {
                output = try? PromptEncoder(tokenizer: components.tokenizer, textEncoder: textEncoder).encode(Self.prompt)
            }, output)
        case "vae-encode":
            let image = try components.imageProcessor.preprocess(testImage())
            return (BenchProbe.measure("VAE encode \(size)²", repeats: repeats, warmups: warmups) {
                output = vae.encode(image).mean
            }, output)
        case "unet-b1", "unet-b2":
            let batch = stage == "unet-b1" ? 1 : 2
            let sample = randn([batch, latentChannels, latentSize, latentSize], seed: 1)
            let context = randn([batch, 77, textEncoder.config.hiddenSize], seed: 2)
            return (BenchProbe.measure("UNet \(latentSize)² batch \(batch)", repeats: repeats, warmups: warmups) {
                output = unet(sample, timesteps: [500], encoderHiddenStates: context)
            }, output)
        case "vae-decode":
            let latents = randn([1, latentChannels, latentSize, latentSize], seed: 3)
            return (BenchProbe.measure("VAE decode \(size)²", repeats: repeats, warmups: warmups) {
                output = vae.decode(latents)
            }, output)
        case "img2img":
            return (try generate("img2img 20 steps × 0.5, CFG", steps: 20, guidance: 7.5), nil)
        default:
            return (try generate("turbo 2 steps × 0.5, no CFG", steps: 2, guidance: 0), nil)
        }
    }

    /// One whole `generate` call at strength 0.5.
    private func generate(_ name: String, steps: Int, guidance: Double) throws -> BenchResult {
        let pipeline = StableDiffusionImg2ImgPipeline(components: components)
        let request = PipelineRequest(prompt: Self.prompt, strength: 0.5, guidanceScale: guidance, steps: steps, seed: 42)
        var options = GenerationOptions()
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
