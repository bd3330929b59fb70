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

    /// What banding is for: a banded block holds its input and one tensor of its output's size (plus bands), and
    /// a block's input is freed before its next resnet runs — so the decoder's last block peaks at two
    /// full-resolution activations (a resnet's input and conv1's output), never three, nor two plus its own input.
    func testBandedDecodeHoldsTwoFullResolutionTensorsInItsLastBlock() throws {
        let vae = try AutoencoderKL(directory: Fixtures.url("models/vae"))
        let latents = makeGenerator(.cpu, seed: 7).randn([1, 4, 64, 64])
        let ledger = MemoryLedger(), peaks = ModulePeaks(ledger)
        banded { ModuleTrace.$recorder.withValue(peaks) { ledger.bind { _ = vae.decode(latents) } } }
        // 16 channels × 128² floats: the last block's activations; 4-row bands of them are 0.14 of one.
        let fullResolution = 16 * 128 * 128 * MemoryLayout<Float>.size
        let peak = try XCTUnwrap(peaks.peaks["decoder.up_blocks.1"])
        XCTAssertLessThan(peak, 2 * fullResolution + fullResolution / 4, "peak \(peak) bytes")
        XCTAssertGreaterThanOrEqual(peak, 2 * fullResolution)
    }
}

/// The tensor storage live at each module's peak (what was live when it started, plus its peak increase).
private final class ModulePeaks: ModuleRecorder, @unchecked Sendable {
    let ledger: MemoryLedger
    var peaks: [String: Int] = [:]

    init(_ ledger: MemoryLedger) { self.ledger = ledger }

    func record<T>(module name: String, inputShape: [Int], outputShape: (T) -> [Int],
                   _ body: () throws -> T) rethrows -> T {
        let start = ledger.liveBytes
        let (result, increase) = try ledger.peakIncrease(body)
        peaks[name] = start + increase
        return result
    }
}
