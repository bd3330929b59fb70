// UniPCMultistepScheduler against diffusers 0.42.1: bh1/bh2, predict_x0, orders 1–3, corrector switches, img2img.

import Schedulers
import XCTest

final class UniPCMultistepTests: XCTestCase {
    /// Timesteps exact, sigmas and every step output within 1e-6 relative (NaN where diffusers gives NaN).
    func testUniPCLoopsMatchDiffusers() throws {
        try multistepCheckCases(className: UniPCMultistepScheduler.className, kind: "loop")
    }

    /// set_timesteps(n), set_begin_index(k), add_noise at timesteps[k], then the loop from there.
    func testUniPCImg2ImgMatchesDiffusers() throws {
        try multistepCheckCases(className: UniPCMultistepScheduler.className, kind: "img2img")
    }

    /// Schedules for n = 1…25, 30, 37, 50 across spacings and Karras / exponential sigmas.
    func testUniPCScheduleSweepsMatchDiffusers() throws {
        try multistepCheckCases(className: UniPCMultistepScheduler.className, kind: "sweep")
    }
}
