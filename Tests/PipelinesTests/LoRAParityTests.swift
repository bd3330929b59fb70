import Foundation
import Models
import Pipelines
import Tensors
import TestSupport
import XCTest

/// LoRAs at parity with diffusers (`load_lora_weights` + `set_adapters`; text encoder by an independent merge):
/// final latents max|Δ|/max|ref| ≤ 1e-3 and the PNG within PSNR ≥ 45 dB, with updates merged or applied at run time.
final class LoRAParityTests: XCTestCase {
    func check(_ name: String, _ application: LoRAApplication, file: StaticString = #filePath, line: UInt = #line) throws {
        let fixture = try LoRACase.named(name)
        let (image, latents) = try fixture.run(on: try LoRACase.pipeline(application))
        let (expectedImage, expectedLatents) = try fixture.expected()
        XCTAssertClose(latents, expectedLatents, relativeTolerance: 1e-3, "\(name) (\(application)) final latents",
                       file: file, line: line)
        let quality = psnr(image, expectedImage)
        if ProcessInfo.processInfo.environment["IMG2IMG_REPORT_ERRORS"] != nil {
            print("lora parity \(name) \(application) PSNR \(quality) dB")
        }
        XCTAssertGreaterThanOrEqual(quality, 45, "\(name) (\(application)): PSNR \(quality) dB", file: file, line: line)
    }

    func testBaseWithoutLoRAMatchesDiffusers() throws { try check("base", .merged) }
    func testPEFTLoRAWithMetadataAlphasMerged() throws { try check("peft", .merged) }
    func testPEFTLoRAWithMetadataAlphasAtRunTime() throws { try check("peft", .runtime) }
    func testOlderDiffusersKeysMerged() throws { try check("old_style", .merged) }
    func testOlderDiffusersKeysAtRunTime() throws { try check("old_style", .runtime) }
    func testKohyaConvAndTextEncoderLoRAMerged() throws { try check("kohya", .merged) }
    func testKohyaConvAndTextEncoderLoRAAtRunTime() throws { try check("kohya", .runtime) }
    func testTwoLoRAsAtDifferentStrengthsMerged() throws { try check("two_loras", .merged) }
    func testTwoLoRAsAtDifferentStrengthsAtRunTime() throws { try check("two_loras", .runtime) }

    func testEveryFixtureCaseHasATest() throws {
        XCTAssertEqual(try LoRACase.all().map(\.name), ["base", "peft", "old_style", "kohya", "two_loras"])
    }

    /// The runner's contract: LoRAs of one request never reach the next one.
    func testRequestWithoutLoRAAfterOneWithLoRAGivesTheFreshImage() throws {
        let base = try LoRACase.named("base")
        let (fresh, freshLatents) = try base.run(on: try LoRACase.pipeline())
        for application in LoRAApplication.allCases {
            let pipeline = try LoRACase.pipeline(application)
            _ = try LoRACase.named("two_loras").run(on: pipeline)
            let (after, afterLatents) = try base.run(on: pipeline)
            XCTAssertEqual(try after.pngData(), try fresh.pngData(), "\(application): PNG after a LoRA request")
            XCTAssertEqual(afterLatents.scalars, freshLatents.scalars, "\(application): latents after a LoRA request")
        }
    }

    func testStrengthZeroGivesExactlyTheImageWithoutLoRA() throws {
        let base = try LoRACase.named("base")
        let pipeline = try LoRACase.pipeline()
        let (without, _) = try base.run(on: pipeline)
        let (zero, _) = try base.run(on: pipeline, loras: #"{"test/kohya": 0}"#)
        XCTAssertEqual(try zero.pngData(), try without.pngData())
    }

    func testMergedAndRunTimeApplicationAgree() throws {
        let fixture = try LoRACase.named("two_loras")
        let (_, merged) = try fixture.run(on: try LoRACase.pipeline(.merged))
        let (_, runtime) = try fixture.run(on: try LoRACase.pipeline(.runtime))
        XCTAssertClose(runtime, merged, relativeTolerance: 1e-5, "run-time vs merged final latents")
    }
}
