// The latent→RGB projection: fitted to a VAE exactly as Tests/Fixtures/gen_previews.py fits it with diffusers
// (the bundled weights/tiny-sd VAE and the SDXL-shaped test VAE), the fit's inputs for the bundled VAE, the
// projection's arithmetic, and the least-squares solver.

import Foundation
import Models
import Pipelines
import Tensors
import TestSupport
import XCTest

final class LatentProjectionTests: XCTestCase {
    private static let vaes = ["sd": "../../weights/tiny-sd/vae", "sdxl": "sdxl_pipelines/models/sdxl/vae",
                               "trained": "previews/trained_vae"]

    /// W and b as the fixture's [3, C] and [3] tensors.
    private func projection(_ prefix: String, in fixture: [String: Tensor]) throws -> (Tensor, Tensor) {
        let fitted = try LatentProjection.fitted(to: AutoencoderKL(directory: Fixtures.url(Self.vaes[prefix]!)))
        return (Tensor(shape: [3, fitted.latentChannels], values: fitted.weight.flatMap { $0 }),
                Tensor(shape: [3], values: fitted.bias))
    }

    func testFitMatchesTheFixtureScriptOnTheBundledSDXLAndTrainedVAEs() throws {
        // The least-squares inputs agree with diffusers to a few 1e-6 (relative); with cond X ≈ 70 the
        // coefficients stay within 1e-5 of the largest one (measured ≤ 1.1e-6).
        let fixture = try Fixtures.tensors("previews/projection.safetensors")
        for prefix in Self.vaes.keys.sorted() {
            let (weight, bias) = try projection(prefix, in: fixture)
            XCTAssertClose(weight, try XCTUnwrap(fixture["\(prefix).weight"]), relativeTolerance: 1e-5, "\(prefix) W")
            let expectedBias = try XCTUnwrap(fixture["\(prefix).bias"])
            XCTAssertLessThanOrEqual(relativeError(bias, expectedBias) * maxAbs(expectedBias),
                                     1e-5 * maxAbs(try XCTUnwrap(fixture["\(prefix).weight"])), "\(prefix) b")
        }
    }

    func testFitInputsMatchDiffusersForTheBundledVAE() throws {
        // The encoder's scaled latent means and the area-averaged reconstruction, max|Δ|/max|ref| ≤ 1e-5.
        let fixture = try Fixtures.tensors("previews/projection.safetensors")
        let (latents, targets) = LatentProjection.fitData(for: try AutoencoderKL(directory: Fixtures.url(Self.vaes["sd"]!)))
        XCTAssertClose(latents, try XCTUnwrap(fixture["sd.latents"]), relativeTolerance: 1e-5, "latents")
        XCTAssertClose(targets, try XCTUnwrap(fixture["sd.targets"]), relativeTolerance: 1e-5, "targets")
    }

    func testFitImagesAreTheDocumentedGradientsAndPatches() {
        let images = LatentProjection.fitImages()
        XCTAssertEqual(images.shape, [8, 3, 64, 64])
        let values = images.scalars
        func pixel(_ image: Int, _ channel: Int, _ y: Int, _ x: Int) -> Float { values[((image * 3 + channel) * 64 + y) * 64 + x] }
        // Image 0 is (x, y, 1 − (x+y)/2) in [0, 1], stored as 2v − 1.
        XCTAssertEqual([pixel(0, 0, 5, 63), pixel(0, 1, 5, 63), pixel(0, 2, 63, 63)], [1, Float(5) / 63 * 2 - 1, -1])
        // Grid 1 (image 5), patch (row 2, column 3) is colour 16 + 11 = 27: levels (3, 2, 1) → (1, 2/3, 1/3).
        XCTAssertEqual([pixel(5, 0, 40, 60), pixel(5, 1, 40, 60), pixel(5, 2, 40, 60)],
                       [1, Float(2.0 / 3.0) * 2 - 1, Float(1.0 / 3.0) * 2 - 1])
    }

    func testProjectionIsWeightTimesLatentsPlusBiasPerPixel() throws {
        let projection = LatentProjection(weight: [[1, 0], [0, 2], [0.5, -0.5]], bias: [0, 0.25, -1])
        let latents = Tensor(shape: [1, 2, 1, 2], values: [0.5, -1, 0.25, 1])  // channel 0: 0.5, −1; channel 1: 0.25, 1
        XCTAssertEqual(projection.rgb(of: latents).scalars, [0.5, -1, 0.75, 2.25, -0.875, -2])
        // RGB8 as VaeImageProcessor: (v/2 + 0.5) clamped, ×255, rounded half-to-even.
        let preview = try projection.preview(latents)
        XCTAssertEqual([preview.width, preview.height], [2, 1])
        XCTAssertEqual(preview.pixels, [191, 223, 16, 0, 255, 0])
    }

    func testFitRecoversAnExactLinearMapAndRefusesDependentChannels() throws {
        // Two latent channels over five pixels, targets exactly W·z + b.
        let truth = LatentProjection(weight: [[2, -1], [0, 0.25], [-0.5, 1.5]], bias: [0.5, -3, 0.125])
        let latents = Tensor(shape: [1, 2, 1, 5], values: [1, 0, 1, 2, -1, /* channel 1 */ 0, 1, 1, -1, 3])
        let fitted = try LatentProjection.fitted(latents: latents, targets: truth.rgb(of: latents))
        for (row, expected) in zip(fitted.weight + [fitted.bias], truth.weight + [truth.bias]) {
            for (value, target) in zip(row, expected) { XCTAssertEqual(value, target, accuracy: 1e-5) }
        }
        let dependent = Tensor(shape: [1, 2, 1, 5], values: [1, 0, 1, 2, -1, 2, 0, 2, 4, -2])
        XCTAssertThrowsError(try LatentProjection.fitted(latents: dependent, targets: truth.rgb(of: dependent))) {
            guard case .previewUnavailable? = $0 as? PipelineError else { return XCTFail("\($0)") }
        }
    }

    func testAModelsProjectionIsFittedOnceAndKept() throws {
        let pipeline = try PipelineLoader.load(folder: Fixtures.url("pipelines/models/sd1"), modelID: "sd1")
        let first = try pipeline.previews.fittedProjection()
        let start = Date()
        XCTAssertEqual(try pipeline.previews.fittedProjection(), first)
        XCTAssertLessThan(Date().timeIntervalSince(start), 0.05, "the second call refits")
    }

    private func maxAbs(_ tensor: Tensor) -> Float { tensor.scalars.map(abs).max() ?? 0 }
}
