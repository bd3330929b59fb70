// Each scheduler's x̂₀ of a step (`Scheduler.predictedOriginalSample`) against what diffusers 0.42.1 predicts at
// that step (Tests/Fixtures/previews/x0.safetensors, from gen_previews.py): `pred_original_sample` for Euler (ε and
// v), DDIM (v) and Heun, DPM-Solver++'s and UniPC's converted model output, and for DPM-Solver on ε and PNDM, which
// never form it, x̂₀ of the step's model output at its input. The loop is teacher-forced (each step starts from
// diffusers' sample); tolerance max|Δ|/max|ref| ≤ 1e-5 per step.

import Foundation
import Schedulers
import Tensors
import TestSupport
import XCTest

final class PredictedOriginalSampleTests: XCTestCase {
    struct Case: Decodable {
        var name: String
        var config: SchedulerConfig
        var steps: Int
    }

    private func cases() throws -> [Case] {
        try JSONDecoder().decode([Case].self, from: Data(contentsOf: Fixtures.url("previews/x0_cases.json")))
    }

    func testEachStepsPredictedOriginalMatchesDiffusers() throws {
        let tensors = try Fixtures.tensors("previews/x0.safetensors")
        let cases = try cases()
        XCTAssertEqual(Set(cases.map(\.name)), ["euler_epsilon", "euler_v", "ddim_v", "heun_epsilon", "dpmpp_2m_karras",
                                                "dpm_solver_epsilon", "unipc", "pndm_skip_prk"])
        for testCase in cases {
            let scheduler = try makeScheduler(config: testCase.config)
            try scheduler.setTimesteps(testCase.steps)
            XCTAssertNil(scheduler.predictedOriginalSample, "\(testCase.name): before the first step")
            let expected = try XCTUnwrap(tensors["\(testCase.name).x0"]), samples = try XCTUnwrap(tensors["\(testCase.name).steps"])
            XCTAssertEqual(expected.shape[0], scheduler.timesteps.count, testCase.name)
            var latents = try XCTUnwrap(tensors["common.sample"]) * scheduler.initNoiseSigma
            for (index, t) in scheduler.timesteps.enumerated() {
                let output = fakeModelOutput(scheduler.scaleModelInput(latents, timestep: t), index: index)
                let next = try scheduler.step(modelOutput: output, timestep: t, sample: latents, generator: nil)
                let itemShape = Array(expected.shape.dropFirst())
                let label = "\(testCase.name) step \(index)"
                XCTAssertClose(try XCTUnwrap(scheduler.predictedOriginalSample, label),
                               expected.slice(along: 0, from: index, count: 1).reshaped(itemShape),
                               relativeTolerance: 1e-5, label)
                let sample = samples.slice(along: 0, from: index, count: 1).reshaped(itemShape)
                XCTAssertClose(next, sample, relativeTolerance: 1e-5, label + " sample")
                latents = sample
            }
        }
    }

    func testLastStepsPredictionOfTheEulerSchedulerIsItsFinalSample() throws {
        // Euler's last step goes to σ = 0, where x_next = x + (x − x̂₀)/σ · (0 − σ) = x̂₀: the preview of the last
        // step is the final latents.
        let testCase = try XCTUnwrap(try cases().first { $0.name == "euler_epsilon" })
        let scheduler = try makeScheduler(config: testCase.config)
        try scheduler.setTimesteps(testCase.steps)
        var latents = try XCTUnwrap(try Fixtures.tensors("previews/x0.safetensors")["common.sample"]) * scheduler.initNoiseSigma
        for (index, t) in scheduler.timesteps.enumerated() {
            let output = fakeModelOutput(scheduler.scaleModelInput(latents, timestep: t), index: index)
            latents = try scheduler.step(modelOutput: output, timestep: t, sample: latents, generator: nil)
        }
        XCTAssertClose(try XCTUnwrap(scheduler.predictedOriginalSample), latents, relativeTolerance: 1e-6)
    }
}
