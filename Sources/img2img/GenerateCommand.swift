// `img2img generate`: one image-to-image request from the command line, with the API's parameters, the
// runner's defaults, a progress bar, optional tensor dumps for stage-by-stage comparison with diffusers, and
// optional previews of each step's predicted clean image.

import ArgumentParser
import Foundation
import Images
import Models
import Pipelines
import Random

/// Runs the image-to-image pipeline on a file and writes the result as PNG.
struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Transform an image with a prompt (Stable Diffusion img2img or InstructPix2Pix).")

    @Option(help: "Input image (PNG or JPEG).") var image: String
    @Option(help: "The prompt.") var prompt: String
    @Option(help: "A model folder or Hugging Face id (default: the bundled test model).") var model: String?
    @Option(help: "Model root for ids (default $MODEL_DIR, else ~/.lpData/models).") var modelDir: String?
    @Option(help: "Negative prompt.") var negativePrompt: String = ""
    @Option(help: "How much to transform the image, in [0, 1].") var strength: Double = 0.8
    @Option(help: "Classifier-free guidance scale.") var guidanceScale: Double = 7.5
    @Option(help: "Image guidance scale (InstructPix2Pix).") var imageGuidanceScale: Double = 1.5
    @Option(help: "Denoising steps (< 1: the pipeline's default).") var steps: Int = 100
    @Option(help: "Seed; image i uses seed + i (default: random in [0, 2³²−1], as the runner draws it).") var seed: Int128?
    @Option(help: "Number of images.") var numImages: Int = 1
    @Option(help: "Generator to reproduce: cuda (the runner on a GPU) or cpu (torch CPU).") var rng: RandomSource = .cuda
    @Option(help: "Scheduler class name replacing the model's (e.g. EulerDiscreteScheduler).") var scheduler: String?
    @Option(help: "Text encoder layers to skip from the end (diffusers clip_skip).") var clipSkip: Int?
    @Option(help: "LoRAs as the API's JSON, id (under the model root) or folder path → strength, e.g. '{\"org/style\": 0.8}'.")
    var loras: String = ""
    @Option(help: "How LoRA updates apply: merged (into a copy of each adapted weight) or runtime.")
    var loraMode: LoRAApplication = .merged
    @Option(help: "SDXL-Lightning ids: runner (text-to-image, the image ignored, as the runner) or img2img.")
    var lightningMode: LightningMode = .runner
    @Option(help: "Output PNG; several images become OUT-0.png, OUT-1.png, …") var output: String = "output.png"
    @Option(help: "Write every intermediate tensor to DIR/dump.safetensors.") var dump: String?
    @Option(help: "Safety checker: a model id or folder, or none (default: the model's own, else \(SafetyCheckerLocator.defaultID)).")
    var safetyChecker: String?
    @Flag(help: "Black out images the safety checker flags (diffusers' behaviour; the runner only flags them).")
    var nsfwBlackout = false
    @Flag(help: "No progress bar.") var quiet = false
    @Flag(help: "Print each stage's output shape, time, FLOPs and peak memory (text encoders, VAE, every UNet call).")
    var trace = false
    @Option(help: "Write the trace as JSON to FILE (implies --trace).") var traceJson: String?
    @Option(help: "Write a preview of each step's predicted clean image to DIR: step-000.png, … in step order and contact-sheet.png (several images: DIR/image-<i>/).")
    var previews: String?
    @Option(help: "How previews are made: projection (the model's latent→RGB map fitted to its VAE; latent-sized) or taesd (the tiny autoencoder madebyollin/taesd or taesdxl under the model root; image-sized).")
    var previewDecoder: PreviewKind = .projection

    func run() throws {
        let store = ModelStore(root: modelDir)
        let reference = model ?? BundledModel.path
        let location = try store.locate(reference)
        let pipeline = try PipelineLoader.load(location, modelID: model ?? BundledModel.id, lightningMode: lightningMode,
                                               loraLibrary: LoRALibrary(store: store, allowsPaths: true),
                                               loraApplication: loraMode)
        let service = ImageToImageService(
            pipeline: pipeline,
            safetyChecker: try SafetyCheckerLocator.load(option: safetyChecker, modelFolder: location.folder, store: store))
        if let warning = pipeline.profile.requestWarning { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
        service.blackOutNSFW = nsfwBlackout
        let input = try ImageDecoder.decode(Data(contentsOf: URL(fileURLWithPath: image)))

        var request = GenerationRequest(prompt: prompt)
        request.negativePrompt = negativePrompt
        request.strength = strength
        request.guidanceScale = guidanceScale
        request.imageGuidanceScale = imageGuidanceScale
        request.numInferenceSteps = steps
        request.numImagesPerPrompt = numImages
        request.seed = seed
        request.clipSkip = clipSkip
        request.loras = loras
        let resolved = try service.resolve(request)

        var options = GenerationOptions()
        options.rng = rng
        options.schedulerOverride = scheduler
        let tensors = dump.map { _ in TensorDump() }
        options.dump = tensors
        if !quiet {
            // The steps that run, and why: strength cuts img2img's schedule, the runner's rules may override steps.
            var planned = resolved
            planned.schedulerClass = scheduler ?? resolved.schedulerClass
            if let plan = try? service.pipeline.plan(planned, imageWidth: input.width, imageHeight: input.height) {
                let overrides = RunnerContract.overrides(request, resolved: resolved, for: service.pipeline.profile)
                FileHandle.standardError.write(Data("denoising: \(plan.accounting(after: overrides))\n".utf8))
            }
        }
        let pipelineTrace = trace || traceJson != nil ? PipelineTrace() : nil
        options.trace = pipelineTrace
        let bar = ProgressBar(label: "generating", quiet: quiet)
        let previewCost = PreviewCost()
        options.onStep = { _, step in
            previewCost.stepFinished()
            bar.update(done: step.index + 1, total: step.count)
            return true
        }
        let previewFolder = try previews.map { try preparePreviews(into: $0, request: resolved, pipeline: service.pipeline,
                                                                  options: &options, cost: previewCost) }

        let images: [GeneratedImage]
        do {
            images = try service.run(image: input, request: resolved, options: options)
        } catch let error as LoRAError {
            // The runner's text leaves out which layers did not fit; say it here.
            if let details = error.details { FileHandle.standardError.write(Data("\(details)\n".utf8)) }
            throw error
        }
        for (i, generated) in images.enumerated() {
            let path = images.count == 1 ? output : Self.numbered(output, i)
            try Data(generated.image.pngData()).write(to: URL(fileURLWithPath: path))
            print("\(path)  seed \(generated.seed)  nsfw \(generated.nsfw)")
        }
        if let previewFolder {
            let sheets = try previewFolder.finish()
            print("\(previewFolder.url.path)  \(sheets.map(\.lastPathComponent).joined(separator: ", ")) and the steps' previews")
            if !quiet { FileHandle.standardError.write(Data("\(previewCost.summary)\n".utf8)) }
        }
        if let pipelineTrace {
            FileHandle.standardError.write(Data((pipelineTrace.table + "\n").utf8))
            if let traceJson { try pipelineTrace.json().write(to: URL(fileURLWithPath: traceJson)) }
        }
        if let dump, let tensors {
            try FileManager.default.createDirectory(atPath: dump, withIntermediateDirectories: true)
            let url = URL(fileURLWithPath: dump).appendingPathComponent("dump.safetensors")
            try tensors.write(to: url)
            print("\(url.path)  \(tensors.entries.count) tensors")
        }
    }

    /// Sets `options` to write each step's preview into `directory`, with the decoder readied first (the
    /// projection's fit or the tiny autoencoder's load, timed here so the run's figures are the steps' own).
    private func preparePreviews(into directory: String, request: PipelineRequest, pipeline: any ImageToImagePipeline,
                                 options: inout GenerationOptions, cost: PreviewCost) throws -> PreviewFolder {
        let start = DispatchTime.now().uptimeNanoseconds
        _ = try pipeline.previews.decoder(previewDecoder)
        if !quiet {
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let what = previewDecoder == .projection ? "latent projection fitted to the VAE" : "tiny autoencoder loaded"
            FileHandle.standardError.write(Data(String(format: "previews: %@ in %.2f s\n", what, seconds).utf8))
        }
        let folder = try PreviewFolder(url: URL(fileURLWithPath: directory), imageCount: request.numImages)
        options.previews = previewDecoder
        options.onPreview = { image, step, preview in
            cost.previewMade { folder.write(image: image, step: step.index, preview: preview) }
        }
        return folder
    }

    /// `out.png` → `out-3.png`.
    static func numbered(_ path: String, _ index: Int) -> String {
        let url = URL(fileURLWithPath: path)
        let ext = url.pathExtension.isEmpty ? "png" : url.pathExtension
        return url.deletingPathExtension().path + "-\(index).\(ext)"
    }
}

extension RandomSource: ExpressibleByArgument {}
extension Int128: @retroactive ExpressibleByArgument {}
extension LoRAApplication: ExpressibleByArgument {}
extension LightningMode: ExpressibleByArgument {}
extension PreviewKind: ExpressibleByArgument {}
