// Integer training timesteps for the schedulers that index alphas_cumprod directly (DDIM, DDPM, PNDM):
// the protocol's Float timestep must hold an integer, and the index follows Python's rules.

/// The integer a Float timestep holds, or an `invalidTimestep` error.
func integerTimestep(_ timestep: Float, scheduler: String) throws -> Int {
    guard timestep.isFinite, timestep.rounded() == timestep, abs(timestep) < 1e9 else {
        throw SchedulerError.invalidTimestep(scheduler: scheduler, timestep: timestep,
                                             reason: "is not an integer training timestep")
    }
    return Int(timestep)
}

extension NoiseSchedule {
    /// `alphas_cumprod[timestep]` (Python indexing), or an `invalidTimestep` error outside the training range.
    func alphaCumprod(at timestep: Int, scheduler: String) throws -> Float {
        guard let value = alphaCumprod(at: timestep) else {
            throw SchedulerError.invalidTimestep(scheduler: scheduler, timestep: Float(timestep),
                                                 reason: "is outside the training range 0..<\(alphasCumprod.count)")
        }
        return value
    }
}
