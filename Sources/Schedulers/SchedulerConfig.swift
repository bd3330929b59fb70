// `scheduler/scheduler_config.json`: every field any supported scheduler reads, kept as the file gave it
// (nil when absent), because defaults differ per scheduler class (diffusers' `from_config` semantics); and the
// reading of its string options and flags: a value outside what the scheduler class implements is a
// `SchedulerError.unsupported` that names the field, the value and what is supported.

import Foundation

/// The fields of a diffusers scheduler config; each scheduler applies its own class's defaults.
public struct SchedulerConfig: Decodable, Equatable {
    public var className: String?
    public var numTrainTimesteps: Int?
    public var betaStart: Double?
    public var betaEnd: Double?
    public var betaSchedule: String?
    public var trainedBetas: [Double]?
    public var predictionType: String?
    public var timestepSpacing: String?
    public var stepsOffset: Int?
    public var setAlphaToOne: Bool?
    public var skipPrkSteps: Bool?
    public var clipSample: Bool?
    public var clipSampleRange: Double?
    public var thresholding: Bool?
    public var dynamicThresholdingRatio: Double?
    public var sampleMaxValue: Double?
    public var useKarrasSigmas: Bool?
    public var useExponentialSigmas: Bool?
    public var useBetaSigmas: Bool?
    public var useFlowSigmas: Bool?
    public var useDynamicShifting: Bool?
    public var sigmaMin: Double?
    public var sigmaMax: Double?
    public var rescaleBetasZeroSnr: Bool?
    public var interpolationType: String?
    public var timestepType: String?
    public var varianceType: String?
    // Multistep solvers (DPM-Solver++, UniPC).
    public var solverOrder: Int?
    public var algorithmType: String?
    public var solverType: String?
    public var lowerOrderFinal: Bool?
    public var eulerAtFinal: Bool?
    public var finalSigmasType: String?
    public var lambdaMinClipped: Double?
    public var useLuLambdas: Bool?
    public var predictX0: Bool?
    public var solverP: String?
    public var disableCorrector: [Int]?
    // LCM.
    public var originalInferenceSteps: Int?
    public var timestepScaling: Double?

    enum CodingKeys: String, CodingKey {
        case className = "_class_name", numTrainTimesteps = "num_train_timesteps", betaStart = "beta_start"
        case betaEnd = "beta_end", betaSchedule = "beta_schedule", trainedBetas = "trained_betas"
        case predictionType = "prediction_type", timestepSpacing = "timestep_spacing", stepsOffset = "steps_offset"
        case setAlphaToOne = "set_alpha_to_one", skipPrkSteps = "skip_prk_steps", clipSample = "clip_sample"
        case clipSampleRange = "clip_sample_range", thresholding, dynamicThresholdingRatio = "dynamic_thresholding_ratio"
        case sampleMaxValue = "sample_max_value", useKarrasSigmas = "use_karras_sigmas"
        case useExponentialSigmas = "use_exponential_sigmas", useBetaSigmas = "use_beta_sigmas"
        case useFlowSigmas = "use_flow_sigmas", useDynamicShifting = "use_dynamic_shifting"
        case sigmaMin = "sigma_min", sigmaMax = "sigma_max"
        case rescaleBetasZeroSnr = "rescale_betas_zero_snr", interpolationType = "interpolation_type"
        case timestepType = "timestep_type", varianceType = "variance_type", solverOrder = "solver_order"
        case algorithmType = "algorithm_type", solverType = "solver_type", lowerOrderFinal = "lower_order_final"
        case eulerAtFinal = "euler_at_final", finalSigmasType = "final_sigmas_type"
        case lambdaMinClipped = "lambda_min_clipped", useLuLambdas = "use_lu_lambdas", predictX0 = "predict_x0"
        case solverP = "solver_p", disableCorrector = "disable_corrector"
        case originalInferenceSteps = "original_inference_steps", timestepScaling = "timestep_scaling"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        func get<T: Decodable>(_ key: CodingKeys) throws -> T? {
            // null and absent are the same here: the class default applies.
            try c.decodeIfPresent(T.self, forKey: key)
        }
        className = try get(.className)
        numTrainTimesteps = try get(.numTrainTimesteps)
        betaStart = try get(.betaStart)
        betaEnd = try get(.betaEnd)
        betaSchedule = try get(.betaSchedule)
        trainedBetas = try get(.trainedBetas)
        predictionType = try get(.predictionType)
        timestepSpacing = try get(.timestepSpacing)
        stepsOffset = try get(.stepsOffset)
        setAlphaToOne = try get(.setAlphaToOne)
        skipPrkSteps = try get(.skipPrkSteps)
        clipSample = try get(.clipSample)
        clipSampleRange = try get(.clipSampleRange)
        thresholding = try get(.thresholding)
        dynamicThresholdingRatio = try get(.dynamicThresholdingRatio)
        sampleMaxValue = try get(.sampleMaxValue)
        useKarrasSigmas = try get(.useKarrasSigmas)
        useExponentialSigmas = try get(.useExponentialSigmas)
        useBetaSigmas = try get(.useBetaSigmas)
        useFlowSigmas = try get(.useFlowSigmas)
        useDynamicShifting = try get(.useDynamicShifting)
        sigmaMin = try get(.sigmaMin)
        sigmaMax = try get(.sigmaMax)
        rescaleBetasZeroSnr = try get(.rescaleBetasZeroSnr)
        interpolationType = try get(.interpolationType)
        timestepType = try get(.timestepType)
        varianceType = try get(.varianceType)
        solverOrder = try get(.solverOrder)
        algorithmType = try get(.algorithmType)
        solverType = try get(.solverType)
        lowerOrderFinal = try get(.lowerOrderFinal)
        eulerAtFinal = try get(.eulerAtFinal)
        finalSigmasType = try get(.finalSigmasType)
        lambdaMinClipped = try get(.lambdaMinClipped)
        useLuLambdas = try get(.useLuLambdas)
        predictX0 = try get(.predictX0)
        solverP = try get(.solverP)
        disableCorrector = try get(.disableCorrector)
        originalInferenceSteps = try get(.originalInferenceSteps)
        timestepScaling = try get(.timestepScaling)
    }

    /// Reads `scheduler_config.json`.
    public static func load(_ url: URL) throws -> SchedulerConfig {
        try decode(Data(contentsOf: url))
    }

    /// Decodes a config as Python's `json` writes it: bare `Infinity`, `-Infinity` and `NaN` are allowed
    /// (diffusers saves `lambda_min_clipped: -Infinity`), though standard JSON has no such literals.
    public static func decode(_ data: Data) throws -> SchedulerConfig {
        let decoder = JSONDecoder()
        decoder.nonConformingFloatDecodingStrategy = .convertFromString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        return try decoder.decode(SchedulerConfig.self, from: quotingNonFiniteLiterals(data))
    }

    /// Wraps the bare literals `Infinity`, `-Infinity` and `NaN` outside strings in quotes.
    static func quotingNonFiniteLiterals(_ data: Data) -> Data {
        let bytes = [UInt8](data)
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count + 16)
        var inString = false, escaped = false, i = 0
        let literals: [[UInt8]] = [Array("-Infinity".utf8), Array("Infinity".utf8), Array("NaN".utf8)]
        while i < bytes.count {
            let byte = bytes[i]
            if inString {
                output.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                i += 1
                continue
            }
            if byte == UInt8(ascii: "\"") { inString = true }
            if let literal = literals.first(where: { bytes[i...].starts(with: $0) }) {
                output.append(UInt8(ascii: "\""))
                output += literal
                output.append(UInt8(ascii: "\""))
                i += literal.count
                continue
            }
            output.append(byte)
            i += 1
        }
        return Data(output)
    }
}

// MARK: - Options

/// A string config value as one of `supported`, or an `unsupported` error listing them in that order.
func parseOption<Option: RawRepresentable>(_ value: String, field: String, scheduler: String,
                                           supported: [Option]) throws -> Option where Option.RawValue == String {
    guard let option = Option(rawValue: value), supported.contains(where: { $0.rawValue == value }) else {
        throw SchedulerError.unsupported(scheduler: scheduler, field: field, value: value,
                                         supported: supported.map(\.rawValue).joined(separator: ", "))
    }
    return option
}

/// A string config value as any case of `Option`, or an `unsupported` error listing all of them.
func parseOption<Option: RawRepresentable & CaseIterable>(_ value: String, field: String,
                                                          scheduler: String) throws -> Option
    where Option.RawValue == String {
    try parseOption(value, field: field, scheduler: scheduler, supported: Array(Option.allCases))
}

/// An `unsupported` error when a flag this engine does not implement is switched on.
func rejectEnabled(_ value: Bool?, field: String, scheduler: String, instead: String = "") throws {
    if value == true {
        throw SchedulerError.unsupported(scheduler: scheduler, field: field, value: "true",
                                         supported: "false" + instead)
    }
}
