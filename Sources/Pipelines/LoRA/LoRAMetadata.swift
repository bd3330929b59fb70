// The `lora_adapter_metadata` diffusers writes into a LoRA's header (per component PEFT's `LoraConfig`): a layer's
// alpha is the first `alpha_pattern` key matching its name as PEFT matches (`(.*\.)?(key)$`), else `lora_alpha`.

import Foundation

/// The PEFT adapter configs stored in a LoRA file's header, if any.
struct LoRAMetadata {
    /// "unet.lora_alpha" etc., as decoded from the JSON.
    let entries: [String: Any]

    init(_ header: [String: String], id: String) throws {
        guard let text = header["lora_adapter_metadata"] else { entries = [:]; return }
        guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any] else {
            throw LoRAError.unloadable(id: id, reason: "lora_adapter_metadata is not a JSON object")
        }
        entries = object
    }

    var usesDoRA: Bool { entries.contains { $0.key.hasSuffix(".use_dora") && Self.flag($0.value) } }

    /// alpha / rank for `layer` (alpha / √rank with rsLoRA); 1 when the file has no config for `component`.
    func scale(component: LoRAComponent, layer: String, rank: Float) -> Float {
        let prefix = component.rawValue + "."
        guard entries.keys.contains(where: { $0.hasPrefix(prefix) }) else { return 1 }
        // LoraConfig's default lora_alpha is 8.
        var alpha = (entries[prefix + "lora_alpha"] as? NSNumber)?.floatValue ?? 8
        if let patterns = entries[prefix + "alpha_pattern"] as? [String: Any] {
            // PEFT's module names: the UNet's are ours; the text encoder's carry `text_model.` in the runner's
            // transformers, not in ours, so both spellings are tried.
            let names = component == .textEncoder ? [layer, "text_model." + layer] : [layer]
            for (pattern, value) in patterns.sorted(by: { $0.key < $1.key }) {
                guard let regex = try? NSRegularExpression(pattern: "^(.*\\.)?(\(pattern))$") else { continue }
                if names.contains(where: { regex.firstMatch(in: $0, range: NSRange($0.startIndex..., in: $0)) != nil }),
                   let number = value as? NSNumber {
                    alpha = number.floatValue
                    break
                }
            }
        }
        let rsLoRA = entries[prefix + "use_rslora"].map(Self.flag) ?? false
        return alpha / (rsLoRA ? rank.squareRoot() : rank)
    }

    /// A JSON boolean, however Foundation hands it over.
    static func flag(_ value: Any) -> Bool { (value as? Bool) ?? (value as? NSNumber)?.boolValue ?? false }
}
