// TEMPORARY placeholders, replaced at merge by the real DPMSolverMultistepScheduler, UniPCMultistepScheduler and
// LCMScheduler files written on another branch: each init throws `unsupported`, so the factory already lists them.

import Random
import Tensors

/// Placeholder for diffusers' `DPMSolverMultistepScheduler` (TEMPORARY: its init always throws).
public final class DPMSolverMultistepScheduler: PendingScheduler {}
/// Placeholder for diffusers' `UniPCMultistepScheduler` (TEMPORARY: its init always throws).
public final class UniPCMultistepScheduler: PendingScheduler {}
/// Placeholder for diffusers' `LCMScheduler` (TEMPORARY: its init always throws).
public final class LCMScheduler: PendingScheduler {}

/// The shared body of the placeholders (TEMPORARY).
public class PendingScheduler: Scheduler {
    public let config: SchedulerConfig
    public let order = 1
    public let timesteps: [Float] = []
    public let initNoiseSigma: Float = 1

    /// Always throws `unsupported`: the implementation lands from another branch.
    public required init(config: SchedulerConfig) throws {
        self.config = config
        throw SchedulerError.unsupported(scheduler: String(describing: Self.self), field: "_class_name",
                                         value: String(describing: Self.self), supported: "not yet implemented")
    }

    public func setTimesteps(_ steps: Int) throws {}
    public func setBeginIndex(_ index: Int) {}
    public func scaleModelInput(_ sample: Tensor, timestep: Float) -> Tensor { sample }
    public func step(modelOutput: Tensor, timestep: Float, sample: Tensor, generator: RandomGenerator?) throws -> Tensor {
        sample
    }
    public func addNoise(original: Tensor, noise: Tensor, timestep: Float) -> Tensor { original }
}
