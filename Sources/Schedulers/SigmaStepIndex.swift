// The step-index bookkeeping of diffusers' sigma schedulers (`_step_index`, `_begin_index`,
// `_init_step_index`, and the index `add_noise` reads σ at).

/// Where a sigma scheduler is in its schedule: set on the first `scale_model_input` / `step`, then advanced.
struct SigmaStepIndex {
    /// `_step_index`: nil until the first call after `set_timesteps`.
    var step: Int?
    /// `_begin_index`: set by img2img pipelines (`set_begin_index`), nil otherwise.
    var begin: Int?

    /// Forgets both indices (what `set_timesteps` does).
    mutating func reset() {
        step = nil
        begin = nil
    }

    /// `_init_step_index(timestep)` when needed; the resolved step index, nil when `timestep` is not scheduled.
    mutating func resolve(_ timestep: Float, timesteps: [Float]) -> Int? {
        if step == nil { step = begin ?? indexForTimestep(timestep, in: timesteps) }
        return step
    }

    /// The index `add_noise` takes σ from: the timestep's index without a begin index, else the current step
    /// index, else the begin index.
    func noiseIndex(_ timestep: Float, timesteps: [Float]) -> Int? {
        guard let begin else { return indexForTimestep(timestep, in: timesteps) }
        return step ?? begin
    }
}
