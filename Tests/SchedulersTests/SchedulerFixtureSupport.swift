// Replays the diffusers scheduler fixtures (Tests/Fixtures/schedulers_a, written by gen_schedulers_a.py):
// decodes cases.json, builds each scheduler from its config, runs the same loop and compares every tensor.

import Foundation
import Random
import Schedulers
import Tensors
import TestSupport
import XCTest

/// One fixture case of cases.json.
struct SchedulerCase: Decodable {
    struct Options: Decodable {
        var eta: Double?
        var sChurn: Double?
        enum CodingKeys: String, CodingKey { case eta, sChurn = "s_churn" }
    }

    var name: String
    var file: String
    var config: SchedulerConfig
    var steps: Int
    var beginIndex: Int?
    var options: Options
    var timestepsExact: Bool

    enum CodingKeys: String, CodingKey {
        case name, file, config, steps, options
        case beginIndex = "begin_index", timestepsExact = "timesteps_exact"
    }
}

/// A beta schedule of noise_schedules.safetensors.
struct ScheduleCase: Decodable {
    var name: String
    var config: SchedulerConfig
    var exact: Bool
}

/// The whole of cases.json.
struct SchedulerFixtureManifest: Decodable {
    var cases: [SchedulerCase]
    var schedules: [ScheduleCase]
    var linspaces: [[Double]]

    static func load() throws -> SchedulerFixtureManifest {
        let data = try Data(contentsOf: Fixtures.url("schedulers_a/cases.json"))
        return try JSONDecoder().decode(SchedulerFixtureManifest.self, from: data)
    }
}

/// A test-only generator that replays the noise diffusers drew in the fixture, in order.
final class RecordedNoise: RandomGenerator {
    private let draws: [Tensor]
    private(set) var used = 0
    private(set) var mismatches: [String] = []

    init(_ stacked: Tensor?) {
        guard let stacked else { draws = []; return }
        let itemShape = Array(stacked.shape.dropFirst())
        draws = (0..<stacked.shape[0]).map { stacked.slice(along: 0, from: $0, count: 1).reshaped(itemShape) }
    }

    var unused: Int { draws.count - used }

    func randn(_ shape: [Int]) -> Tensor {
        guard used < draws.count, draws[used].shape == shape else {
            mismatches.append("draw \(used) of shape \(shape) has no recorded counterpart")
            used += 1
            return Tensor(zeros: shape)
        }
        defer { used += 1 }
        return draws[used]
    }
}

/// The fixture's fake model: 0.3 · input + sin(loop index), as float32 torch computes it.
func fakeModelOutput(_ input: Tensor, index: Int) -> Tensor {
    input * Float(0.3) + Float(sin(Double(index)))
}

/// The σ array of the sigma schedulers (nil for the alphas_cumprod ones).
func sigmas(of scheduler: Scheduler) -> [Float]? {
    switch scheduler {
    case let euler as EulerDiscreteScheduler: return euler.sigmas
    case let ancestral as EulerAncestralDiscreteScheduler: return ancestral.sigmas
    case let lms as LMSDiscreteScheduler: return lms.sigmas
    case let heun as HeunDiscreteScheduler: return heun.sigmas
    default: return nil
    }
}

/// Tolerances of the replay (relative error max|Δ| / max|ref| unless stated).
enum ReplayTolerance {
    /// One step from the reference's own previous output (teacher forcing): only that step's rounding differs.
    /// Measured against the larger of the step's input and output magnitudes (`stepError`), because a step's
    /// last-ulp differences scale with its inputs and the fake model's output can cancel to a tenth of them.
    static let step: Float = 1e-6
    /// The same, under `rescale_betas_zero_snr`: torch's CPU sqrt (MKL) rounds ᾱ's square root differently in
    /// the last ulp, and the rescale's cancellation near ᾱ_T plus σ_max ≈ 4096 magnify that to ~5e-5.
    static let zeroTerminalSNRStep: Float = 2e-4
    /// The free-running loop, where those last-ulp differences compound through the (unrealistic, expanding)
    /// fake model: the project's component tolerance.
    static let freeRunning: Float = 1e-4
    /// Timesteps derived from σ (Karras, exponential, continuous): absolute, in timestep units. The others are
    /// compared exactly.
    static let derivedTimestep: Float = 2e-4
    /// σ's and init_noise_sigma (relative).
    static let sigmas: Float = 1e-6
}

/// max|output − reference| / max(max|reference|, max|input|): one step's error relative to its scale.
func stepError(_ output: Tensor, reference: Tensor, input: Tensor) -> Float {
    guard output.shape == reference.shape else { return .infinity }
    let difference = zip(output.scalars, reference.scalars).map { abs($0 - $1) }.max() ?? 0
    let scale = max(reference.scalars.map(abs).max() ?? 0, input.scalars.map(abs).max() ?? 0)
    return scale > 0 ? difference / scale : difference
}

/// Runs every fixture case of one scheduler class and checks it against diffusers.
struct SchedulerReplay {
    let manifest: SchedulerFixtureManifest
    let common: [String: Tensor]
    var tensorsByFile: [String: [String: Tensor]] = [:]

    init() throws {
        manifest = try SchedulerFixtureManifest.load()
        common = try Fixtures.tensors("schedulers_a/common.safetensors")
    }

    /// The cases of one class, optionally only the img2img (begin index) or txt2img ones.
    func cases(of className: String, img2img: Bool) -> [SchedulerCase] {
        manifest.cases.filter { $0.config.className == className && ($0.beginIndex != nil) == img2img }
    }

    mutating func expected(_ testCase: SchedulerCase) throws -> [String: Tensor] {
        if tensorsByFile[testCase.file] == nil {
            tensorsByFile[testCase.file] = try Fixtures.tensors("schedulers_a/\(testCase.file)")
        }
        return tensorsByFile[testCase.file] ?? [:]
    }

    /// Builds the scheduler of a case with its step options applied.
    func makeConfiguredScheduler(_ testCase: SchedulerCase) throws -> Scheduler {
        let scheduler = try makeScheduler(config: testCase.config)
        if let eta = testCase.options.eta, let ddim = scheduler as? DDIMScheduler { ddim.eta = Float(eta) }
        if let churn = testCase.options.sChurn, let euler = scheduler as? EulerDiscreteScheduler {
            euler.sChurn = Float(churn)
        }
        return scheduler
    }

    /// Checks timesteps, σ's and init_noise_sigma after `set_timesteps`.
    mutating func checkSchedule(_ testCase: SchedulerCase, file: StaticString = #filePath, line: UInt = #line) throws {
        let expected = try expected(testCase)
        let scheduler = try makeConfiguredScheduler(testCase)
        try scheduler.setTimesteps(testCase.steps)
        let name = testCase.name
        let timesteps = try XCTUnwrap(expected["\(name).timesteps"], name).scalars
        if testCase.timestepsExact {
            XCTAssertEqual(scheduler.timesteps, timesteps, "\(name): timesteps", file: file, line: line)
        } else {
            XCTAssertEqual(scheduler.timesteps.count, timesteps.count, "\(name): timestep count", file: file, line: line)
            let worst = zip(scheduler.timesteps, timesteps).map { abs($0 - $1) }.max() ?? 0
            XCTAssertLessThanOrEqual(worst, ReplayTolerance.derivedTimestep,
                                     "\(name): σ-derived timesteps differ by \(worst)", file: file, line: line)
        }
        if let expectedSigmas = expected["\(name).sigmas"] {
            let actual = try XCTUnwrap(sigmas(of: scheduler), "\(name) has no sigmas")
            XCTAssertClose(Tensor(shape: [actual.count], values: actual), expectedSigmas,
                           relativeTolerance: ReplayTolerance.sigmas, "\(name): sigmas", file: file, line: line)
        }
        let initSigma = try XCTUnwrap(expected["\(name).init_noise_sigma"], name)
        XCTAssertClose(Tensor(shape: [1], values: [scheduler.initNoiseSigma]), initSigma,
                       relativeTolerance: ReplayTolerance.sigmas, "\(name): init_noise_sigma", file: file, line: line)
    }

    /// Runs the loop of a case (txt2img or img2img) and checks every step output and the noise draws. With
    /// `teacherForced`, each step starts from the reference's previous output, so each comparison measures one
    /// step; otherwise the loop runs on its own outputs.
    mutating func checkLoop(_ testCase: SchedulerCase, teacherForced: Bool, file: StaticString = #filePath,
                            line: UInt = #line) throws {
        let expected = try expected(testCase)
        let name = testCase.name + (teacherForced ? " (teacher-forced)" : " (free-running)")
        let scheduler = try makeConfiguredScheduler(testCase)
        try scheduler.setTimesteps(testCase.steps)
        let sample = try XCTUnwrap(common["sample"]), noise = try XCTUnwrap(common["noise"])
        let generator = RecordedNoise(expected["\(testCase.name).noise"])
        let tolerance = !teacherForced ? ReplayTolerance.freeRunning
            : (testCase.config.rescaleBetasZeroSnr ?? false) ? ReplayTolerance.zeroTerminalSNRStep : ReplayTolerance.step

        var timesteps = scheduler.timesteps
        var latents: Tensor
        if let begin = testCase.beginIndex {
            let start = begin * scheduler.order
            timesteps = Array(timesteps.dropFirst(start))
            scheduler.setBeginIndex(start)
            latents = scheduler.addNoise(original: sample, noise: noise, timestep: timesteps[0])
            let reference = try XCTUnwrap(expected["\(testCase.name).noisy"], name)
            XCTAssertClose(latents, reference, relativeTolerance: ReplayTolerance.step, "\(name): add_noise",
                           file: file, line: line)
            if teacherForced { latents = reference }
        } else {
            latents = sample * scheduler.initNoiseSigma
        }
        let steps = try XCTUnwrap(expected["\(testCase.name).steps"], name)
        XCTAssertEqual(steps.shape[0], timesteps.count, "\(name): step count", file: file, line: line)
        for (index, timestep) in timesteps.enumerated() where index < steps.shape[0] {
            let input = scheduler.scaleModelInput(latents, timestep: timestep)
            let output = try scheduler.step(modelOutput: fakeModelOutput(input, index: index), timestep: timestep,
                                            sample: latents, generator: generator)
            let reference = steps.slice(along: 0, from: index, count: 1).reshaped(output.shape)
            if teacherForced {
                let error = stepError(output, reference: reference, input: latents)
                XCTAssertLessThanOrEqual(error, tolerance, "\(name): step \(index) (t = \(timestep)) error \(error)",
                                         file: file, line: line)
            } else {
                XCTAssertClose(output, reference, relativeTolerance: tolerance,
                               "\(name): step \(index) (t = \(timestep))", file: file, line: line)
            }
            latents = teacherForced ? reference : output
        }
        XCTAssertEqual(generator.mismatches, [], "\(name): noise draws", file: file, line: line)
        XCTAssertEqual(generator.unused, 0, "\(name): recorded noise draws left unused", file: file, line: line)
    }

    /// `add_noise` at timesteps[3] without a begin index (index_for_timestep's rule), where the fixture has it.
    mutating func checkAddNoiseWithoutBeginIndex(_ testCase: SchedulerCase, file: StaticString = #filePath,
                                                 line: UInt = #line) throws -> Bool {
        let expected = try expected(testCase)
        guard let reference = expected["\(testCase.name).add_noise_t3"] else { return false }
        let scheduler = try makeConfiguredScheduler(testCase)
        try scheduler.setTimesteps(testCase.steps)
        let noisy = scheduler.addNoise(original: try XCTUnwrap(common["sample"]), noise: try XCTUnwrap(common["noise"]),
                                       timestep: scheduler.timesteps[3])
        XCTAssertClose(noisy, reference, relativeTolerance: ReplayTolerance.step,
                       "\(testCase.name): add_noise at timesteps[3]", file: file, line: line)
        return true
    }
}
