// `img2img weights synth --arch sd15|sd21|sdxl|sdxl-turbo|sdxl-refiner --out DIR [--dtype f16|f32]`: writes a full-size random-weight
// pipeline in diffusers layout (the real checkpoints' configs), so benchmarks run without downloads or Python.

import ArgumentParser
import Foundation
import ModelSynthesis
import SafeTensors

/// Model-weight utilities.
struct WeightsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weights", abstract: "Model-weight utilities.", subcommands: [SynthCommand.self])
}

/// Writes a synthetic full-size pipeline folder.
struct SynthCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth",
        abstract: "Write a full-size random-weight SD1.5, SD2.1 or SDXL pipeline folder (diffusers layout).")

    @Option(help: "Architecture: sd15, sd21, sdxl, sdxl-turbo or sdxl-refiner.") var arch: SynthArchitecture
    @Option(help: "Output folder (created).") var out: String
    @Option(help: "Stored dtype: f16 or f32.") var dtype: String = "f16"
    @Option(help: "Seed of the random weights.") var seed: UInt64 = 0
    @Option(help: "Folder with the CLIP tokenizer files (default: weights/clip-tokenizer).") var tokenizer: String?

    func run() throws {
        guard let stored = ["f16": SafeTensorsDType.f16, "f32": .f32][dtype] else {
            throw ValidationError("--dtype must be f16 or f32, got \(dtype)")
        }
        let source = URL(fileURLWithPath: tokenizer ?? BundledModel.weightsFolder("clip-tokenizer"))
        let synthesizer = PipelineSynthesizer(configs: arch.configs, dtype: stored, seed: seed, tokenizerSource: source)
        let start = Date()
        try synthesizer.write(to: URL(fileURLWithPath: out)) { component in
            print("writing \(component)…")
        }
        print(String(format: "wrote %@ (%@, %@) in %.1f s", out, arch.rawValue, dtype, Date().timeIntervalSince(start)))
    }
}

extension SynthArchitecture: ExpressibleByArgument {}
