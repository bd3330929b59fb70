import Foundation
import Models
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// Checkpoint discovery: the `.fp16` variant when present (as the runner on a GPU loads it), else the plain
/// file; F16 widened to Float.
final class CheckpointTests: XCTestCase {
    func testFP16VariantIsFoundAndWidened() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("img2img-fp16-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let source = Fixtures.url("models/vae")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        let weights = try SafeTensorsFile(contentsOf: source.appendingPathComponent("diffusion_pytorch_model.safetensors"))
        let tensors = try weights.names.map { (name: $0, tensor: try weights.tensor($0)) }
        try SafeTensorsWriter.write(tensors, to: folder.appendingPathComponent("diffusion_pytorch_model.fp16.safetensors"),
                                    dtype: .f16)

        let half = try AutoencoderKL(directory: folder)
        let full = try AutoencoderKL(directory: source)
        let latents = try Fixtures.tensors("models/vae/expected.safetensors")["latents"]!
        // F16 weights carry ≈ 2^-11 relative rounding: the decoded image moves by about that much.
        XCTAssertClose(half.decode(latents), full.decode(latents), relativeTolerance: 5e-3, "fp16 variant")
    }

    func testTheFP16VariantIsPreferredWhenTheFolderHoldsBoth() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("img2img-both-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let plain = [(name: "w", tensor: Tensor(shape: [2], values: [1, 2]))]
        let half = [(name: "w", tensor: Tensor(shape: [2], values: [3, 4]))]
        try SafeTensorsWriter.write(plain, to: folder.appendingPathComponent("model.safetensors"), dtype: .f32)
        try SafeTensorsWriter.write(half, to: folder.appendingPathComponent("model.fp16.safetensors"), dtype: .f16)
        XCTAssertEqual(try openCheckpoint(in: folder, baseName: "model").tensor("w").scalars, [3, 4])
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.fp16.safetensors"))
        XCTAssertEqual(try openCheckpoint(in: folder, baseName: "model").tensor("w").scalars, [1, 2])
    }

    func testMissingWeightsNameTheFilesLookedFor() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("img2img-empty-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertThrowsError(try openCheckpoint(in: folder, baseName: "diffusion_pytorch_model")) { error in
            XCTAssertTrue("\(error)".contains("diffusion_pytorch_model.fp16.safetensors"), "\(error)")
        }
    }
}
