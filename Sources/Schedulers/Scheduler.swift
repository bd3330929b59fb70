// The scheduler interface the pipelines use, as diffusers' schedulers expose it: `set_timesteps`,
// `init_noise_sigma`, `scale_model_input`, `step`, `add_noise`, `order` and the img2img begin index; and the
// factory that builds the class a model's `scheduler_config.json` names in `_class_name`, like diffusers'
// `SchedulerMixin.from_config` (each class applies its own defaults to the fields the file leaves out).

import Random
import Tensors

/// A diffusers noise scheduler: the timestep schedule and the update rule of one denoising step.
/// Schedulers keep state between steps (step index, previous model outputs), so they are classes.
public protocol Scheduler: AnyObject {
    /// The config the scheduler was built from.
    var config: SchedulerConfig { get }
    /// Model evaluations per timestep entry (`order` in diffusers: 2 for Heun, 1 for most).
    var order: Int { get }
    /// The inference timesteps after `setTimesteps`, as diffusers' `scheduler.timesteps` (ints stored as Float).
    var timesteps: [Float] { get }
    /// The standard deviation of the initial noise (`init_noise_sigma`).
    var initNoiseSigma: Float { get }

    /// `set_timesteps(num_inference_steps)`.
    func setTimesteps(_ steps: Int) throws
    /// `set_begin_index(index)`: img2img starts the schedule part-way.
    func setBeginIndex(_ index: Int)
    /// `scale_model_input(sample, t)`.
    func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor
    /// `step(model_output, t, sample, generator=…).prev_sample`; stochastic schedulers draw from `generator`.
    func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor
    /// `add_noise(original_samples, noise, timesteps)` for one timestep shared by the batch.
    func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor
    /// x̂₀ of the last `step` (nil before the first): the clean sample predicted from that step's model output,
    /// as diffusers' `pred_original_sample` (LCM: `denoised`; DPM-Solver++ / UniPC: the converted model output).
    /// PNDM, and DPM-Solver / UniPC on ε, never form it: it is computed when read, from the step's model output
    /// at its input sample and noise level.
    var predictedOriginalSample: Tensor? { get }
}

/// The `_class_name` values `makeScheduler` knows.
public let supportedSchedulerClassNames = [
    "DDIMScheduler", "PNDMScheduler", "EulerDiscreteScheduler", "EulerAncestralDiscreteScheduler",
    "DDPMScheduler", "LMSDiscreteScheduler", "HeunDiscreteScheduler", "DPMSolverMultistepScheduler",
    "UniPCMultistepScheduler", "LCMScheduler",
]

/// The scheduler named by `config.className`; an unknown or missing name is `SchedulerError.unknownClass`.
public func makeScheduler(config: SchedulerConfig) throws -> Scheduler {
    switch config.className {
    case "DDIMScheduler": return try DDIMScheduler(config: config)
    case "PNDMScheduler": return try PNDMScheduler(config: config)
    case "EulerDiscreteScheduler": return try EulerDiscreteScheduler(config: config)
    case "EulerAncestralDiscreteScheduler": return try EulerAncestralDiscreteScheduler(config: config)
    case "DDPMScheduler": return try DDPMScheduler(config: config)
    case "LMSDiscreteScheduler": return try LMSDiscreteScheduler(config: config)
    case "HeunDiscreteScheduler": return try HeunDiscreteScheduler(config: config)
    case "DPMSolverMultistepScheduler": return try DPMSolverMultistepScheduler(config: config)
    case "UniPCMultistepScheduler": return try UniPCMultistepScheduler(config: config)
    case "LCMScheduler": return try LCMScheduler(config: config)
    default:
        throw SchedulerError.unknownClass(config.className ?? "(missing)", supported: supportedSchedulerClassNames)
    }
}

/// A scheduler config value this engine does not implement, or a misuse of the scheduler.
public enum SchedulerError: Error, CustomStringConvertible, Equatable {
    case unknownClass(String, supported: [String])
    case unsupported(scheduler: String, field: String, value: String, supported: String)
    case invalidSteps(Int, reason: String)
    case missingGenerator(scheduler: String)
    case timestepsNotSet(scheduler: String)
    case invalidTimestep(scheduler: String, timestep: Float, reason: String)
    /// The scheduler was used out of order (e.g. `step` before `setTimesteps`, or past the last timestep).
    case misuse(scheduler: String, reason: String)

    public var description: String {
        switch self {
        case let .unknownClass(name, supported):
            return "unknown scheduler `_class_name` \(name); supported: \(supported.joined(separator: ", "))"
        case let .unsupported(scheduler, field, value, supported):
            return "\(scheduler): `\(field)` = \(value) is not supported (supported: \(supported))"
        case let .invalidSteps(steps, reason):
            return "cannot use \(steps) inference steps: \(reason)"
        case let .missingGenerator(scheduler):
            return "\(scheduler) draws noise at each step and needs a random generator"
        case let .timestepsNotSet(scheduler):
            return "\(scheduler): call setTimesteps before stepping"
        case let .invalidTimestep(scheduler, timestep, reason):
            return "\(scheduler): timestep \(timestep) \(reason)"
        case let .misuse(scheduler, reason):
            return "\(scheduler): \(reason)"
        }
    }
}

/// The `misuse` checks a multistep solver's `step` starts with: `setTimesteps` was called and the model output
/// has the sample's shape.
func checkStepArguments(modelOutput: Tensor, sample: Tensor, timestepsSet: Bool, scheduler: String) throws {
    guard timestepsSet else {
        throw SchedulerError.misuse(scheduler: scheduler, reason: "call setTimesteps before step")
    }
    guard modelOutput.shape == sample.shape else {
        throw SchedulerError.misuse(scheduler: scheduler,
                                    reason: "model output \(modelOutput.shape) and sample \(sample.shape) differ")
    }
}
