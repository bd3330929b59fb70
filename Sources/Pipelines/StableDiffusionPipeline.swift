// A diffusers Stable Diffusion model folder loaded for image-to-image: tokenizer, text encoder, UNet, VAE and
// scheduler config, as `StableDiffusionImg2ImgPipeline` or, for an 8-channel UNet,
// `StableDiffusionInstructPix2PixPipeline`. Generation itself lives in the two `…Generation.swift` files.

import Foundation
import Images
import Models
import Random
import Schedulers
import Tensors
import Tokenizers

/// The two pipelines this engine reproduces.
public enum PipelineKind: String, Sendable {
    case img2img = "StableDiffusionImg2ImgPipeline"
    case instructPix2Pix = "StableDiffusionInstructPix2PixPipeline"

    /// diffusers' default `num_inference_steps` of the pipeline's `__call__`.
    public var defaultSteps: Int { self == .img2img ? 50 : 100 }
}

/// A loaded Stable Diffusion model ready to generate.
public final class StableDiffusionPipeline {
    public let kind: PipelineKind
    public let modelID: String
    public let folder: URL
    public let prompts: PromptEncoder
    public let unet: UNet2DConditionModel
    public let vae: AutoencoderKL
    public let schedulerConfig: SchedulerConfig
    public let imageProcessor: VaeImageProcessor
    /// Where the request's LoRA ids are found, and the LoRAs kept loaded.
    public let loraLibrary: LoRALibrary
    /// How LoRA updates are applied (see `LoRAApplication`).
    public var loraApplication: LoRAApplication = .merged

    /// Pipeline classes whose folders hold the components of an SD1.x / SD2.x model.
    static let supportedClasses = ["StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline",
                                   "StableDiffusionInstructPix2PixPipeline"]

    /// Loads every component of the model folder; `modelID` selects the runner's per-model rules; LoRA ids
    /// resolve through `loraLibrary` (by default under the default model root).
    public init(folder: URL, modelID: String, loraLibrary: LoRALibrary = LoRALibrary()) throws {
        self.folder = folder
        self.modelID = modelID
        self.loraLibrary = loraLibrary
        let className = try StableDiffusionPipeline.pipelineClass(in: folder)
        guard StableDiffusionPipeline.supportedClasses.contains(className) else {
            throw PipelineError.unsupportedModel(
                "model_index.json names \(className); supported: \(StableDiffusionPipeline.supportedClasses.joined(separator: ", "))")
        }
        let tokenizer = try CLIPTokenizer(directory: folder.appendingPathComponent("tokenizer"))
        let textEncoder = try CLIPTextModel(directory: folder.appendingPathComponent("text_encoder"))
        prompts = PromptEncoder(tokenizer: tokenizer, textEncoder: textEncoder)
        unet = try UNet2DConditionModel(directory: folder.appendingPathComponent("unet"))
        vae = try AutoencoderKL(directory: folder.appendingPathComponent("vae"))
        schedulerConfig = try SchedulerConfig.load(folder.appendingPathComponent("scheduler/scheduler_config.json"))
        kind = unet.config.inChannels == 8 ? .instructPix2Pix : .img2img
        guard unet.config.inChannels == (kind == .img2img ? vae.config.latentChannels : 2 * vae.config.latentChannels) else {
            throw PipelineError.unsupportedModel("the UNet takes \(unet.config.inChannels) channels; expected \(vae.config.latentChannels) (img2img) or \(2 * vae.config.latentChannels) (InstructPix2Pix)")
        }
        imageProcessor = VaeImageProcessor(scaleFactor: 1 << (vae.config.blockOutChannels.count - 1))
        // Loading read the files' headers and widened what is not kept as F16: none of it is needed resident.
        [textEncoder as CheckpointBacked, unet, vae].forEach { $0.releaseResidentWeights() }
    }

    /// `_class_name` of `model_index.json`.
    static func pipelineClass(in folder: URL) throws -> String {
        let url = folder.appendingPathComponent("model_index.json")
        guard let data = try? Data(contentsOf: url),
              let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let name = object["_class_name"] as? String else {
            throw PipelineError.unsupportedModel("\(url.path) is missing or has no _class_name")
        }
        return name
    }

    /// A fresh scheduler for one image: the model's config, with the runner's or the caller's class swap.
    func makeRunScheduler(options: GenerationOptions) throws -> Scheduler {
        var config = options.schedulerConfig ?? schedulerConfig
        if let name = options.schedulerOverride ?? RunnerRules.schedulerOverride(modelID: modelID) {
            config.className = name
        }
        return try makeScheduler(config: config)
    }

    /// Generates `request.numImagesPerPrompt` images from `image`, image `i` with seed `seed + i`.
    public func generate(image: RGBImage, request original: GenerationRequest,
                         options: GenerationOptions = GenerationOptions()) throws -> [RGBImage] {
        let request = RunnerRules.adjust(original, modelID: modelID, defaultSteps: kind.defaultSteps)
        try request.validate()
        let loras = try loraBinding(for: request.loras)
        let input = try imageProcessor.preprocess(image)
        options.dump?.record("image", input)
        var outputs: [RGBImage] = []
        for i in 0..<request.numImagesPerPrompt {
            if request.numImagesPerPrompt > 1 { options.dump?.setPrefix("image\(i).") }
            let generator = makeGenerator(options.rng, seed: request.seed &+ UInt64(i))
            let run = ImageRun(index: i, generator: generator, scheduler: try makeRunScheduler(options: options),
                               loras: loras)
            let latents = kind == .img2img
                ? try img2imgLatents(input, request: request, run: run, options: options)
                : try instructPix2PixLatents(input, request: request, run: run, options: options)
            let decoded = stage(vae) { vae.decode(latents * (1 / vae.config.scalingFactor)) }
            options.dump?.record("decoded", decoded)
            outputs += try imageProcessor.postprocess(decoded)
        }
        options.dump?.setPrefix("")
        return outputs
    }

    /// Runs one stage of the pipeline on `model`, then lets the model's mapped weights leave the resident set:
    /// F16 weights are read in place from their files, so each model is resident only while its stage runs
    /// (the next stage's model maps its pages back from the page cache). The kernels' kept scratch goes too.
    func stage<T>(_ model: CheckpointBacked, _ body: () throws -> T) rethrows -> T {
        defer {
            model.releaseResidentWeights()
            KeptScratch.releaseAll()
        }
        return try body()
    }

    /// Runs a denoising loop to the end, reporting each step; throws when cancelled or the scheduler fails.
    func finish(_ loop: DenoisingLoop, run: ImageRun, options: GenerationOptions) throws -> Tensor {
        var loop = loop
        while let step = loop.next() {
            options.dump?.record("step\(step.index).latents", step.latents)
            if let onStep = options.onStep, !onStep(run.index, step) { throw PipelineError.cancelled }
        }
        if let failure = loop.failure { throw failure }
        return loop.latents
    }
}

/// Per-image state of one generation: its generator, its own scheduler and the request's LoRA patches.
struct ImageRun {
    let index: Int
    let generator: RandomGenerator
    let scheduler: Scheduler
    let loras: LoRABinding
}
