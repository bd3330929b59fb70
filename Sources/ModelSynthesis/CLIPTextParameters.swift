// The state_dict keys and shapes of a transformers `CLIPTextModel` in the Hub's form (`text_model.` prefix):
// token and position embeddings, pre-norm encoder layers, final layer norm.

import Models

/// Every parameter of the CLIP text encoder a config describes, with the Hub checkpoints' names.
public func clipTextParameters(_ config: CLIPTextConfig) -> [ParameterSpec] {
    var list = ParameterList()
    let hidden = config.hiddenSize
    list.embedding("text_model.embeddings.token_embedding", rows: config.vocabSize, width: hidden, std: 0.02)
    list.embedding("text_model.embeddings.position_embedding", rows: config.maxPositionEmbeddings, width: hidden, std: 0.01)
    for i in 0..<config.numHiddenLayers {
        let layer = "text_model.encoder.layers.\(i)"
        list.norm("\(layer).layer_norm1", channels: hidden)
        for projection in ["q_proj", "k_proj", "v_proj", "out_proj"] {
            list.linear("\(layer).self_attn.\(projection)", in: hidden, out: hidden)
        }
        list.norm("\(layer).layer_norm2", channels: hidden)
        list.linear("\(layer).mlp.fc1", in: hidden, out: config.intermediateSize)
        list.linear("\(layer).mlp.fc2", in: config.intermediateSize, out: hidden)
    }
    list.norm("text_model.final_layer_norm", channels: hidden)
    return list.specs
}
