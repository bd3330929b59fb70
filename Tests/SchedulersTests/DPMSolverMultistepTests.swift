// DPMSolverMultistepScheduler against diffusers 0.42.1: schedules, full loops (ODE and SDE, orders 1–3), img2img.

import Schedulers
import XCTest

final class DPMSolverMultistepTests: XCTestCase {
    /// Timesteps exact, sigmas and every step output within 1e-6 relative, SDE noise replayed from torch.
    func testDPMSolverLoopsMatchDiffusers() throws {
        try multistepCheckCases(className: DPMSolverMultistepScheduler.className, kind: "loop")
    }

    /// set_timesteps(n), set_begin_index(k), add_noise at timesteps[k], then the loop from there.
    func testDPMSolverImg2ImgMatchesDiffusers() throws {
        try multistepCheckCases(className: DPMSolverMultistepScheduler.className, kind: "img2img")
    }

    /// Schedules for n = 1…25, 30, 37, 50 across spacings, Karras / Lu / exponential sigmas, λ clipping and zero SNR.
    func testDPMSolverScheduleSweepsMatchDiffusers() throws {
        try multistepCheckCases(className: DPMSolverMultistepScheduler.className, kind: "sweep")
    }

    /// The second occurrence of a repeated timestep is the starting index, an absent one maps to the end.
    func testIndexForTimestepUsesSecondMatch() throws {
        var config = SchedulerConfig()
        (config.betaStart, config.betaEnd, config.betaSchedule) = (0.00085, 0.012, "scaled_linear")
        config.useKarrasSigmas = true
        let scheduler = try DPMSolverMultistepScheduler(config: config)
        try scheduler.setTimesteps(50)  // ends …, 2, 1, 1, 0 in diffusers
        let timesteps = scheduler.timesteps
        let repeated = timesteps.enumerated().first { i, t in timesteps[(i + 1)...].contains(t) }
        let (first, value) = try XCTUnwrap(repeated, "a 50-step Karras schedule repeats its smallest timesteps")
        XCTAssertEqual(scheduler.indexForTimestep(value), timesteps[(first + 1)...].firstIndex(of: value))
        XCTAssertEqual(scheduler.indexForTimestep(12345), timesteps.count - 1)
    }
}
