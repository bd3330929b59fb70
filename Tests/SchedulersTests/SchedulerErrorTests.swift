// Every config value or call the schedulers cannot honour is a specific SchedulerError naming what is supported.

import Random
import Schedulers
import Tensors
import XCTest

final class SchedulerErrorTests: XCTestCase {
    private func config(_ className: String, _ edit: (inout SchedulerConfig) -> Void = { _ in }) -> SchedulerConfig {
        var config = SchedulerConfig()
        config.className = className
        edit(&config)
        return config
    }

    private func assertThrows(_ expected: SchedulerError, _ body: () throws -> Void,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? SchedulerError, expected, file: file, line: line)
        }
    }

    func testUnknownClassNameListsSupportedSchedulers() {
        assertThrows(.unknownClass("KarrasVeScheduler", supported: supportedSchedulerClassNames)) {
            _ = try makeScheduler(config: config("KarrasVeScheduler"))
        }
        XCTAssertEqual(supportedSchedulerClassNames.count, 10)
        let message = SchedulerError.unknownClass("X", supported: supportedSchedulerClassNames).description
        XCTAssertTrue(message.contains("EulerAncestralDiscreteScheduler") && message.contains("LCMScheduler"), message)
    }

    func testMissingClassNameIsUnknownClass() {
        assertThrows(.unknownClass("(missing)", supported: supportedSchedulerClassNames)) {
            _ = try makeScheduler(config: SchedulerConfig())
        }
    }

    func testEveryImplementedClassBuildsFromDefaults() throws {
        let implemented = ["DDIMScheduler", "PNDMScheduler", "EulerDiscreteScheduler",
                           "EulerAncestralDiscreteScheduler", "DDPMScheduler", "LMSDiscreteScheduler",
                           "HeunDiscreteScheduler"]
        for name in implemented {
            let scheduler = try makeScheduler(config: config(name))
            try scheduler.setTimesteps(20)
            XCTAssertFalse(scheduler.timesteps.isEmpty, name)
        }
    }

    func testUnsupportedBetaScheduleListsTheClassSchedules() {
        assertThrows(.unsupported(scheduler: "DDIMScheduler", field: "beta_schedule", value: "sigmoid",
                                  supported: "linear, scaled_linear, squaredcos_cap_v2")) {
            _ = try makeScheduler(config: config("DDIMScheduler") { $0.betaSchedule = "sigmoid" })
        }
    }

    func testFewerThanTwoTrainingTimestepsAreRejected() {
        assertThrows(.unsupported(scheduler: "EulerDiscreteScheduler", field: "num_train_timesteps",
                                  value: "1 training timesteps", supported: "at least 2")) {
            _ = try makeScheduler(config: config("EulerDiscreteScheduler") { $0.numTrainTimesteps = 1 })
        }
        assertThrows(.unsupported(scheduler: "DDIMScheduler", field: "trained_betas",
                                  value: "0 training timesteps", supported: "at least 2")) {
            _ = try makeScheduler(config: config("DDIMScheduler") { $0.trainedBetas = [] })
        }
    }

    func testTrainedBetasOfAnotherLengthThanTheTrainingTimestepsAreRejected() {
        for name in ["EulerDiscreteScheduler", "DDIMScheduler", "UniPCMultistepScheduler"] {
            assertThrows(.unsupported(scheduler: name, field: "trained_betas", value: "3 values",
                                      supported: "exactly num_train_timesteps (1000) values")) {
                _ = try makeScheduler(config: config(name) { $0.trainedBetas = [0.1, 0.2, 0.3] })
            }
        }
    }

    func testDynamicThresholdingRatioOutsideZeroToOneIsRejected() {
        assertThrows(.unsupported(scheduler: "DDPMScheduler", field: "dynamic_thresholding_ratio", value: "1.5",
                                  supported: "a quantile in [0, 1]")) {
            _ = try makeScheduler(config: config("DDPMScheduler") {
                $0.thresholding = true
                $0.dynamicThresholdingRatio = 1.5
            })
        }
    }

    func testUnsupportedPredictionTypeIsRejected() {
        assertThrows(.unsupported(scheduler: "EulerAncestralDiscreteScheduler", field: "prediction_type",
                                  value: "sample", supported: "epsilon, v_prediction")) {
            _ = try makeScheduler(config: config("EulerAncestralDiscreteScheduler") { $0.predictionType = "sample" })
        }
        assertThrows(.unsupported(scheduler: "PNDMScheduler", field: "prediction_type", value: "flow",
                                  supported: "epsilon, v_prediction")) {
            _ = try makeScheduler(config: config("PNDMScheduler") { $0.predictionType = "flow" })
        }
    }

    func testUnsupportedTimestepSpacingIsRejected() {
        assertThrows(.unsupported(scheduler: "LMSDiscreteScheduler", field: "timestep_spacing", value: "karras",
                                  supported: "linspace, leading, trailing")) {
            _ = try makeScheduler(config: config("LMSDiscreteScheduler") { $0.timestepSpacing = "karras" })
        }
    }

    func testUnsupportedEulerOptionsAreRejected() {
        assertThrows(.unsupported(scheduler: "EulerDiscreteScheduler", field: "interpolation_type", value: "cubic",
                                  supported: "linear, log_linear")) {
            _ = try makeScheduler(config: config("EulerDiscreteScheduler") { $0.interpolationType = "cubic" })
        }
        assertThrows(.unsupported(scheduler: "EulerDiscreteScheduler", field: "timestep_type", value: "edm",
                                  supported: "discrete, continuous")) {
            _ = try makeScheduler(config: config("EulerDiscreteScheduler") { $0.timestepType = "edm" })
        }
        assertThrows(.unsupported(scheduler: "EulerDiscreteScheduler", field: "final_sigmas_type", value: "one",
                                  supported: "zero, sigma_min")) {
            _ = try makeScheduler(config: config("EulerDiscreteScheduler") { $0.finalSigmasType = "one" })
        }
    }

    func testBetaSigmasAndConflictingSigmaRampsAreRejected() {
        XCTAssertThrowsError(try makeScheduler(config: config("HeunDiscreteScheduler") { $0.useBetaSigmas = true })) {
            guard case let .unsupported(_, field, _, _)? = $0 as? SchedulerError else { return XCTFail("\($0)") }
            XCTAssertEqual(field, "use_beta_sigmas")
        }
        XCTAssertThrowsError(try makeScheduler(config: config("EulerDiscreteScheduler") {
            $0.useKarrasSigmas = true
            $0.useExponentialSigmas = true
        })) {
            guard case .unsupported? = $0 as? SchedulerError else { return XCTFail("\($0)") }
        }
    }

    func testLearnedVarianceIsRejected() {
        assertThrows(.unsupported(scheduler: "DDPMScheduler", field: "variance_type", value: "learned_range",
                                  supported: "fixed_small, fixed_small_log, fixed_large")) {
            _ = try makeScheduler(config: config("DDPMScheduler") { $0.varianceType = "learned_range" })
        }
    }

    func testFactoryBuildsEverySupportedClass() throws {
        for name in supportedSchedulerClassNames {
            let scheduler = try makeScheduler(config: config(name))
            XCTAssertEqual(String(describing: type(of: scheduler)), name)
        }
    }

    func testStepCountOutsideTheTrainingRangeIsRejected() throws {
        let ddim = try makeScheduler(config: config("DDIMScheduler"))
        assertThrows(.invalidSteps(1001, reason: "DDIMScheduler needs 1...1000 steps")) { try ddim.setTimesteps(1001) }
        assertThrows(.invalidSteps(0, reason: "DDIMScheduler needs 1...1000 steps")) { try ddim.setTimesteps(0) }
        let pndm = try makeScheduler(config: config("PNDMScheduler"))
        XCTAssertThrowsError(try pndm.setTimesteps(3), "the PRK warm-up needs 4 steps")
    }

    func testStepBeforeSetTimestepsIsRejected() throws {
        let ddim = try makeScheduler(config: config("DDIMScheduler"))
        let sample = Tensor(zeros: [1, 4, 2, 2])
        assertThrows(.timestepsNotSet(scheduler: "DDIMScheduler")) {
            _ = try ddim.step(modelOutput: sample, timestep: 999, sample: sample, generator: nil)
        }
    }

    func testStochasticStepsNeedAGenerator() throws {
        let sample = Tensor(zeros: [1, 4, 2, 2])
        for name in ["EulerAncestralDiscreteScheduler", "DDPMScheduler"] {
            let scheduler = try makeScheduler(config: config(name))
            try scheduler.setTimesteps(10)
            let t = scheduler.timesteps[0]
            assertThrows(.missingGenerator(scheduler: name)) {
                _ = try scheduler.step(modelOutput: sample, timestep: t, sample: sample, generator: nil)
            }
        }
    }

    func testTimestepOutsideTheScheduleIsRejected() throws {
        let euler = try makeScheduler(config: config("EulerDiscreteScheduler"))
        try euler.setTimesteps(10)
        let sample = Tensor(zeros: [1, 4, 2, 2])
        XCTAssertThrowsError(try euler.step(modelOutput: sample, timestep: 500.25, sample: sample, generator: nil)) {
            guard case .invalidTimestep(_, 500.25, _)? = $0 as? SchedulerError else { return XCTFail("\($0)") }
        }
    }

    func testBeginIndexBeforeTheScheduleIsRejected() throws {
        let sample = Tensor(zeros: [1, 4, 2, 2])
        for name in ["EulerDiscreteScheduler", "HeunDiscreteScheduler", "LMSDiscreteScheduler"] {
            let scheduler = try makeScheduler(config: config(name))
            try scheduler.setTimesteps(10)
            scheduler.setBeginIndex(-1)
            let t = scheduler.timesteps[0]
            XCTAssertThrowsError(try scheduler.step(modelOutput: sample, timestep: t, sample: sample, generator: nil)) {
                guard case .invalidTimestep(name, t, _)? = $0 as? SchedulerError else { return XCTFail("\($0)") }
            }
        }
    }
}
