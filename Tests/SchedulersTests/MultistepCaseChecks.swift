// Checks one fixture case against its scheduler: the schedule (timesteps exactly, sigmas within tolerance),
// the text-to-image loop, the img2img entry (begin index + add_noise), and the n = 1…25, 30, 37, 50 schedule sweeps.

import Foundation
import Random
import Schedulers
import Tensors
import TestSupport
import XCTest

/// Relative tolerance (max|Δ| / max|ref|) for sigmas and `add_noise` against diffusers.
let multistepTolerance: Float = 1e-6

/// Relative tolerance for step outputs. torch on x86 evaluates exp/log/sqrt with MKL (not correctly rounded);
/// one-ulp differences in log α − log σ are amplified by the λ differences h, up to 1.4e-6 after a full loop.
/// (With correctly rounded transcendentals substituted in torch, ~90% of the fixture's step outputs are bit-equal.)
let multistepStepTolerance: Float = 2e-6

/// The `sigmas` of the schedulers that have them.
func multistepSigmas(_ scheduler: Scheduler) -> [Float]? {
    if let dpm = scheduler as? DPMSolverMultistepScheduler { return dpm.sigmas }
    if let unipc = scheduler as? UniPCMultistepScheduler { return unipc.sigmas }
    return nil
}

/// Compares the schedule after `setTimesteps` with the case's `timesteps` / `sigmas`.
func multistepCheckSchedule(_ scheduler: Scheduler, _ c: MultistepFixtureCase, file: StaticString = #filePath,
                            line: UInt = #line) throws {
    XCTAssertEqual(scheduler.timesteps, try c.tensor("timesteps").scalars, "\(c.name): timesteps", file: file, line: line)
    if let expected = c.tensors["sigmas"], let sigmas = multistepSigmas(scheduler) {
        XCTAssertClose(Tensor(shape: [sigmas.count], values: sigmas), expected, relativeTolerance: multistepTolerance,
                       "\(c.name): sigmas", file: file, line: line)
    }
}

/// The "loop" case: set_timesteps, then every step from the shared initial sample.
func multistepCheckLoop(_ c: MultistepFixtureCase, shared: [String: Tensor], file: StaticString = #filePath,
                        line: UInt = #line) throws {
    let scheduler = try makeMultistepScheduler(c.className, c.config)
    if let strength = c.strength, let lcm = scheduler as? LCMScheduler {
        try lcm.setTimesteps(c.steps[0], strength: strength)
    } else {
        try scheduler.setTimesteps(c.steps[0])
    }
    try multistepCheckSchedule(scheduler, c, file: file, line: line)
    let generator = MultistepReplayGenerator(recorded: c.tensors["noise"])
    let outputs = try multistepRunLoop(scheduler, timesteps: scheduler.timesteps, sample: shared["shared.sample0"]!,
                                       patterns: multistepUnstack(shared["shared.patterns"]!), generator: generator)
    multistepAssertOutputs(outputs, multistepUnstack(try c.tensor("outputs")), tolerance: multistepStepTolerance, c.name,
                           file: file, line: line)
    multistepCheckNoiseUse(generator, c, file: file, line: line)
}

/// The "img2img" case: StableDiffusionImg2ImgPipeline's get_timesteps / set_begin_index / add_noise and loop.
func multistepCheckImg2Img(_ c: MultistepFixtureCase, shared: [String: Tensor], file: StaticString = #filePath,
                           line: UInt = #line) throws {
    let scheduler = try makeMultistepScheduler(c.className, c.config)
    try scheduler.setTimesteps(c.steps[0])
    try multistepCheckSchedule(scheduler, c, file: file, line: line)
    let begin = c.beginIndex ?? 0
    let timesteps = Array(scheduler.timesteps[(begin * scheduler.order)...])
    scheduler.setBeginIndex(begin * scheduler.order)
    let noised = scheduler.addNoise(original: shared["shared.image0"]!, noise: shared["shared.image_noise"]!,
                                    timestep: timesteps[0])
    XCTAssertClose(noised, try c.tensor("noised"), relativeTolerance: multistepTolerance, "\(c.name): add_noise",
                   file: file, line: line)
    let generator = MultistepReplayGenerator(recorded: c.tensors["noise"])
    let outputs = try multistepRunLoop(scheduler, timesteps: timesteps, sample: noised,
                                       patterns: multistepUnstack(shared["shared.patterns"]!), generator: generator)
    multistepAssertOutputs(outputs, multistepUnstack(try c.tensor("outputs")), tolerance: multistepStepTolerance, c.name,
                           file: file, line: line)
    multistepCheckNoiseUse(generator, c, file: file, line: line)
}

/// The "sweep" case: schedules for each n, concatenated as the fixture stores them.
func multistepCheckSweep(_ c: MultistepFixtureCase, file: StaticString = #filePath, line: UInt = #line) throws {
    let expectedTimesteps = try c.tensor("timesteps").scalars
    let expectedSigmas = c.tensors["sigmas"]?.scalars
    var timestepOffset = 0, sigmaOffset = 0
    for steps in c.steps {
        let scheduler = try makeMultistepScheduler(c.className, c.config)
        try scheduler.setTimesteps(steps)
        let count = scheduler.timesteps.count
        let reference = Array(expectedTimesteps[timestepOffset..<min(timestepOffset + count, expectedTimesteps.count)])
        XCTAssertEqual(scheduler.timesteps, reference, "\(c.name): timesteps for n = \(steps)", file: file, line: line)
        timestepOffset += count
        if let expectedSigmas, let sigmas = multistepSigmas(scheduler) {
            let slice = Array(expectedSigmas[sigmaOffset..<min(sigmaOffset + sigmas.count, expectedSigmas.count)])
            XCTAssertClose(Tensor(shape: [sigmas.count], values: sigmas), Tensor(shape: [slice.count], values: slice),
                           relativeTolerance: multistepTolerance, "\(c.name): sigmas for n = \(steps)",
                           file: file, line: line)
            sigmaOffset += sigmas.count
        }
    }
    XCTAssertEqual(timestepOffset, expectedTimesteps.count, "\(c.name): total timesteps", file: file, line: line)
}

/// Every recorded draw was requested, in the recorded shapes, and no more.
func multistepCheckNoiseUse(_ generator: MultistepReplayGenerator, _ c: MultistepFixtureCase,
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(generator.problems, [], "\(c.name): noise draws", file: file, line: line)
    XCTAssertEqual(generator.used, c.tensors["noise"]?.shape.first ?? 0, "\(c.name): number of noise draws",
                   file: file, line: line)
}

/// Runs the check for every case of `className` and `kind`, failing if there are none.
func multistepCheckCases(className: String, kind: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let (cases, shared) = try MultistepFixtureCase.loadAll()
    let selected = cases.filter { $0.className == className && $0.kind == kind }
    XCTAssertFalse(selected.isEmpty, "no \(kind) cases for \(className)", file: file, line: line)
    for c in selected {
        switch kind {
        case "loop": try multistepCheckLoop(c, shared: shared, file: file, line: line)
        case "img2img": try multistepCheckImg2Img(c, shared: shared, file: file, line: line)
        default: try multistepCheckSweep(c, file: file, line: line)
        }
    }
}
