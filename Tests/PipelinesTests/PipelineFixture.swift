// Loads the end-to-end cases written by Tests/Fixtures/gen_pipelines.py (SD) and gen_sdxl_pipelines.py (SDXL)
// and runs one through our pipeline.

import Foundation
import Images
import Models
import Pipelines
import Random
import Schedulers
import Tensors
import TestSupport
import XCTest

/// One golden diffusers run: its model, input, request and scheduler, and what diffusers produced.
struct PipelineCase {
    /// The fixture section: `pipelines` or `sdxl_pipelines`.
    let section: String
    let name: String
    let model: String
    let image: String
    let request: GenerationRequest
    /// The case gave no negative prompt at all (diffusers' `negative_prompt=None`), not "".
    let negativeAbsent: Bool
    let scheduler: SchedulerConfig
    /// Runner cases: the model id, resolved under the section's model root `root/` in the runner's layouts, with
    /// the runner's own scheduler (not the case's), LoRAs by id and, for SDXL-Lightning, the mode.
    var runnerModelID: String?
    var lightningMode: LightningMode?
    /// How a runner case applies its LoRAs.
    var loraApplication = LoRAApplication.merged

    static func all(in section: String = "pipelines") throws -> [PipelineCase] {
        // Python's json writes bare -Infinity (lambda_min_clipped); JSONSerialization needs it quoted.
        let text = try String(contentsOf: Fixtures.url("\(section)/cases.json"), encoding: .utf8)
            .replacingOccurrences(of: "-Infinity", with: "\"-Infinity\"")
        let entries = try JSONSerialization.jsonObject(with: Data(text.utf8)) as! [[String: Any]]
        return try entries.map { entry in
            let fields = entry["request"] as! [String: Any]
            var request = GenerationRequest(prompt: fields["prompt"] as! String)
            request.negativePrompt = fields["negative_prompt"] as? String ?? ""
            request.strength = (fields["strength"] as! NSNumber).doubleValue
            request.guidanceScale = (fields["guidance_scale"] as! NSNumber).doubleValue
            request.imageGuidanceScale = (fields["image_guidance_scale"] as! NSNumber).doubleValue
            request.numInferenceSteps = (fields["num_inference_steps"] as! NSNumber).intValue
            request.seed = Int128((fields["seed"] as! NSNumber).int64Value)
            request.clipSkip = (fields["clip_skip"] as? NSNumber)?.intValue
            let schedulerJSON = try JSONSerialization.data(withJSONObject: entry["scheduler"]!)
            if let loras = entry["loras"] as? [String: Any], !loras.isEmpty {
                request.loras = String(decoding: try JSONSerialization.data(withJSONObject: loras), as: UTF8.self)
            }
            return PipelineCase(section: section, name: entry["name"] as! String, model: entry["model"] as! String,
                                image: entry["image"] as! String, request: request,
                                negativeAbsent: fields["negative_prompt"] is NSNull,
                                scheduler: try SchedulerConfig.decode(schedulerJSON),
                                runnerModelID: entry["model_id"] as? String,
                                lightningMode: (entry["lightning_mode"] as? String).flatMap(LightningMode.init(rawValue:)))
        }
    }

    static func named(_ name: String, in section: String = "pipelines") throws -> PipelineCase {
        try all(in: section).first { $0.name == name }!
    }

    /// Runs the case with torch's CPU generator (`images` of them, seeds from the case's on); returns our images
    /// and the dump of every stage.
    func run(images count: Int = 1) throws -> ([RGBImage], TensorDump) {
        let pipeline = try load()
        let input = try ImageDecoder.decode(Data(contentsOf: Fixtures.url("\(section)/\(image)")))
        var options = GenerationOptions()
        options.rng = .cpu
        if runnerModelID == nil { options.schedulerConfig = scheduler }
        let dump = TensorDump()
        options.dump = dump
        var resolved = try RunnerContract.resolve(request, for: pipeline.profile)
        resolved.numImages = count
        if negativeAbsent { resolved.negativePrompt = nil }
        return (try pipeline.generate(image: input, request: resolved, options: options), dump)
    }

    /// The case's pipeline: its model folder, or a runner case's id under the model root.
    func load() throws -> any ImageToImagePipeline {
        guard let runnerModelID else {
            return try PipelineLoader.load(folder: Fixtures.url("\(section)/models/\(model)"), modelID: model)
        }
        let store = ModelStore(root: Fixtures.url("\(section)/root").path)
        return try PipelineLoader.load(try store.locate(runnerModelID), modelID: runnerModelID,
                                       lightningMode: lightningMode ?? .runner, loraLibrary: LoRALibrary(store: store),
                                       loraApplication: loraApplication)
    }

    /// Runs the case once: our image and the dump.
    func run() throws -> (RGBImage, TensorDump) {
        let (images, dump) = try run(images: 1)
        return (images[0], dump)
    }

    /// diffusers' outputs for this case.
    func expected() throws -> [String: Tensor] { try Fixtures.tensors("\(section)/\(name).safetensors") }

    func expectedImage() throws -> RGBImage {
        try ImageDecoder.decode(Data(contentsOf: Fixtures.url("\(section)/\(name).png")))
    }
}

extension XCTestCase {
    /// Runs `fixture` and compares the `conditioning` stages of our dump (≤ 1e-5), the step count, the final
    /// latents (≤ 1e-3) and the image (PSNR ≥ 45 dB) with diffusers'.
    func checkAgainstDiffusers(_ fixture: PipelineCase, conditioning: [String] = [], file: StaticString = #filePath,
                               line: UInt = #line) throws {
        let name = fixture.name
        let (image, dump) = try fixture.run()
        let expected = try fixture.expected()
        let ours = Dictionary(dump.entries.map { ($0.name, $0.tensor) }, uniquingKeysWith: { a, _ in a })
        for stage in conditioning {
            guard let actual = ours[stage] else { XCTFail("\(name): our dump lacks \(stage)", file: file, line: line); continue }
            XCTAssertClose(actual, expected[stage]!, relativeTolerance: 1e-5, "\(name) \(stage)", file: file, line: line)
        }
        let steps = dump.entries.filter { $0.name.hasPrefix("step") && $0.name.hasSuffix(".latents") }
        XCTAssertEqual(steps.count, expected.keys.filter { $0.hasPrefix("latents.step") }.count, "\(name): step count",
                       file: file, line: line)
        XCTAssertClose(steps.last!.tensor, expected["final_latents"]!, relativeTolerance: 1e-3, "\(name) final latents",
                       file: file, line: line)
        let quality = psnr(image, try fixture.expectedImage())
        if ProcessInfo.processInfo.environment["IMG2IMG_REPORT_ERRORS"] != nil { print("parity \(name) PSNR \(quality) dB") }
        XCTAssertGreaterThanOrEqual(quality, 45, "\(name): PSNR \(quality) dB", file: file, line: line)
    }
}

extension ImageToImagePipeline {
    /// `request` through the runner's rules, then this pipeline: what the CLI and the server run.
    func generate(image: RGBImage, request: GenerationRequest,
                  options: GenerationOptions = GenerationOptions()) throws -> [RGBImage] {
        try generate(image: image, request: RunnerContract.resolve(request, for: profile), options: options)
    }
}

/// Peak signal-to-noise ratio of two RGB8 images in dB (infinity when identical).
func psnr(_ a: RGBImage, _ b: RGBImage) -> Double {
    precondition(a.width == b.width && a.height == b.height)
    var squared = 0.0
    for (x, y) in zip(a.pixels, b.pixels) { squared += pow(Double(x) - Double(y), 2) }
    let mse = squared / Double(a.pixels.count)
    return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
}
