// The step-index bookkeeping of diffusers' schedulers that keep one (`_step_index`, `_begin_index`,
// `index_for_timestep`, `_init_step_index`), and the σ that `scale_model_input` and `add_noise` read there.

import Tensors

/// diffusers' `index_for_timestep`: the position of `timestep` in `timesteps`, taking the second match when
/// there are several, so that a schedule starting part-way (img2img) never skips a sigma. Nil when absent.
public func indexForTimestep(_ timestep: Float, in timesteps: [Float]) -> Int? {
    var first: Int?
    for (index, value) in timesteps.enumerated() where value == timestep {
        if first != nil { return index }
        first = index
    }
    return first
}

/// Where a scheduler is in its schedule: set on the first `scale_model_input` / `step`, then advanced.
struct StepIndex {
    /// `_step_index`: nil until the first call after `set_timesteps`.
    var step: Int?
    /// `_begin_index`: set by img2img pipelines (`set_begin_index`), nil otherwise.
    var begin: Int?
    /// Whether a timestep missing from the schedule maps to its last index (DPM-Solver, UniPC) instead of
    /// being an error (the others).
    let missingTimestepIsLast: Bool

    /// A schedule position nobody has entered yet.
    init(missingTimestepIsLast: Bool = false) {
        self.missingTimestepIsLast = missingTimestepIsLast
    }

    /// Forgets both indices (what `set_timesteps` does).
    mutating func reset() {
        step = nil
        begin = nil
    }

    /// The scheduler's `index_for_timestep(timestep)`.
    func position(of timestep: Float, in timesteps: [Float]) -> Int? {
        indexForTimestep(timestep, in: timesteps) ?? (missingTimestepIsLast ? timesteps.count - 1 : nil)
    }

    /// `_init_step_index(timestep)` when needed; the resolved step index, nil when `timestep` is not scheduled.
    mutating func resolve(_ timestep: Float, timesteps: [Float]) -> Int? {
        if step == nil { step = begin ?? position(of: timestep, in: timesteps) }
        return step
    }

    /// The index `step` works at, resolved as `resolve` does; a `misuse` error when the timestep is not in the
    /// schedule or when the index is not below `stepCount`.
    mutating func resolveForStep(_ timestep: Float, timesteps: [Float], stepCount: Int,
                                 scheduler: String) throws -> Int {
        guard let index = resolve(timestep, timesteps: timesteps) else {
            throw SchedulerError.misuse(scheduler: scheduler, reason: "timestep \(timestep) is not in the schedule")
        }
        guard index >= 0 && index < stepCount else {
            throw SchedulerError.misuse(scheduler: scheduler,
                                        reason: "step \(index) is past the last of \(stepCount) timesteps")
        }
        return index
    }

    /// The σ `add_noise` reads: at the timestep's index without a begin index, else at the current step
    /// index, else at the begin index; nil outside the schedule.
    func noiseSigma(_ timestep: Float, timesteps: [Float], sigmas: [Float]) -> Float? {
        guard let index = begin == nil ? position(of: timestep, in: timesteps) : step ?? begin,
              sigmas.indices.contains(index) else { return nil }
        return sigmas[index]
    }

    /// `scale_model_input` of the σ schedulers: x / √(σ² + 1) at the resolved step. A timestep outside the
    /// schedule (without a begin index) returns the sample unscaled, and the following `step` throws.
    mutating func scaledModelInput(_ sample: Tensor, timestep: Float, timesteps: [Float], sigmas: [Float]) -> Tensor {
        guard let index = resolve(timestep, timesteps: timesteps), sigmas.indices.contains(index) else {
            return sample
        }
        let sigma = sigmas[index]
        let scale = (sigma * sigma + 1).squareRoot()
        return sample.mapped { $0 / scale }
    }
}
