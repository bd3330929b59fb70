// SDXL-Lightning as the Livepeer runner serves it. A model id containing `ByteDance/SDXL-Lightning` is not a
// folder: the runner builds the SDXL base `stabilityai/stable-diffusion-xl-base-1.0` with the UNet file
// `sdxl_lightning_{N}step_unet.safetensors` of the `ByteDance/SDXL-Lightning` repository (N from "2step", "4step" or
// "8step" in the id, in that order, else 8), loaded into the base's UNet config; it swaps in EulerDiscrete with
// trailing timesteps, forces guidance 0 and N steps, and calls diffusers' text-to-image
// `StableDiffusionXLPipeline` — which takes the route's image and strength as unknown keyword arguments and
// ignores them, so every GPU node answers a text-to-image picture at the UNet's native size.

import Foundation
import Schedulers

/// The runner's SDXL-Lightning rules for one model id.
public struct SDXLLightning: Sendable, Equatable {
    /// The repository holding the Lightning UNet files (and the id prefix the runner matches).
    public static let repository = "ByteDance/SDXL-Lightning"
    /// The model whose components (all but the UNet's weights) the runner loads.
    public static let baseModel = "stabilityai/stable-diffusion-xl-base-1.0"
    /// The step counts a Lightning UNet is distilled for, in the order the runner tests the id for them.
    static let distilledSteps = [2, 4, 8]

    /// The steps the UNet was distilled for, and every request runs.
    public let steps: Int

    /// The rules of `modelID`, or nil when it is not a Lightning id.
    public init?(modelID: String) {
        guard modelID.contains(Self.repository) else { return nil }
        steps = Self.distilledSteps.first { modelID.contains("\($0)step") } ?? 8
    }

    /// The UNet file in `repository`.
    public var unetFileName: String { "sdxl_lightning_\(steps)step_unet.safetensors" }

    /// The scheduler the runner swaps in: the base's `config` as EulerDiscrete with trailing timesteps.
    public static func scheduler(from config: SchedulerConfig) -> SchedulerConfig {
        var swapped = config
        swapped.className = "EulerDiscreteScheduler"
        swapped.timestepSpacing = "trailing"
        return swapped
    }
}

/// How an SDXL-Lightning id runs.
public enum LightningMode: String, Sendable, CaseIterable {
    /// As the runner: text-to-image at the UNet's native size; the request's image and strength are ignored.
    case runner
    /// Image-to-image with the same UNet, scheduler and guidance, and the request's strength.
    case img2img
}

/// Where a model's files are: its diffusers folder and, for an SDXL-Lightning id, the UNet file swapped in.
public struct ModelLocation: Sendable, Equatable {
    public let folder: URL
    public let unetFile: URL?
    /// The model root it was found from, where optional companions (the previews' tiny autoencoder) are looked for.
    public let modelRoot: URL?

    public init(folder: URL, unetFile: URL? = nil, modelRoot: URL? = nil) {
        self.folder = folder
        self.unetFile = unetFile
        self.modelRoot = modelRoot
    }
}

extension ModelStore {
    /// The files of model `reference`: an SDXL-Lightning id as the runner assembles it from the base and the
    /// Lightning repository under the root, anything else as `resolve` finds it.
    public func locate(_ reference: String) throws -> ModelLocation {
        guard let lightning = SDXLLightning(modelID: reference) else {
            return ModelLocation(folder: try resolve(reference), modelRoot: root)
        }
        let base = try resolveID(SDXLLightning.baseModel)
        let unet = try resolveID(SDXLLightning.repository).appendingPathComponent(lightning.unetFileName)
        guard FileManager.default.fileExists(atPath: unet.path) else {
            throw ModelStoreError.notFound(id: "\(SDXLLightning.repository)/\(lightning.unetFileName)", searched: [unet.path])
        }
        return ModelLocation(folder: base, unetFile: unet, modelRoot: root)
    }
}
