// Unsupported config values and misuse of the multistep schedulers: each is a specific SchedulerError.

import Foundation
import Schedulers
import Tensors
import XCTest

final class MultistepErrorTests: XCTestCase {
    private func config(_ json: String) throws -> SchedulerConfig {
        try JSONDecoder().decode(SchedulerConfig.self, from: Data(json.utf8))
    }

    /// Asserts `body` throws `.unsupported` naming `field`.
    private func assertUnsupported(_ field: String, file: StaticString = #filePath, line: UInt = #line,
                                   _ body: () throws -> Void) {
        do {
            try body()
            XCTFail("expected an unsupported `\(field)` error", file: file, line: line)
        } catch let SchedulerError.unsupported(_, thrownField, _, _) {
            XCTAssertEqual(thrownField, field, file: file, line: line)
        } catch {
            XCTFail("unexpected error \(error)", file: file, line: line)
        }
    }

    func testUnknownAlgorithmTypeListsSupportedOnes() throws {
        let bad = try config(#"{"algorithm_type": "dpm-fast"}"#)
        XCTAssertThrowsError(try DPMSolverMultistepScheduler(config: bad)) { error in
            XCTAssertEqual(error as? SchedulerError, .unsupported(
                scheduler: "DPMSolverMultistepScheduler", field: "algorithm_type", value: "dpm-fast",
                supported: "dpmsolver++, sde-dpmsolver++, dpmsolver, sde-dpmsolver"))
            XCTAssertTrue("\(error)".contains("supported: dpmsolver++"), "\(error)")
        }
    }

    func testDPMSolverRejectsUnsupportedValues() throws {
        for (field, json) in [
            ("solver_type", #"{"solver_type": "euler"}"#),
            ("solver_order", #"{"solver_order": 4}"#),
            ("solver_order", #"{"algorithm_type": "sde-dpmsolver", "solver_order": 3, "final_sigmas_type": "sigma_min"}"#),
            ("final_sigmas_type", #"{"algorithm_type": "dpmsolver"}"#),
            ("final_sigmas_type", #"{"final_sigmas_type": "one"}"#),
            ("prediction_type", #"{"prediction_type": "flow_prediction"}"#),
            ("timestep_spacing", #"{"timestep_spacing": "uniform"}"#),
            ("beta_schedule", #"{"beta_schedule": "sigmoid"}"#),
            ("use_beta_sigmas", #"{"use_beta_sigmas": true}"#),
            ("use_flow_sigmas", #"{"use_flow_sigmas": true}"#),
            ("use_karras_sigmas + use_exponential_sigmas", #"{"use_karras_sigmas": true, "use_exponential_sigmas": true}"#),
            ("variance_type", #"{"variance_type": "learned_range"}"#),
            ("trained_betas", #"{"trained_betas": [0.1, 0.2]}"#),
        ] {
            let bad = try config(json)
            assertUnsupported(field) { _ = try DPMSolverMultistepScheduler(config: bad) }
        }
    }

    func testUniPCRejectsUnsupportedValues() throws {
        for (field, json) in [
            ("solver_type", #"{"solver_type": "bh3"}"#),
            ("solver_order", #"{"solver_order": 0}"#),
            ("solver_p", #"{"solver_p": "DDIMScheduler"}"#),
            ("prediction_type", #"{"prediction_type": "flow_prediction"}"#),
            ("timestep_spacing", #"{"timestep_spacing": "uniform"}"#),
            ("final_sigmas_type", #"{"final_sigmas_type": "one"}"#),
            ("use_beta_sigmas", #"{"use_beta_sigmas": true}"#),
        ] {
            let bad = try config(json)
            assertUnsupported(field) { _ = try UniPCMultistepScheduler(config: bad) }
        }
    }

    func testLCMRejectsUnsupportedValues() throws {
        assertUnsupported("prediction_type") { _ = try LCMScheduler(config: try self.config(#"{"prediction_type": "x"}"#)) }
        assertUnsupported("beta_schedule") { _ = try LCMScheduler(config: try self.config(#"{"beta_schedule": "x"}"#)) }
        let tooMany = try LCMScheduler(config: try config(#"{"original_inference_steps": 2000}"#))
        assertUnsupported("original_inference_steps") { try tooMany.setTimesteps(4) }
    }

    func testDiffusersSubstitutesDeisAndForeignSolverTypes() throws {
        let deis = try DPMSolverMultistepScheduler(config: try config(#"{"algorithm_type": "deis", "solver_type": "bh2"}"#))
        XCTAssertEqual(deis.timesteps.count, 1000)
        XCTAssertNoThrow(try UniPCMultistepScheduler(config: try config(#"{"solver_type": "midpoint"}"#)))
    }

    func testStepBeforeSetTimestepsIsMisuse() throws {
        let sample = Tensor(zeros: [1, 1, 2, 2])
        for scheduler in [try DPMSolverMultistepScheduler(config: SchedulerConfig()) as Scheduler,
                          try UniPCMultistepScheduler(config: SchedulerConfig()), try LCMScheduler(config: SchedulerConfig())] {
            XCTAssertThrowsError(try scheduler.step(modelOutput: sample, timestep: 999, sample: sample, generator: nil)) {
                guard case .misuse = $0 as? SchedulerError else { return XCTFail("\($0)") }
            }
        }
    }

    func testZeroStepsIsInvalid() throws {
        for scheduler in [try DPMSolverMultistepScheduler(config: SchedulerConfig()) as Scheduler,
                          try UniPCMultistepScheduler(config: SchedulerConfig()), try LCMScheduler(config: SchedulerConfig())] {
            XCTAssertThrowsError(try scheduler.setTimesteps(0)) {
                XCTAssertEqual($0 as? SchedulerError, .invalidSteps(0, reason: "at least 1 step is needed"))
            }
        }
    }

    func testStochasticStepsNeedAGenerator() throws {
        let sample = Tensor(repeating: 0.5, shape: [1, 1, 2, 2])
        let sde = try DPMSolverMultistepScheduler(config: try config(#"{"algorithm_type": "sde-dpmsolver++"}"#))
        try sde.setTimesteps(4)
        XCTAssertThrowsError(try sde.step(modelOutput: sample, timestep: sde.timesteps[0], sample: sample, generator: nil)) {
            XCTAssertEqual($0 as? SchedulerError, .missingGenerator(scheduler: "DPMSolverMultistepScheduler"))
        }
        let lcm = try LCMScheduler(config: SchedulerConfig())
        try lcm.setTimesteps(4)
        XCTAssertThrowsError(try lcm.step(modelOutput: sample, timestep: lcm.timesteps[0], sample: sample, generator: nil)) {
            XCTAssertEqual($0 as? SchedulerError, .missingGenerator(scheduler: "LCMScheduler"))
        }
    }

    func testLCMRejectsMoreStepsThanTheDistillationSchedule() throws {
        let lcm = try LCMScheduler(config: try config(#"{"original_inference_steps": 50}"#))
        XCTAssertThrowsError(try lcm.setTimesteps(51)) {
            guard case .invalidSteps(51, _) = $0 as? SchedulerError else { return XCTFail("\($0)") }
        }
        XCTAssertThrowsError(try lcm.setTimesteps(30, strength: 0.5)) {
            guard case .invalidSteps(30, _) = $0 as? SchedulerError else { return XCTFail("\($0)") }
        }
    }

    func testLCMStepAtATimestepOutsideTheScheduleIsMisuse() throws {
        let lcm = try LCMScheduler(config: SchedulerConfig())
        try lcm.setTimesteps(4)
        let sample = Tensor(zeros: [1, 1, 2, 2])
        XCTAssertThrowsError(try lcm.step(modelOutput: sample, timestep: 500, sample: sample, generator: nil)) {
            guard case .misuse = $0 as? SchedulerError else { return XCTFail("\($0)") }
        }
    }

    func testEulerAtFinalIsDecodedFromItsSnakeCaseKey() throws {
        XCTAssertEqual(try config(#"{"euler_at_final": true}"#).eulerAtFinal, true)
    }
}
