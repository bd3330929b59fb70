import Foundation
import Models
import SafeTensors
import Tensors
import TestSupport
import XCTest

/// Models whose checkpoints are F16 (kept half precision in memory, widened where the kernels read them)
/// against diffusers / transformers in fp32 on the same half values: max|Δ|/max|ref| ≤ 1e-4, as for the F32
/// fixtures (see IMG2IMG_REPORT_ERRORS=1 for the measured errors).
final class HalfPrecisionModelTests: XCTestCase {
    func folder(_ name: String) -> URL { Fixtures.url("half_models/\(name)") }

    func testFixtureCheckpointsAreF16() throws {
        for (name, file) in [("unet_sd1", "diffusion_pytorch_model"), ("text_sd1", "model"), ("vae", "diffusion_pytorch_model")] {
            let checkpoint = try SafeTensorsFile(contentsOf: folder(name).appendingPathComponent("\(file).safetensors"))
            let weight = checkpoint.names.first { $0.hasSuffix("weight") }!
            XCTAssertEqual(checkpoint.info(weight)?.dtype, .f16, name)
            XCTAssertTrue(try checkpoint.layerWeight(weight).isHalf, name)
        }
    }

    func testF16UNetMatchesDiffusers() throws {
        let model = try UNet2DConditionModel(directory: folder("unet_sd1"))
        let expected = try Fixtures.tensors("half_models/unet_sd1/expected.safetensors")
        let output = model(expected["sample"]!, timesteps: expected["timesteps"]!.scalars,
                           encoderHiddenStates: expected["encoder_hidden_states"]!)
        XCTAssertClose(output, expected["output"]!, relativeTolerance: 1e-4, "F16 UNet")
    }

    func testF16TextEncoderMatchesTransformers() throws {
        let model = try CLIPTextModel(directory: folder("text_sd1"))
        let expected = try Fixtures.tensors("half_models/text_sd1/expected.safetensors")
        let output = model([expected["input_ids"]!.scalars.map { Int($0) }])
        XCTAssertClose(output.lastHiddenState, expected["last_hidden_state"]!, relativeTolerance: 1e-4, "F16 text encoder")
    }

    func testF16VAEMatchesDiffusers() throws {
        let vae = try AutoencoderKL(directory: folder("vae"))
        let expected = try Fixtures.tensors("half_models/vae/expected.safetensors")
        XCTAssertClose(vae.encode(expected["image"]!).mean, expected["mean"]!, relativeTolerance: 1e-4, "F16 VAE mean")
        XCTAssertClose(vae.decode(expected["latents"]!), expected["decoded"]!, relativeTolerance: 1e-4, "F16 VAE decoded")
    }

    func testReleasingResidentWeightsBetweenCallsChangesNothing() throws {
        let vae = try AutoencoderKL(directory: folder("vae"))
        let latents = try Fixtures.tensors("half_models/vae/expected.safetensors")["latents"]!
        let before = vae.decode(latents)
        vae.releaseResidentWeights()
        XCTAssertEqual(vae.decode(latents).scalars, before.scalars)
    }
}
