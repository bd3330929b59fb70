// LCMScheduler against diffusers 0.42.1: skipping-step schedules (with and without strength), loops, img2img.

import Schedulers
import Tensors
import XCTest

final class LCMSchedulerTests: XCTestCase {
    /// Timesteps exact; every step output within 1e-6 relative with diffusers' noise replayed.
    func testLCMLoopsMatchDiffusers() throws {
        try multistepCheckCases(className: LCMScheduler.className, kind: "loop")
    }

    /// set_timesteps(n), set_begin_index(k), add_noise at timesteps[k], then the loop from there.
    func testLCMImg2ImgMatchesDiffusers() throws {
        try multistepCheckCases(className: LCMScheduler.className, kind: "img2img")
    }

    /// Schedules for n = 1…25, 30, 37, 50 with original_inference_steps 50 and 100.
    func testLCMScheduleSweepsMatchDiffusers() throws {
        try multistepCheckCases(className: LCMScheduler.className, kind: "sweep")
    }

    /// `denoised` of the last step is the returned sample (no noise is added on the final step).
    func testLCMFinalStepReturnsDenoised() throws {
        let scheduler = try LCMScheduler(config: SchedulerConfig())
        try scheduler.setTimesteps(1)
        let sample = Tensor(shape: [1, 1, 1, 2], values: [0.5, -1])
        let output = try scheduler.step(modelOutput: sample, timestep: scheduler.timesteps[0], sample: sample,
                                        generator: nil)
        XCTAssertEqual(output.scalars, scheduler.denoised?.scalars)
    }
}
