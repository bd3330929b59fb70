// kohya writes SDXL LoRAs with the module names of Stability's original UNet (the `sgm` code SDXL was trained
// with): `input_blocks.i.j`, `middle_block.i`, `output_blocks.i.j`, resnets' `in_layers.2` / `out_layers.3` /
// `emb_layers.1` / `skip_connection`, `op` for a downsampler, and the embeddings and outer convs by their own
// names. diffusers maps them in `_maybe_map_sgm_blocks_to_diffusers` and `_convert_unet_lora_key`; the same map
// here, as tables. Input block 0 is conv_in; input block i ≥ 1 is layer (i − 1) mod (L + 1) of down block
// ⌊(i − 1) / (L + 1)⌋, its downsampler the last; output block i is layer i mod (L + 1) of up block ⌊i / (L + 1)⌋,
// with L the UNet's `layers_per_block`.

/// Stability's UNet module names → diffusers'.
public enum StabilityUNetNames {
    /// Modules outside the block structure.
    static let fixed: [String: String] = [
        "input_blocks.0.0": "conv_in", "out.2": "conv_out",
        "time_embed.0": "time_embedding.linear_1", "time_embed.2": "time_embedding.linear_2",
        "label_emb.0.0": "add_embedding.linear_1", "label_emb.0.2": "add_embedding.linear_2",
    ]
    /// Inside a block: entry j of an input or output block → the diffusers part (diffusers' `inner_block_map`).
    static let parts = ["resnets", "attentions", "upsamplers"]
    /// The middle block's entries.
    static let middle = ["resnets.0", "attentions.0", "resnets.1"]
    /// A resnet's layers.
    static let resnetLayers: [String: String] = [
        "in_layers.2": "conv1", "out_layers.3": "conv2", "emb_layers.1": "time_emb_proj",
        "skip_connection": "conv_shortcut",
    ]

    /// Whether `key` (dotted, as `KohyaNames` gives it) uses Stability's names.
    public static func isStability(_ key: String) -> Bool {
        fixed[key] != nil || ["input_blocks.", "middle_block.", "output_blocks."].contains { key.hasPrefix($0) }
    }

    /// The diffusers layer key of Stability key `key` for a UNet with `layersPerBlock`; nil for a name outside
    /// the map, negative block numbers included (the binding then reports the layer as missing).
    public static func diffusersKey(_ key: String, layersPerBlock: Int) -> String? {
        if let name = fixed[key] { return name }
        let parts = key.split(separator: ".").map(String.init)
        let stride = layersPerBlock + 1
        switch parts.first {
        case "middle_block":
            guard parts.count > 2, let i = Int(parts[1]), middle.indices.contains(i) else { return nil }
            return join("mid_block.\(middle[i])", inner(parts[2...]))
        case "input_blocks":
            guard parts.count > 3, let i = Int(parts[1]), i >= 1, let j = Int(parts[2]), j >= 0 else { return nil }
            let block = (i - 1) / stride, layer = (i - 1) % stride
            if parts[3] == "op" { return "down_blocks.\(block).downsamplers.0.conv" }
            guard j < 2 else { return nil }
            return join("down_blocks.\(block).\(Self.parts[j]).\(layer)", inner(parts[3...]))
        case "output_blocks":
            guard parts.count > 3, let i = Int(parts[1]), i >= 0, let j = Int(parts[2]), Self.parts.indices.contains(j)
            else { return nil }
            let block = i / stride, layer = j < 2 ? i % stride : 0
            return join("up_blocks.\(block).\(Self.parts[j]).\(layer)", inner(parts[3...]))
        default:
            return nil
        }
    }

    /// The layer path inside a block, resnet layers renamed.
    static func inner(_ path: ArraySlice<String>) -> String {
        let text = path.joined(separator: ".")
        return resnetLayers[text] ?? text
    }

    static func join(_ block: String, _ inner: String) -> String { inner.isEmpty ? block : "\(block).\(inner)" }
}
