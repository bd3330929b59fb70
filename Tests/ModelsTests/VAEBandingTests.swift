import Models
import Random
import Tensors
import TestSupport
import XCTest

/// The VAE in row bands (what 2048² images run as) against the whole-tensor computation and against diffusers:
/// forced on the tiny VAE by a zero threshold and 4-row bands, so every band edge, the upsampler + resnet pair
/// (with and without a shortcut) and the in-place resnets are crossed many times.
final class VAEBandingTests: XCTestCase {
    func banded<T>(rows: Int = 4, _ body: () throws -> T) rethrows -> T {
        let (threshold, height) = (RowBands.thresholdBytes, RowBands.rows)
        RowBands.thresholdBytes = 0
        RowBands.rows = rows
        defer { (RowBands.thresholdBytes, RowBands.rows) = (threshold, height) }
        return try body()
    }

    func testBandedDecodeEqualsTheWholeTensorDecode() throws {
        let vae = try AutoencoderKL(directory: Fixtures.url("models/vae"))
        let latents = makeGenerator(.cpu, seed: 5).randn([1, 4, 18, 22])
        let whole = vae.decode(latents)
        for rows in [4, 8, 12] {
            let parts = banded(rows: rows) { vae.decode(latents) }
            XCTAssertEqual(parts.shape, whole.shape)
            // Float rounding only: the convolution tiles and the moment blocks fall elsewhere.
            XCTAssertClose(parts, whole, relativeTolerance: 1e-6, "\(rows)-row bands")
        }
    }

    func testBandedEncodeEqualsTheWholeTensorEncode() throws {
        let vae = try AutoencoderKL(directory: Fixtures.url("models/vae"))
        let image = makeGenerator(.cpu, seed: 6).randn([1, 3, 36, 44])
        let whole = vae.encode(image)
        let parts = banded { vae.encode(image) }
        XCTAssertClose(parts.mean, whole.mean, relativeTolerance: 1e-6, "mean")
        XCTAssertClose(parts.logVariance, whole.logVariance, relativeTolerance: 1e-6, "logvar")
    }

    func testBandedVAEMatchesDiffusers() throws {
        let vae = try AutoencoderKL(directory: Fixtures.url("models/vae"))
        let expected = try Fixtures.tensors("models/vae/expected.safetensors")
        try banded {
            XCTAssertClose(vae.decode(expected["latents"]!), expected["decoded"]!, relativeTolerance: 1e-4, "decoded")
            XCTAssertClose(vae.encode(expected["image"]!).mean, expected["mean"]!, relativeTolerance: 1e-4, "mean")
        }
    }
}
