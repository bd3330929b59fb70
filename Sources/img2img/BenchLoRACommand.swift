// `img2img bench-lora --dir DIR`: a synthetic kohya LoRA on a full-size UNet (Benchmarks/make_fullsize_unet.py):
// file size, load time, memory, the merging forward, then interleaved forwards plain / run time / merged.

import ArgumentParser
import Dispatch
import Foundation
import Models
import Pipelines
import SafeTensors
import Tensors

/// Measures LoRA load time, memory and forward cost for both application modes.
struct BenchLoRACommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-lora", abstract: "Time a synthetic LoRA on a full-size UNet, at run time and merged.")

    @Option(help: "Folder with config.json and diffusion_pytorch_model.safetensors (make_fullsize_unet.py).")
    var dir: String
    @Option(help: "LoRA rank.") var rank = 64
    @Option(help: "Layers adapted: attention (transformer blocks, proj_in/out) or all (every Linear and Conv2d).")
    var targets = "all"
    @Option(help: "Latent height and width.") var size = 64
    @Option(help: "UNet batch (2 = classifier-free guidance).") var batch = 1
    @Option(help: "Interleaved timing rounds (the best of each is reported).") var rounds = 2

    func run() throws {
        let unet = try UNet2DConditionModel(directory: URL(fileURLWithPath: dir))
        let layers = unet.layerShapes.filter { targets == "all" || $0.key.contains(".attentions.") }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("bench-lora-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: file) }
        try writeKohyaLoRA(layers, to: file)
        let fileBytes = (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int) ?? 0

        let (lora, loadSeconds, _) = try timed { try LoRAWeights(id: "bench/lora", file: file) }
        let patchedBytes = layers.values.reduce(0) { $0 + Tensor.elementCount(of: $1) * 4 }
        print("LoRA: \(layers.count) layers, rank \(rank); file \(megabytes(fileBytes)) (F16), in memory "
              + "\(megabytes(lora.byteCount)) (F32); load \(String(format: "%.2f", loadSeconds)) s; patched base weights "
              + "\(megabytes(patchedBytes))")

        let sample = noise([batch, unet.config.inChannels, size, size], seed: 1)
        let context = noise([batch, 77, unet.config.crossAttentionDims[0]], seed: 2)
        let forward = { _ = unet(sample, timesteps: [500], encoderHiddenStates: context) }
        _ = timed(forward)
        let bindings = try LoRAApplication.allCases.map {
            try LoRABinding.make([(lora, 1)], layers: [.unet: unet.layerShapes], model: "bench", application: $0)
        }
        let rssBefore = ProcessMeasurement.residentBytes()
        let firstMerged = timed { bindings[1][.unet].bind(forward) }
        print(String(format: "merged: first forward (merging) %.2f s (CPU %.2f s); resident +%@", firstMerged.seconds,
                     firstMerged.cpu, megabytes(ProcessMeasurement.residentBytes() - rssBefore)))
        // Interleaved rounds, best of each: steadier on a machine shared with other work.
        let runs: [(String, () -> Void)] = [("plain", forward), ("runtime", { bindings[0][.unet].bind(forward) }),
                                            ("merged", { bindings[1][.unet].bind(forward) })]
        var best: [String: (seconds: Double, cpu: Double)] = [:]
        for _ in 0..<rounds {
            for (name, body) in runs {
                let time = timed(body)
                let previous = best[name] ?? (.infinity, .infinity)
                best[name] = (min(previous.seconds, time.seconds), min(previous.cpu, time.cpu))
            }
        }
        let plain = best["plain"]!
        for (name, _) in runs {
            let time = best[name]!
            print(String(format: "%-8@ forward %.2f s (CPU %.2f s): %+.1f%% wall, %+.1f%% CPU vs plain", name, time.seconds,
                         time.cpu, (time.seconds / plain.seconds - 1) * 100, (time.cpu / plain.cpu - 1) * 100))
        }
    }

    /// A kohya-style file adapting `layers`: down `[rank, in(, k, k)]`, up `[out, rank(, 1, 1)]`, alpha rank / 2.
    func writeKohyaLoRA(_ layers: [String: [Int]], to file: URL) throws {
        var tensors: [(name: String, tensor: Tensor)] = []
        for (index, (key, shape)) in layers.sorted(by: { $0.key < $1.key }).enumerated() {
            let stem = "lora_unet_" + key.replacingOccurrences(of: ".", with: "_")
            let convolution = shape.count == 4
            tensors.append(("\(stem).lora_down.weight", noise([rank, shape[1]] + (convolution ? Array(shape[2...]) : []),
                                                            seed: UInt64(2 * index + 3), magnitude: 0.01)))
            tensors.append(("\(stem).lora_up.weight", noise([shape[0], rank] + (convolution ? [1, 1] : []),
                                                          seed: UInt64(2 * index + 4), magnitude: 0.01)))
            tensors.append(("\(stem).alpha", Tensor(shape: [], values: [Float(rank) / 2])))
        }
        try SafeTensorsWriter.write(tensors, to: file, dtype: .f16)
    }

    func noise(_ shape: [Int], seed: UInt64, magnitude: Float = 1) -> Tensor {
        var state = seed &* 0x9E3779B97F4A7C15 | 1
        return Tensor(shape: shape, values: (0..<Tensor.elementCount(of: shape)).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int64(bitPattern: state % 2001) - 1000) / 1000 * magnitude
        })
    }

    /// The result, wall seconds and process CPU seconds (all threads; steadier on a shared machine).
    func timed<R>(_ body: () throws -> R) rethrows -> (value: R, seconds: Double, cpu: Double) {
        let (start, cpuStart) = (DispatchTime.now(), ProcessMeasurement.cpuSeconds())
        let value = try body()
        return (value, Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9,
                ProcessMeasurement.cpuSeconds() - cpuStart)
    }

    func megabytes(_ bytes: Int) -> String { String(format: "%.1f MB", Double(bytes) / 1e6) }
}
