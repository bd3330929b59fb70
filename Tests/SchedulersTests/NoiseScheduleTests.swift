// The training noise schedules against torch: betas and alphas_cumprod bit for bit (torch.linspace's FMA kernel,
// cumprod's double accumulator), the rescaled / sigmoid schedules to 1e-6 relative (torch's sqrt and sigmoid are
// not correctly rounded), and the timestep-spacing quirks reproduced from NumPy.

import Schedulers
import Tensors
import TestSupport
import XCTest

final class NoiseScheduleTests: XCTestCase {
    private func schedule(of scheduler: Scheduler) throws -> NoiseSchedule {
        switch scheduler {
        case let ddpm as DDPMScheduler: return ddpm.schedule
        case let heun as HeunDiscreteScheduler: return heun.schedule
        default: throw XCTSkip("no schedule accessor for \(type(of: scheduler))")
        }
    }

    private func mismatchCount(_ actual: [Float], _ expected: Tensor) -> Int {
        let reference = expected.scalars
        guard actual.count == reference.count else { return max(actual.count, reference.count) }
        return zip(actual, reference).filter { $0.bitPattern != $1.bitPattern }.count
    }

    func testBetasAndAlphasCumprodMatchTorchBitForBit() throws {
        let manifest = try SchedulerFixtureManifest.load()
        let tensors = try Fixtures.tensors("schedulers_a/noise_schedules.safetensors")
        let exact = manifest.schedules.filter(\.exact)
        XCTAssertGreaterThanOrEqual(exact.count, 5)
        for entry in exact {
            let schedule = try schedule(of: makeScheduler(config: entry.config))
            let betas = try XCTUnwrap(tensors["\(entry.name).betas"])
            let cumprod = try XCTUnwrap(tensors["\(entry.name).alphas_cumprod"])
            XCTAssertEqual(mismatchCount(schedule.betas, betas), 0, "\(entry.name): betas differing in bits")
            XCTAssertEqual(mismatchCount(schedule.alphasCumprod, cumprod), 0,
                           "\(entry.name): alphas_cumprod differing in bits")
        }
    }

    func testRescaledAndSigmoidSchedulesMatchTorchWithinTolerance() throws {
        let manifest = try SchedulerFixtureManifest.load()
        let tensors = try Fixtures.tensors("schedulers_a/noise_schedules.safetensors")
        let approximate = manifest.schedules.filter { !$0.exact }
        XCTAssertFalse(approximate.isEmpty)
        for entry in approximate {
            let schedule = try schedule(of: makeScheduler(config: entry.config))
            let betas = try XCTUnwrap(tensors["\(entry.name).betas"])
            let cumprod = try XCTUnwrap(tensors["\(entry.name).alphas_cumprod"])
            // The rescale subtracts √ᾱ_T from values close to it, magnifying torch's last-ulp sqrt differences
            // in the final betas.
            let betaTolerance: Float = entry.config.rescaleBetasZeroSnr == true ? 1e-5 : 1e-6
            XCTAssertClose(Tensor(shape: [schedule.betas.count], values: schedule.betas), betas,
                           relativeTolerance: betaTolerance, "\(entry.name): betas")
            XCTAssertClose(Tensor(shape: [schedule.alphasCumprod.count], values: schedule.alphasCumprod), cumprod,
                           relativeTolerance: 1e-6, "\(entry.name): alphas_cumprod")
        }
    }

    func testTorchLinspaceMatchesTorchBitForBit() throws {
        let manifest = try SchedulerFixtureManifest.load()
        let tensors = try Fixtures.tensors("schedulers_a/noise_schedules.safetensors")
        XCTAssertFalse(manifest.linspaces.isEmpty)
        for (index, arguments) in manifest.linspaces.enumerated() {
            let values = NoiseSchedule.torchLinspace(start: arguments[0], end: arguments[1], count: Int(arguments[2]))
            let expected = try XCTUnwrap(tensors["linspace.\(index)"])
            XCTAssertEqual(mismatchCount(values, expected), 0, "torch.linspace\(arguments) differing in bits")
        }
    }

    func testTrailingSpacingKeepsNumPysExtraStep() {
        // np.arange(1000, 0, -1000 / 61) has 62 elements (the length is ceil(61.000000000000004)); diffusers keeps
        // them all, the last rounding to 0 − 1 = −1.
        let timesteps = TimestepSpacing.trailing.integerTimesteps(steps: 61, numTrainTimesteps: 1000, stepsOffset: 0)
        XCTAssertEqual(timesteps.count, 62)
        XCTAssertEqual(timesteps.first, 999)
        XCTAssertEqual(timesteps.last, -1)
    }

    func testLeadingSpacingAddsStepsOffset() {
        let timesteps = TimestepSpacing.leading.integerTimesteps(steps: 4, numTrainTimesteps: 1000, stepsOffset: 1)
        XCTAssertEqual(timesteps, [751, 501, 251, 1])
    }

    func testIndexForTimestepTakesTheSecondMatch() {
        XCTAssertEqual(indexForTimestep(5, in: [9, 5, 5, 1]), 2)
        XCTAssertEqual(indexForTimestep(9, in: [9, 5, 5, 1]), 0)
        XCTAssertNil(indexForTimestep(4, in: [9, 5, 5, 1]))
    }
}
