// transformers `CLIPTextModel` (+ `CLIPTextModelWithProjection`): token + position embeddings → causal
// encoder → final layer norm; pooled output at the EOS position; optional `text_projection` of it.

import Foundation
import SafeTensors
import Tensors

/// `CLIPTextConfig` (the text encoder's `config.json`), with transformers' defaults.
public struct CLIPTextConfig: Decodable {
    public var vocabSize = 49408
    public var hiddenSize = 512
    public var intermediateSize = 2048
    public var projectionDim = 512
    public var numHiddenLayers = 12
    public var numAttentionHeads = 8
    public var maxPositionEmbeddings = 77
    public var hiddenAct = "quick_gelu"
    public var layerNormEps: Float = 1e-5
    public var eosTokenID = 49407

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size", hiddenSize = "hidden_size", intermediateSize = "intermediate_size"
        case projectionDim = "projection_dim", numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads", maxPositionEmbeddings = "max_position_embeddings"
        case hiddenAct = "hidden_act", layerNormEps = "layer_norm_eps", eosTokenID = "eos_token_id"
    }

    public init() {}

    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let d = CLIPTextConfig()
        vocabSize = try c.value(.vocabSize, default: d.vocabSize)
        hiddenSize = try c.value(.hiddenSize, default: d.hiddenSize)
        intermediateSize = try c.value(.intermediateSize, default: d.intermediateSize)
        projectionDim = (try? c.decodeIfPresent(Int.self, forKey: .projectionDim)) ?? d.projectionDim
        numHiddenLayers = try c.value(.numHiddenLayers, default: d.numHiddenLayers)
        numAttentionHeads = try c.value(.numAttentionHeads, default: d.numAttentionHeads)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: d.maxPositionEmbeddings)
        hiddenAct = try c.value(.hiddenAct, default: d.hiddenAct)
        layerNormEps = try c.value(.layerNormEps, default: d.layerNormEps)
        eosTokenID = (try? c.decodeIfPresent(Int.self, forKey: .eosTokenID)) ?? d.eosTokenID
        guard Activation(configName: hiddenAct) != nil else {
            throw ConfigError.unsupported(field: "hidden_act", value: hiddenAct, supported: "quick_gelu, gelu, gelu_new")
        }
        guard numAttentionHeads > 0, hiddenSize % numAttentionHeads == 0 else {
            throw ConfigError.unsupported(field: "num_attention_heads", value: "\(numAttentionHeads)",
                                          supported: "a divisor of hidden_size (\(hiddenSize))")
        }
    }
}

/// What the text encoder returns for a batch of token sequences.
public struct CLIPTextOutput {
    /// After the final layer norm, `[B, T, hidden]`.
    public let lastHiddenState: Tensor
    /// The embeddings and each layer's output before the final norm (`hidden_states`, layers + 1 entries).
    public let hiddenStates: [Tensor]
    /// The last hidden state at each sequence's EOS position, `[B, hidden]`.
    public let pooled: Tensor
    /// `text_projection(pooled)` for `CLIPTextModelWithProjection`, `[B, projection_dim]`.
    public let textEmbeds: Tensor?
}

/// transformers `CLIPTextModel` / `CLIPTextModelWithProjection`.
public struct CLIPTextModel {
    public let config: CLIPTextConfig
    let tokenEmbedding: LayerWeight, positionEmbedding: Tensor
    let encoder: CLIPEncoder
    let finalNorm: LayerNorm
    let projection: Linear?
    /// Every Linear: layer key (without `text_model.`) → weight shape (the layers a LoRA may patch).
    public let layerShapes: [String: [Int]]
    /// The checkpoint the weights are read from (F16 layer weights stay in its file mapping).
    public let checkpoint: TensorSource

    /// Reads the weights with or without the Hub's `text_model.` prefix; `withProjection` adds `text_projection`.
    public init(config: CLIPTextConfig, source: TensorSource, withProjection: Bool = false) throws {
        self.config = config
        checkpoint = source
        // The Hub's `text_model.` prefix, unless the checkpoint holds bare keys only (transformers 5's form).
        let bare = !source.names.isEmpty && !source.names.contains { $0.hasPrefix("text_model.") }
        let prefix = bare ? "" : "text_model."
        // Without a prefix, `text_projection` would read as an unexpected key of the text model: its own reader checks it.
        let weights = Weights(source: source, prefix: prefix) {
            $0.hasSuffix("position_ids") || (withProjection && $0.hasPrefix("text_projection."))
        }
        let root = weights.scope()
        let hidden = config.hiddenSize
        tokenEmbedding = root["embeddings"]["token_embedding"].layerWeight("weight", shape: [config.vocabSize, hidden])
        positionEmbedding = root["embeddings"]["position_embedding"].tensor("weight", shape: [config.maxPositionEmbeddings, hidden])
        encoder = CLIPEncoder(root["encoder"], layers: config.numHiddenLayers, hidden: hidden,
                              intermediate: config.intermediateSize, heads: config.numAttentionHeads,
                              epsilon: config.layerNormEps, activation: Activation(configName: config.hiddenAct)!)
        finalNorm = LayerNorm(root["final_layer_norm"], width: hidden, epsilon: config.layerNormEps)
        if withProjection {
            // `text_projection` sits beside `text_model`, outside the prefix.
            let outer = Weights(source: source)
            projection = Linear(outer.scope("text_projection"), inFeatures: hidden, outFeatures: config.projectionDim, bias: false)
            try outer.finishIgnoringUnused(component: "text_encoder")
        } else {
            projection = nil
        }
        layerShapes = weights.layerShapes
        try weights.finish(component: "text_encoder")
    }

    /// Loads `config.json` and `model.safetensors` from a diffusers `text_encoder` folder.
    public init(directory: URL, withProjection: Bool = false) throws {
        let config = try decodeConfig(CLIPTextConfig.self, from: directory.appendingPathComponent("config.json"))
        try self.init(config: config, source: try openCheckpoint(in: directory, baseName: "model"), withProjection: withProjection)
    }

    /// Encodes token ids `[B][T]` (T ≤ max_position_embeddings).
    public func callAsFunction(_ ids: [[Int]]) -> CLIPTextOutput {
        let batch = ids.count, length = ids.first?.count ?? 0, hidden = config.hiddenSize
        precondition(ids.allSatisfy { $0.count == length } && length <= config.maxPositionEmbeddings,
                     "token sequences must share one length ≤ \(config.maxPositionEmbeddings)")
        var embeddings = Tensor(uninitialized: [batch, length, hidden])
        positionEmbedding.withUnsafeBufferPointer { positions in
            embeddings.withUnsafeMutableBufferPointer { out in
                for (b, sequence) in ids.enumerated() {
                    for (t, id) in sequence.enumerated() {
                        // The token's embedding row (read from the table in its stored precision), + position.
                        let row = out.baseAddress! + (b * length + t) * hidden
                        tokenEmbedding.copyRow(min(max(id, 0), config.vocabSize - 1), into: row)
                        let position = positions.baseAddress! + t * hidden
                        for j in 0..<hidden { row[j] += position[j] }
                    }
                }
            }
        }
        let states = encoder(embeddings, causal: true)
        let last = finalNorm(states.last!)
        let pooled = Tensor.concatenate(ids.enumerated().map { b, sequence in
            last.slice(along: 0, from: b, count: 1).slice(along: 1, from: eosPosition(sequence), count: 1)
                .reshaped([1, hidden])
        }, along: 0)
        return CLIPTextOutput(lastHiddenState: last, hiddenStates: states, pooled: pooled,
                              textEmbeds: projection.map { $0(pooled) })
    }

    /// The final layer norm alone (diffusers applies it to `hidden_states[-(clip_skip + 1)]`).
    public func finalLayerNorm(_ states: Tensor) -> Tensor { finalNorm(states) }

    /// The pooled position: the first maximal id when `eos_token_id` is the legacy 2 (transformers' quirk),
    /// else the first occurrence of `eos_token_id` (0 when absent, as `argmax` of all-false gives).
    func eosPosition(_ ids: [Int]) -> Int {
        if config.eosTokenID == 2 {
            return ids.indices.max { ids[$0] < ids[$1] || (ids[$0] == ids[$1] && $0 > $1) } ?? 0
        }
        return ids.firstIndex(of: config.eosTokenID) ?? 0
    }
}
