// `img2img bench --model DIR`: times each stage of img2img on the loaded model — text encoding (both encoders
// for SDXL), VAE encode, UNet forward (batch 1 and 2), VAE decode, a whole img2img run with guidance, a
// turbo-style 2-step × 0.5 run without guidance and, for SDXL, the runner's SDXL-Lightning text-to-image mode —
// against an sgemm measured in the same process. SD folders run at 512² by default, SDXL at 1024².

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
        abstract: "Time text encoding, VAE encode/decode, UNet forward and whole img2img runs (SD and SDXL).",
        discussion: "Threads: IMG2IMG_THREADS sets the worker count (default: the online cores); OpenBLAS runs single-threaded inside each worker.")

    @Option(help: "A diffusers model folder.") var model: String
    @Option(help: "Runs per short stage (the median is reported).") var repeats: Int = 3
    @Option(help: "Untimed runs before each short stage.") var warmups: Int = 1
    @Option(help: "Image height and width in pixels (default: the UNet's native size, 512 for SD1.5).") var size: Int?
    @Option(parsing: .upToNextOption,
            help: "Stages to run: text, vae-encode, unet-b1, unet-b2, vae-decode, img2img, turbo, lightning (SDXL) (default: all).")
    var stages: [String] = BenchCommand.allStages
    @Option(help: "Also write the report as JSON to this file.") var json: String?
    @Flag(help: "Also print where each stage's time went, kernel family by kernel family.") var profile = false
    @Option(help: "Write each short stage's output to this safetensors file (for compare_torch.py's error check).")
    var outputs: String?

    static let allStages = ["text", "vae-encode", "unet-b1", "unet-b2", "vae-decode", "img2img", "turbo", "lightning"]

    func validate() throws {
        for stage in stages where !Self.allStages.contains(stage) {
            throw ValidationError("unknown stage \(stage); choose from \(Self.allStages.joined(separator: ", "))")
        }
        if let size, size <= 0 || size % 8 != 0 { throw ValidationError("--size must be a positive multiple of 8") }
    }

    func run() throws {
        let sgemm = BenchProbe.sgemmReference(repeats: 3)
        let loadStart = Date()
        let pipeline = try PipelineLoader.load(folder: URL(fileURLWithPath: model), modelID: "bench")
        let inputs = try BenchInputs(pipeline: pipeline, size: size)
        var report = BenchReport(model: model, workers: parallelWorkerCount, blasThreads: BLASThreads.count,
                                 sgemmGFLOPS: sgemm, loadSeconds: Date().timeIntervalSince(loadStart), stages: [])
        var produced: [(name: String, tensor: Tensor)] = []
        for stage in Self.allStages where stages.contains(stage) && inputs.offers(stage) {
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
