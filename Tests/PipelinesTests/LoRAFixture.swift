// Loads the LoRA cases written by Tests/Fixtures/gen_lora.py and runs them through our pipeline, with LoRA ids
// resolved under Tests/Fixtures/lora/root; also writes throwaway LoRA files for the error tests.

import Foundation
import Images
import Models
import Pipelines
import SafeTensors
import Schedulers
import Tensors
import TestSupport

/// One diffusers run with LoRAs: the request, its `loras`, and what diffusers produced.
struct LoRACase {
    let name: String
    let request: GenerationRequest
    let scheduler: SchedulerConfig

    static let modelFolder = Fixtures.url("pipelines/models/sd1")
    static let loraRoot = Fixtures.url("lora/root")

    static func all() throws -> [LoRACase] {
        let data = try Data(contentsOf: Fixtures.url("lora/cases.json"))
        let entries = try JSONSerialization.jsonObject(with: data) as! [[String: Any]]
        return try entries.map { entry in
            let fields = entry["request"] as! [String: Any]
            var request = GenerationRequest(prompt: fields["prompt"] as! String)
            request.negativePrompt = fields["negative_prompt"] as! String
            request.strength = (fields["strength"] as! NSNumber).doubleValue
            request.guidanceScale = (fields["guidance_scale"] as! NSNumber).doubleValue
            request.numInferenceSteps = (fields["num_inference_steps"] as! NSNumber).intValue
            request.seed = Int128((fields["seed"] as! NSNumber).int64Value)
            request.loras = String(decoding: try JSONSerialization.data(withJSONObject: entry["loras"]!), as: UTF8.self)
            let scheduler = try SchedulerConfig.decode(try JSONSerialization.data(withJSONObject: entry["scheduler"]!))
            return LoRACase(name: entry["name"] as! String, request: request, scheduler: scheduler)
        }
    }

    static func named(_ name: String) throws -> LoRACase { try all().first { $0.name == name }! }

    /// The tiny SD1 model with LoRA ids resolved under the fixture root.
    static func pipeline(_ application: LoRAApplication = .merged, library: LoRALibrary? = nil) throws
        -> StableDiffusionImg2ImgPipeline {
        StableDiffusionImg2ImgPipeline(components: try StableDiffusionComponents(
            index: ModelIndex(folder: modelFolder), modelID: "sd1",
            loraLibrary: library ?? LoRALibrary(store: ModelStore(root: loraRoot.path)), loraApplication: application))
    }

    static func input() throws -> RGBImage {
        try ImageDecoder.decode(Data(contentsOf: Fixtures.url("pipelines/inputs/square.png")))
    }

    /// Runs the case on `pipeline` with torch's CPU generator: our image and final latents.
    func run(on pipeline: any ImageToImagePipeline, loras: String? = nil) throws -> (RGBImage, Tensor) {
        var request = self.request
        if let loras { request.loras = loras }
        var options = GenerationOptions()
        options.rng = .cpu
        options.schedulerConfig = scheduler
        let dump = TensorDump()
        options.dump = dump
        let images = try pipeline.generate(image: try LoRACase.input(), request: request, options: options)
        let steps = dump.entries.filter { $0.name.hasPrefix("step") && $0.name.hasSuffix(".latents") }
        return (images[0], steps.last!.tensor)
    }

    func expected() throws -> (RGBImage, Tensor) {
        let image = try ImageDecoder.decode(Data(contentsOf: Fixtures.url("lora/\(name).png")))
        return (image, try Fixtures.tensors("lora/\(name).safetensors")["final_latents"]!)
    }
}

/// A temporary model root for LoRA folders written by a test; removed on deinit.
final class ScratchLoRARoot {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("lora-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    /// Writes `tensors` as `<root>/<id>/<fileName>`.
    @discardableResult
    func write(_ id: String, _ tensors: [String: Tensor], fileName: String = LoRALibrary.defaultWeightName,
               metadata: [String: String] = [:]) throws -> URL {
        let folder = url.appendingPathComponent(id)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent(fileName)
        try SafeTensorsWriter.write(tensors.map { ($0.key, $0.value) }, to: file, metadata: metadata)
        return file
    }

    /// A library reading this root.
    func library(capacity: Int = LoRALibrary.defaultCapacity) -> LoRALibrary {
        LoRALibrary(store: ModelStore(root: url.path), capacity: capacity)
    }
}

/// A LoRA pair for a Linear `[out, in]`: A `[rank, in]`, B `[out, rank]`, small deterministic values.
func linearFactors(out: Int, in inFeatures: Int, rank: Int) -> (down: Tensor, up: Tensor) {
    (Tensor(shape: [rank, inFeatures], values: (0..<(rank * inFeatures)).map { Float($0 % 7) * 0.01 }),
     Tensor(shape: [out, rank], values: (0..<(out * rank)).map { Float($0 % 5) * 0.01 }))
}
