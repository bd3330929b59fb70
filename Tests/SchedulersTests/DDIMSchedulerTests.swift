// DDIMScheduler against diffusers 0.42.1 fixtures: schedules, the full denoising loop and the img2img path
// (tolerances in ReplayTolerance: each step 1e-6 relative, integer-valued timesteps exact).

import Schedulers
import XCTest

final class DDIMSchedulerTests: XCTestCase {
    func testScheduleMatchesDiffusers() throws {
        var replay = try SchedulerReplay()
        let cases = replay.cases(of: "DDIMScheduler", img2img: false) + replay.cases(of: "DDIMScheduler", img2img: true)
        XCTAssertFalse(cases.isEmpty, "no fixtures for DDIMScheduler")
        for testCase in cases { try replay.checkSchedule(testCase) }
    }

    func testEachDenoisingStepMatchesDiffusers() throws {
        var replay = try SchedulerReplay()
        let cases = replay.cases(of: "DDIMScheduler", img2img: false)
        XCTAssertFalse(cases.isEmpty, "no fixtures for DDIMScheduler")
        for testCase in cases { try replay.checkLoop(testCase, teacherForced: true) }
    }

    func testFreeRunningLoopStaysWithinComponentTolerance() throws {
        var replay = try SchedulerReplay()
        for testCase in replay.cases(of: "DDIMScheduler", img2img: false) {
            try replay.checkLoop(testCase, teacherForced: false)
        }
    }

    func testImg2ImgFromBeginIndexMatchesDiffusers() throws {
        var replay = try SchedulerReplay()
        let cases = replay.cases(of: "DDIMScheduler", img2img: true)
        XCTAssertFalse(cases.isEmpty, "no img2img fixtures for DDIMScheduler")
        for testCase in cases { try replay.checkLoop(testCase, teacherForced: true) }
    }
}
