// Which layer and factor each tensor of a LoRA file holds, by key tables for PEFT (`….lora_A.weight`), older
// diffusers (`….lora.down.weight`, `….processor.to_q_lora.down.weight`) and kohya (`lora_unet_….lora_down.weight`).

/// The model component a LoRA tensor belongs to.
public enum LoRAComponent: String, Sendable, CaseIterable {
    case unet
    case textEncoder = "text_encoder"
    /// SDXL's second text encoder (OpenCLIP bigG).
    case textEncoder2 = "text_encoder_2"
}

/// The part of one layer's adapter a tensor holds.
public enum LoRAFactor: Sendable {
    /// A, `[rank, in]` or `[rank, in, kh, kw]`.
    case down
    /// B, `[out, rank]` or `[out, rank, 1, 1]`.
    case up
    /// The adapter's alpha (a scalar): scale = alpha / rank.
    case alpha
}

/// One tensor name of a LoRA file, understood.
public struct LoRAKey: Equatable, Sendable {
    public let component: LoRAComponent
    /// Our layer key (`down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`, `encoder.layers.0.mlp.fc1`).
    public let layer: String
    public let factor: LoRAFactor

    public init(component: LoRAComponent, layer: String, factor: LoRAFactor) {
        self.component = component
        self.layer = layer
        self.factor = factor
    }

    /// The tables below applied to `name`; nil for a tensor no supported style names.
    public static func parse(_ name: String) -> LoRAKey? {
        if name.hasPrefix("lora_") { return kohya(name) }
        return diffusers(name)
    }

    /// kohya-ss key endings.
    static let kohyaSuffixes: [(suffix: String, factor: LoRAFactor)] = [
        (".lora_down.weight", .down), (".lora_up.weight", .up), (".alpha", .alpha),
    ]

    /// diffusers / PEFT key endings (the attention-processor ones end the module name with `_lora`).
    static let diffusersSuffixes: [(suffix: String, factor: LoRAFactor)] = [
        (".lora_A.weight", .down), (".lora_B.weight", .up),
        (".lora.down.weight", .down), (".lora.up.weight", .up),
        (".lora_linear_layer.down.weight", .down), (".lora_linear_layer.up.weight", .up),
        ("_lora.down.weight", .down), ("_lora.up.weight", .up),
        (".alpha", .alpha),
    ]

    /// diffusers component prefixes; a key with none is a UNet key (attention-processor files).
    static let componentPrefixes: [(prefix: String, component: LoRAComponent)] = [
        ("unet.", .unet), ("text_encoder.text_model.", .textEncoder), ("text_encoder.", .textEncoder),
        ("text_encoder_2.text_model.", .textEncoder2), ("text_encoder_2.", .textEncoder2),
    ]

    /// The older attention spellings of the CLIP text encoders.
    static let renamedTextEncoderModules = [
        (".self_attn.to_q", ".self_attn.q_proj"), (".self_attn.to_k", ".self_attn.k_proj"),
        (".self_attn.to_v", ".self_attn.v_proj"), (".self_attn.to_out", ".self_attn.out_proj"),
    ]

    /// Older module spellings → current ones, per component (matched at the end of the module path).
    static let renamedModules: [LoRAComponent: [(old: String, new: String)]] = [
        .unet: [(".processor.to_q", ".to_q"), (".processor.to_k", ".to_k"), (".processor.to_v", ".to_v"),
                (".processor.to_out", ".to_out.0")],
        .textEncoder: renamedTextEncoderModules, .textEncoder2: renamedTextEncoderModules,
    ]

    static func kohya(_ name: String) -> LoRAKey? {
        guard let (suffix, factor) = kohyaSuffixes.first(where: { name.hasSuffix($0.suffix) }) else { return nil }
        let module = String(name.dropLast(suffix.count))
        guard !module.contains("."), let (component, layer) = KohyaNames.layer(module) else { return nil }
        return LoRAKey(component: component, layer: layer, factor: factor)
    }

    static func diffusers(_ name: String) -> LoRAKey? {
        guard let (suffix, factor) = diffusersSuffixes.first(where: { name.hasSuffix($0.suffix) }) else { return nil }
        var module = String(name.dropLast(suffix.count))
        var component = LoRAComponent.unet
        if let (prefix, owner) = componentPrefixes.first(where: { module.hasPrefix($0.prefix) }) {
            module = String(module.dropFirst(prefix.count))
            component = owner
        }
        if let (old, new) = renamedModules[component]!.first(where: { module.hasSuffix($0.old) }) {
            module = String(module.dropLast(old.count)) + new
        }
        return module.isEmpty ? nil : LoRAKey(component: component, layer: module, factor: factor)
    }
}
