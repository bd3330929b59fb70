import Models
import Tensors
import TestSupport
import XCTest

/// AutoencoderKL against diffusers on a tiny random model (16×24 image): encoder mean / logvar / std and
/// the decoded image, max|Δ|/max|ref| ≤ 1e-4.
final class VAETests: XCTestCase {
    func testEncoderDistributionMatchesDiffusers() throws {
        let vae = try AutoencoderKL(directory: Fixtures.url("models/vae"))
        let expected = try Fixtures.tensors("models/vae/expected.safetensors")
        let posterior = vae.encode(expected["image"]!)
        XCTAssertClose(posterior.mean, expected["mean"]!, relativeTolerance: 1e-4, "mean")
        XCTAssertClose(posterior.logVariance, expected["logvar"]!, relativeTolerance: 1e-4, "logvar")
        XCTAssertClose(posterior.standardDeviation, expected["std"]!, relativeTolerance: 1e-4, "std")
    }

    func testDecoderMatchesDiffusers() throws {
        let vae = try AutoencoderKL(directory: Fixtures.url("models/vae"))
        let expected = try Fixtures.tensors("models/vae/expected.safetensors")
        XCTAssertClose(vae.decode(expected["latents"]!), expected["decoded"]!, relativeTolerance: 1e-4, "decoded")
    }

    func testSampleIsMeanPlusStdTimesNoise() {
        let moments = Tensor(shape: [1, 2, 1, 2], values: [1, 2, 0, 40])
        let posterior = DiagonalGaussian(moments: moments)
        XCTAssertEqual(posterior.logVariance.scalars, [0, 20], "log-variance is clamped to [-30, 20]")
        let sample = posterior.sample(noise: Tensor(shape: [1, 1, 1, 2], values: [1, 0]))
        XCTAssertEqual(sample.scalars, [2, 2])
    }
}
