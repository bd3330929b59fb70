// The one interface of every image-to-image pipeline this engine reproduces — one type per diffusers pipeline
// class — and the loader that picks the type a model folder's `model_index.json` names, as the runner's
// `AutoPipelineForImage2Image` does (an SD text-to-image folder runs as img2img; an 8-channel UNet is
// InstructPix2Pix), except for SDXL-Lightning, which the runner runs text-to-image.

import Foundation
import Images
import Models

/// An image-to-image pipeline: one type per diffusers pipeline class, all called the same way.
public protocol ImageToImagePipeline: AnyObject {
    /// What the runner's rules read of this pipeline (model id, default steps, whether strength is used).
    var profile: PipelineProfile { get }
    /// Generates `request.numImages` images from `image`, image `i` from seed `request.seeds[i]`.
    func generate(image: RGBImage, request: PipelineRequest, options: GenerationOptions) throws -> [RGBImage]
    /// What `generate` would do for `request` on an image of that size, without running it; throws what
    /// `generate` would throw for the schedule (e.g. a strength that leaves no step).
    func plan(_ request: PipelineRequest, imageWidth: Int, imageHeight: Int) throws -> DenoisingPlan
    /// The model's nominal FLOPs by image size (a fraction of a second of dry runs: call once, at load).
    func measureWork() -> WorkEstimate
    /// The previews of the model's latents (`GenerationOptions.previews`); `decoder(_:)` readies one ahead of a
    /// run (the projection's fit, the tiny autoencoder's load) and says early when one is unavailable.
    var previews: LatentPreviews { get }
}

/// Loads the pipeline a model folder holds.
public enum PipelineLoader {
    /// Pipeline classes whose folders hold the components of an SD1.x / SD2.x model.
    static let stableDiffusionClasses: Set = ["StableDiffusionPipeline", "StableDiffusionImg2ImgPipeline",
                                              "StableDiffusionInstructPix2PixPipeline"]
    /// Pipeline classes whose folders hold the components of an SDXL model.
    static let stableDiffusionXLClasses: Set = ["StableDiffusionXLPipeline", "StableDiffusionXLImg2ImgPipeline"]

    /// The pipeline for the model in `folder`; `modelID` selects the runner's per-model rules; LoRA ids resolve
    /// through `loraLibrary`, their updates applied as `loraApplication` says.
    public static func load(folder: URL, modelID: String, loraLibrary: LoRALibrary = LoRALibrary(),
                            loraApplication: LoRAApplication = .merged) throws -> any ImageToImagePipeline {
        try load(ModelLocation(folder: folder), modelID: modelID, loraLibrary: loraLibrary,
                 loraApplication: loraApplication)
    }

    /// The pipeline for the model at `location` (`ModelStore.locate`); an SDXL-Lightning `modelID` runs as
    /// `lightningMode` says.
    public static func load(_ location: ModelLocation, modelID: String, lightningMode: LightningMode = .runner,
                            loraLibrary: LoRALibrary = LoRALibrary(),
                            loraApplication: LoRAApplication = .merged) throws -> any ImageToImagePipeline {
        let index = try ModelIndex(folder: location.folder)
        if stableDiffusionXLClasses.contains(index.className) {
            let components = try StableDiffusionXLComponents(index: index, modelID: modelID, unetFile: location.unetFile,
                                                             loraLibrary: loraLibrary, loraApplication: loraApplication,
                                                             modelRoot: location.modelRoot)
            return SDXLLightning(modelID: modelID) != nil && lightningMode == .runner
                ? StableDiffusionXLPipeline(components: components)
                : StableDiffusionXLImg2ImgPipeline(components: components)
        }
        guard location.unetFile == nil else {
            throw PipelineError.unsupportedModel("a separate UNet file is only used with SDXL folders")
        }
        guard stableDiffusionClasses.contains(index.className) else {
            let supported = stableDiffusionClasses.union(stableDiffusionXLClasses).sorted().joined(separator: ", ")
            throw PipelineError.unsupportedModel("model_index.json names \(index.className); supported: \(supported)")
        }
        let components = try StableDiffusionComponents(index: index, modelID: modelID, loraLibrary: loraLibrary,
                                                       loraApplication: loraApplication, modelRoot: location.modelRoot)
        let (unetChannels, latentChannels) = (components.unet.config.inChannels, components.vae.config.latentChannels)
        switch unetChannels {
        case latentChannels: return StableDiffusionImg2ImgPipeline(components: components)
        case 2 * latentChannels: return StableDiffusionInstructPix2PixPipeline(components: components)
        default:
            throw PipelineError.unsupportedModel("the UNet takes \(unetChannels) channels; expected \(latentChannels) "
                                                 + "(img2img) or \(2 * latentChannels) (InstructPix2Pix)")
        }
    }
}
