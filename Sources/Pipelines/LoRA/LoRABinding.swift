// A request's LoRAs as layer patches for the UNet and the text encoders: each adapted layer must exist with the factors'
// shapes (else "incompatible"); 1×1-conv factors on a Linear (or back) are reshaped; strength 0 adds nothing.

import Models
import Tensors

/// The patches one request applies, per component; empty when the request names no LoRA.
public struct LoRABinding {
    let patches: [LoRAComponent: LayerPatches]

    /// No LoRA: every component computes as loaded.
    public static let none = LoRABinding(patches: [:])

    /// The patches of `component` (none when no LoRA adapts it).
    public subscript(component: LoRAComponent) -> LayerPatches { patches[component] ?? LayerPatches([:]) }

    /// The patches of `loras` (in the order given) for a model with `layers` (component → key → weight shape)
    /// whose UNet has `unetLayersPerBlock` (to place kohya's SDXL names); throws `LoRAError.incompatible` naming
    /// `model` when a LoRA does not fit.
    public static func make(_ loras: [(lora: LoRAWeights, strength: Float)],
                            layers: [LoRAComponent: [String: [Int]]], unetLayersPerBlock: Int = 2, model: String,
                            application: LoRAApplication) throws -> LoRABinding {
        var updates: [LoRAComponent: [String: [LowRankUpdate]]] = [:]
        for (lora, strength) in loras {
            var problems: [String] = []
            var fitted: [(component: LoRAComponent, layer: String, update: LowRankUpdate)] = []
            for module in lora.modules {
                let layer = module.component == .unet && StabilityUNetNames.isStability(module.layer)
                    ? StabilityUNetNames.diffusersKey(module.layer, layersPerBlock: unetLayersPerBlock) ?? module.layer
                    : module.layer
                do {
                    let update = try fit(module, as: layer, layers: layers[module.component] ?? [:], strength: strength)
                    fitted.append((module.component, layer, update))
                } catch let mismatch as LayerMismatch {
                    problems.append(mismatch.text)
                }
            }
            guard problems.isEmpty else { throw LoRAError.incompatible(model: model, problems: problems) }
            guard strength != 0 else { continue }
            for (component, layer, update) in fitted { updates[component, default: [:]][layer, default: []].append(update) }
        }
        return LoRABinding(patches: updates.mapValues { layers in
            LayerPatches(layers.mapValues { LayerPatch(updates: $0, application: application) })
        })
    }

    /// `module` as an update of layer `key`, factors in the layer's own layout.
    static func fit(_ module: LoRAModule, as key: String, layers: [String: [Int]],
                    strength: Float) throws -> LowRankUpdate {
        let named = key == module.layer ? key : "\(module.layer) (\(key))"
        let layer = "\(module.component.rawValue) layer \(named)"
        guard let shape = layers[key] else { throw LayerMismatch(text: "\(layer) does not exist") }
        let (out, input, rank) = (shape[0], shape[1], module.rank)
        let kernel = shape.count == 4 ? Array(shape[2...]) : [1, 1]
        let downShape = shape.count == 4 ? [rank, input] + kernel : [rank, input]
        let upShape = shape.count == 4 ? [out, rank, 1, 1] : [out, rank]
        guard module.down.count == Tensor.elementCount(of: downShape), module.up.count == Tensor.elementCount(of: upShape),
              module.down.shape.prefix(2) == downShape.prefix(2), module.up.shape.prefix(2) == upShape.prefix(2),
              module.down.rank == 2 || Array(module.down.shape[2...]) == kernel else {
            throw LayerMismatch(text: "\(layer) has weight \(shape); "
                                + "the LoRA's factors are \(module.down.shape) and \(module.up.shape)")
        }
        return LowRankUpdate(down: module.down.reshaped(downShape), up: module.up.reshaped(upShape),
                             scale: strength * module.scale)
    }
}

/// Why one LoRA module does not fit the model (collected into `LoRAError.incompatible`).
struct LayerMismatch: Error {
    let text: String
}
