// Loads the multistep scheduler fixtures (schedulers_b/cases.json + tensors.safetensors), builds the scheduler
// each case names, and replays diffusers' recorded per-step noise; runs a case's loop like the fixture script.

import Foundation
import Random
import Schedulers
import Tensors
import TestSupport
import XCTest

/// One reference case of `Tests/Fixtures/schedulers_b`.
struct MultistepFixtureCase {
    let name: String
    let kind: String
    let className: String
    let config: SchedulerConfig
    let steps: [Int]
    let beginIndex: Int?
    let strength: Double?
    let tensors: [String: Tensor]

    /// The tensor `<name>.<role>`.
    func tensor(_ role: String) throws -> Tensor {
        guard let value = tensors[role] else { throw MultistepFixtureError.missing("\(name).\(role)") }
        return value
    }

    /// Every case of the fixture, in file order, with the shared tensors under `shared`.
    static func loadAll() throws -> (cases: [MultistepFixtureCase], shared: [String: Tensor]) {
        let all = try Fixtures.tensors("schedulers_b/tensors.safetensors")
        let listing = try JSONSerialization.jsonObject(
            with: Data(contentsOf: Fixtures.url("schedulers_b/cases.json"))) as? [[String: Any]] ?? []
        let cases = try listing.map { entry -> MultistepFixtureCase in
            let name = entry["name"] as? String ?? ""
            let configObject = entry["config"] as? [String: Any] ?? [:]
            let config = try JSONDecoder().decode(SchedulerConfig.self,
                                                  from: JSONSerialization.data(withJSONObject: configObject))
            let steps = (entry["steps"] as? [Int]) ?? [(entry["steps"] as? Int) ?? 0]
            var tensors: [String: Tensor] = [:]
            for (key, value) in all where key.hasPrefix(name + ".") { tensors[String(key.dropFirst(name.count + 1))] = value }
            return MultistepFixtureCase(name: name, kind: entry["kind"] as? String ?? "",
                                        className: configObject["_class_name"] as? String ?? "", config: config,
                                        steps: steps, beginIndex: entry["begin_index"] as? Int,
                                        strength: (entry["strength"] as? NSNumber)?.doubleValue, tensors: tensors)
        }
        var shared: [String: Tensor] = [:]
        for (key, value) in all where key.hasPrefix("shared.") || key.hasPrefix("train.") {
            shared[key] = value
        }
        return (cases, shared)
    }
}

enum MultistepFixtureError: Error {
    case missing(String)
    case unknownClass(String)
}

/// The test's stand-in for the factory the other scheduler module provides.
func makeMultistepScheduler(_ className: String, _ config: SchedulerConfig) throws -> Scheduler {
    switch className {
    case DPMSolverMultistepScheduler.className: return try DPMSolverMultistepScheduler(config: config)
    case UniPCMultistepScheduler.className: return try UniPCMultistepScheduler(config: config)
    case LCMScheduler.className: return try LCMScheduler(config: config)
    default: throw MultistepFixtureError.unknownClass(className)
    }
}

/// A generator that returns diffusers' recorded `randn_tensor` draws ([draws, …shape]) in order.
final class MultistepReplayGenerator: RandomGenerator {
    private let draws: [Tensor]
    private(set) var used = 0
    private(set) var problems: [String] = []

    init(recorded: Tensor?) {
        guard let recorded, let count = recorded.shape.first, count > 0 else { draws = []; return }
        let shape = Array(recorded.shape.dropFirst())
        let size = recorded.count / count
        let values = recorded.scalars
        draws = (0..<count).map { Tensor(shape: shape, values: Array(values[($0 * size)..<(($0 + 1) * size)])) }
    }

    func randn(_ shape: [Int]) -> Tensor {
        defer { used += 1 }
        guard used < draws.count else {
            problems.append("draw \(used + 1) requested, only \(draws.count) recorded")
            return Tensor(repeating: .nan, shape: shape)
        }
        if draws[used].shape != shape { problems.append("draw \(used) has shape \(shape), recorded \(draws[used].shape)") }
        return draws[used]
    }
}

/// Slices `[n, …]` into its n sub-tensors.
func multistepUnstack(_ stacked: Tensor) -> [Tensor] {
    guard let count = stacked.shape.first, count > 0 else { return [] }
    let shape = Array(stacked.shape.dropFirst()), size = stacked.count / count, values = stacked.scalars
    return (0..<count).map { Tensor(shape: shape, values: Array(values[($0 * size)..<(($0 + 1) * size)])) }
}

/// The fixture's fake model: `0.3 · sample + patterns[i]` (float32, as torch evaluates it).
func multistepFakeModel(_ sample: Tensor, pattern: Tensor) -> Tensor {
    var out = Tensor(uninitialized: sample.shape)
    let count = out.count
    out.withUnsafeMutableBufferPointer { o in
        sample.withUnsafeBufferPointer { s in
            pattern.withUnsafeBufferPointer { p in
                for i in 0..<count { o[i] = Float(0.3) * s[i] + p[i] }
            }
        }
    }
    return out
}

/// Runs the denoising loop over `timesteps` from `sample`; returns every step's output.
func multistepRunLoop(_ scheduler: Scheduler, timesteps: [Float], sample start: Tensor, patterns: [Tensor],
                      generator: RandomGenerator?) throws -> [Tensor] {
    var sample = start
    var outputs: [Tensor] = []
    for (i, t) in timesteps.enumerated() {
        let output = multistepFakeModel(scheduler.scaleModelInput(sample, timestep: t), pattern: patterns[i])
        sample = try scheduler.step(modelOutput: output, timestep: t, sample: sample, generator: generator)
        outputs.append(sample)
    }
    return outputs
}

/// Relative error per step output; a NaN in the reference must be a NaN here too.
func multistepAssertOutputs(_ actual: [Tensor], _ expected: [Tensor], tolerance: Float, _ label: String,
                            file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.count, expected.count, "\(label): step count", file: file, line: line)
    for (step, (a, e)) in zip(actual, expected).enumerated() {
        let expectedNaN = e.scalars.map(\.isNaN), actualNaN = a.scalars.map(\.isNaN)
        if expectedNaN.contains(true) || actualNaN.contains(true) {
            XCTAssertEqual(actualNaN, expectedNaN, "\(label) step \(step): NaN positions differ", file: file, line: line)
            continue
        }
        XCTAssertClose(a, e, relativeTolerance: tolerance, "\(label) step \(step)", file: file, line: line)
    }
}
