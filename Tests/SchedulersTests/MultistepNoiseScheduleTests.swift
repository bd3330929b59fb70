// The training schedules (betas → alphas_cumprod → sigmas) against torch's float32 computation: bit for bit
// where torch uses only +, −, ×, ÷ (linspace, cumprod), within one ulp where it takes MKL's square root.

import Foundation
import Schedulers
import Tensors
import TestSupport
import XCTest

final class MultistepNoiseScheduleTests: XCTestCase {
    private let schedules = [
        ("sd15", #"{"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear"}"#),
        ("linear", "{}"),
        ("cosine", #"{"beta_schedule": "squaredcos_cap_v2"}"#),
        ("zero_snr", #"{"beta_start": 0.00085, "beta_end": 0.012, "beta_schedule": "scaled_linear", "rescale_betas_zero_snr": true}"#),
    ]

    private func scheduler(_ json: String) throws -> DPMSolverMultistepScheduler {
        try DPMSolverMultistepScheduler(config: try JSONDecoder().decode(SchedulerConfig.self, from: Data(json.utf8)))
    }

    /// Largest distance in units in the last place between corresponding entries.
    private func maxUlpDistance(_ a: [Float], _ b: [Float]) -> Int {
        zip(a, b).map { x, y in abs(Int(Int32(bitPattern: x.bitPattern)) - Int(Int32(bitPattern: y.bitPattern))) }
            .max() ?? 0
    }

    /// linspace (fused multiply-add halves) and cumprod (double accumulator) equal torch exactly (tolerance 0).
    func testAlphasCumprodIsBitExact() throws {
        let (_, shared) = try MultistepFixtureCase.loadAll()
        for (key, json) in schedules where key != "zero_snr" {
            let expected = try XCTUnwrap(shared["train.\(key).alphas_cumprod"]).scalars
            let actual = try scheduler(json).schedule.alphasCumprod
            XCTAssertEqual(actual.count, expected.count)
            XCTAssertEqual(zip(actual, expected).filter { $0 != $1 }.count, 0, "\(key): entries differing from torch")
        }
    }

    /// The zero-SNR rescale goes through torch.sqrt (MKL, not correctly rounded): within 1e-6 relative.
    func testZeroSNRAlphasCumprodMatchesTorch() throws {
        let (_, shared) = try MultistepFixtureCase.loadAll()
        let expected = try XCTUnwrap(shared["train.zero_snr.alphas_cumprod"])
        let actual = try scheduler(schedules[3].1).schedule.alphasCumprod
        XCTAssertClose(Tensor(shape: [actual.count], values: actual), expected, relativeTolerance: 1e-6, "zero-SNR ᾱ")
    }

    /// σ = √((1−ᾱ)/ᾱ): Swift's square root is correctly rounded, torch's (MKL) can be one ulp off.
    func testTrainingSigmasWithinOneUlpOfTorch() throws {
        let (_, shared) = try MultistepFixtureCase.loadAll()
        for (key, json) in schedules where key != "zero_snr" {
            let expected = try XCTUnwrap(shared["train.\(key).sigmas"]).scalars
            let actual = try scheduler(json).sigmas
            XCTAssertEqual(actual.count, expected.count)
            let distance = maxUlpDistance(actual, expected)
            XCTAssertLessThanOrEqual(distance, 1, "\(key): largest ulp distance of the training sigmas")
        }
    }
}
