// kohya-ss / A1111 names → our layer keys, in one table: kohya writes the module path with "_" for "."; the table
// lists the prefixes and the path words that contain "_" themselves, and the rest splits back at every "_".
// SDXL files name the UNet by Stability's original blocks (`input_blocks.4.1…`): `StabilityUNetNames` maps those
// to diffusers' once the UNet's layers per block are known.

/// The kohya name table and the conversion it drives.
public enum KohyaNames {
    /// kohya module-name prefixes → the component and the text dropped after it.
    public static let prefixes: [(kohya: String, component: LoRAComponent)] = [
        ("lora_unet_", .unet),
        ("lora_te_text_model_", .textEncoder),
        ("lora_te1_text_model_", .textEncoder),
        ("lora_te_", .textEncoder),
        ("lora_te1_", .textEncoder),
        ("lora_te2_text_model_", .textEncoder2),
        ("lora_te2_", .textEncoder2),
    ]

    /// Path words containing "_" (diffusers UNet and transformers CLIP module names), longest match first.
    public static let words: [String] = [
        // UNet
        "down_blocks", "mid_block", "up_blocks", "transformer_blocks", "to_q", "to_k", "to_v", "to_out", "proj_in",
        "proj_out", "time_emb_proj", "conv_shortcut", "conv_in", "conv_out", "time_embedding", "linear_1",
        "linear_2", "add_embedding",
        // Stability's (sgm) UNet, as kohya names SDXL's
        "input_blocks", "middle_block", "output_blocks", "in_layers", "out_layers", "emb_layers", "skip_connection",
        "time_embed", "label_emb",
        // CLIP text encoder
        "self_attn", "q_proj", "k_proj", "v_proj", "out_proj",
    ]

    /// The component and layer key of kohya module name `name` (the part of a key before its first "."),
    /// or nil when no prefix of the table matches.
    public static func layer(_ name: String) -> (component: LoRAComponent, key: String)? {
        guard let (prefix, component) = prefixes.first(where: { name.hasPrefix($0.kohya) }) else { return nil }
        return (component, key(String(name.dropFirst(prefix.count))))
    }

    /// `down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_out_0` →
    /// `down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_out.0`.
    static func key(_ flattened: String) -> String {
        let tokens = flattened.split(separator: "_", omittingEmptySubsequences: false)
        var parts: [String] = []
        var index = 0
        while index < tokens.count {
            let word = longestWord(in: tokens, at: index)
            parts.append(word.text)
            index += word.length
        }
        return parts.joined(separator: ".")
    }

    /// `words`, each split at "_": the tokens it spans.
    private static let wordTokens: [[Substring]] = words.map { $0.split(separator: "_") }

    /// The longest table word spelled by `tokens[index…]`, else the single token. Compares tokens in place, without
    /// building strings: a name is outside input (a LoRA file's), and a long one must stay cheap.
    private static func longestWord(in tokens: [Substring], at index: Int) -> (text: String, length: Int) {
        var best = (text: String(tokens[index]), length: 1)
        for (word, spelled) in zip(words, wordTokens) where spelled.count > best.length
            && index + spelled.count <= tokens.count && tokens[index..<(index + spelled.count)].elementsEqual(spelled) {
            best = (word, spelled.count)
        }
        return best
    }
}
