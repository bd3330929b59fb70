// `img2img parity-unet --dir DIR`: runs our UNet on the input stored by Benchmarks/make_fullsize_unet.py
// and prints max|ours − torch| / max|torch| and both forward times — the at-scale numerics check.

import ArgumentParser
import Dispatch
import Foundation
import Models
import SafeTensors
import Tensors

/// Checks our UNet forward against torch's on a full-size random-weight model.
struct ParityUNetCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parity-unet",
        abstract: "Compare our UNet forward with torch's on a folder written by Benchmarks/make_fullsize_unet.py.")

    @Option(help: "Folder with config.json, diffusion_pytorch_model.safetensors and expected.safetensors.")
    var dir: String

    @Option(help: "Largest acceptable relative error max|a−b|/max|b|.")
    var tolerance: Float = 1e-4

    func run() throws {
        let folder = URL(fileURLWithPath: dir)
        let loadStart = DispatchTime.now()
        let unet = try UNet2DConditionModel(directory: folder)
        let expected = try loadSafeTensors(folder.appendingPathComponent("expected.safetensors"))
        let loadSeconds = seconds(since: loadStart)
        let start = DispatchTime.now()
        let output = unet(expected["sample"]!, timesteps: expected["timesteps"]!.scalars,
                          encoderHiddenStates: expected["encoder_hidden_states"]!)
        let forwardSeconds = seconds(since: start)
        let reference = expected["output"]!
        let error = relativeDifference(output, reference)
        let torchSeconds = expected["torch_seconds"]?.scalars.first ?? .nan
        print(String(format: "UNet %@: relative error %.3e (tolerance %.0e); forward %.2f s (torch %.2f s, ratio %.2f); load %.1f s",
                     "\(output.shape)", error, tolerance, forwardSeconds, torchSeconds, forwardSeconds / Double(torchSeconds), loadSeconds))
        if !(error <= tolerance) { throw ExitCode.failure }
    }

    private func seconds(since start: DispatchTime) -> Double {
        Double(DispatchTime.now().uptimeNanoseconds - start.uptimeNanoseconds) / 1e9
    }
}

/// max|a−b| / max|b| (infinity for different shapes).
func relativeDifference(_ a: Tensor, _ b: Tensor) -> Float {
    guard a.shape == b.shape else { return .infinity }
    let x = a.scalars, y = b.scalars
    var difference: Float = 0, magnitude: Float = 0
    for i in x.indices {
        difference = max(difference, abs(x[i] - y[i]))
        magnitude = max(magnitude, abs(y[i]))
    }
    return magnitude > 0 ? difference / magnitude : difference
}
