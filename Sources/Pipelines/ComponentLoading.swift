// Each diffusers component loaded from the folder `model_index.json` names for it, checked against the classes
// this engine reproduces — written once for every pipeline's components (SD, SDXL).

import Foundation
import Models
import Schedulers
import Tokenizers

extension ModelIndex {
    /// A CLIP tokenizer component (`tokenizer`, `tokenizer_2`).
    func tokenizer(_ name: String) throws -> CLIPTokenizer {
        try CLIPTokenizer(directory: folder(of: name, classes: ["CLIPTokenizer", "CLIPTokenizerFast"]))
    }

    /// A CLIP text encoder component: `CLIPTextModel`, or with `projection` `CLIPTextModelWithProjection`.
    func textEncoder(_ name: String, projection: Bool = false) throws -> CLIPTextModel {
        let className = projection ? "CLIPTextModelWithProjection" : "CLIPTextModel"
        return try CLIPTextModel(directory: folder(of: name, classes: [className]), withProjection: projection)
    }

    /// The `unet` component; with `weightsFile`, its config with that file's weights.
    func unet(weightsFile: URL? = nil) throws -> UNet2DConditionModel {
        try UNet2DConditionModel(directory: folder(of: "unet", classes: ["UNet2DConditionModel"]), weightsFile: weightsFile)
    }

    /// The `vae` component.
    func vae() throws -> AutoencoderKL {
        try AutoencoderKL(directory: folder(of: "vae", classes: ["AutoencoderKL"]))
    }

    /// The scheduler's config, of any class: the runner or the caller may swap it (`GenerationOptions`), so the
    /// class is checked when a run makes one.
    func schedulerConfig() throws -> SchedulerConfig {
        try SchedulerConfig.load(folder(of: "scheduler").appendingPathComponent("scheduler_config.json"))
    }
}

extension VaeImageProcessor {
    /// The processor for `vae`: scale factor 2^(down blocks − 1).
    init(for vae: AutoencoderKL) {
        self.init(scaleFactor: 1 << (vae.config.blockOutChannels.count - 1))
    }
}
