// The transformers CLIP encoder shared by the text and vision towers: pre-norm layers of
// x += self_attn(layer_norm1(x)) (causal for text); x += mlp(layer_norm2(x)), mlp = fc2(act(fc1(x))).

import Tensors

/// transformers `CLIPAttention`: q/k/v/out projections with biases, heads of width hidden/heads.
struct CLIPAttention {
    let query: Linear, key: Linear, value: Linear, output: Linear
    let heads: Int

    init(_ scope: WeightScope, hidden: Int, heads: Int) {
        query = Linear(scope["q_proj"], inFeatures: hidden, outFeatures: hidden)
        key = Linear(scope["k_proj"], inFeatures: hidden, outFeatures: hidden)
        value = Linear(scope["v_proj"], inFeatures: hidden, outFeatures: hidden)
        output = Linear(scope["out_proj"], inFeatures: hidden, outFeatures: hidden)
        self.heads = heads
    }

    func callAsFunction(_ x: Tensor, causal: Bool) -> Tensor {
        output(Attention.scaledDotProduct(query: query(x), key: key(x), value: value(x), heads: heads, causal: causal))
    }
}

/// transformers `CLIPEncoderLayer`.
struct CLIPEncoderLayer {
    let norm1: LayerNorm, attention: CLIPAttention, norm2: LayerNorm
    let fc1: Linear, fc2: Linear
    let activation: Activation

    init(_ scope: WeightScope, hidden: Int, intermediate: Int, heads: Int, epsilon: Float, activation: Activation) {
        norm1 = LayerNorm(scope["layer_norm1"], width: hidden, epsilon: epsilon)
        attention = CLIPAttention(scope["self_attn"], hidden: hidden, heads: heads)
        norm2 = LayerNorm(scope["layer_norm2"], width: hidden, epsilon: epsilon)
        fc1 = Linear(scope["mlp"]["fc1"], inFeatures: hidden, outFeatures: intermediate)
        fc2 = Linear(scope["mlp"]["fc2"], inFeatures: intermediate, outFeatures: hidden)
        self.activation = activation
    }

    func callAsFunction(_ input: Tensor, causal: Bool) -> Tensor {
        var x = input
        x.add(attention(norm1(x), causal: causal))
        x.add(fc2(fc1(norm2(x)).applying(activation)))
        return x
    }
}

/// transformers `CLIPEncoder`: the stack of layers, returning every layer's hidden states.
struct CLIPEncoder {
    let layers: [CLIPEncoderLayer]

    init(_ scope: WeightScope, layers count: Int, hidden: Int, intermediate: Int, heads: Int, epsilon: Float,
         activation: Activation) {
        layers = (0..<count).map {
            CLIPEncoderLayer(scope["layers"][$0], hidden: hidden, intermediate: intermediate, heads: heads,
                             epsilon: epsilon, activation: activation)
        }
    }

    /// The input followed by each layer's output (`hidden_states` of transformers: layers + 1 entries).
    func callAsFunction(_ input: Tensor, causal: Bool) -> [Tensor] {
        var states = [input]
        for layer in layers { states.append(layer(states.last!, causal: causal)) }
        return states
    }
}
