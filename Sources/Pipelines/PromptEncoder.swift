// diffusers `encode_prompt`: tokenize to 77 ids, run the text encoder (the last hidden state, or with
// `clip_skip` the hidden state that many layers from the end passed through the final layer norm);
// the negative prompt always uses the last hidden state, as diffusers does.

import Models
import Tensors
import Tokenizers

/// Turns prompts into the text states the UNet attends to.
public struct PromptEncoder {
    public let tokenizer: CLIPTokenizer
    public let textEncoder: CLIPTextModel

    public init(tokenizer: CLIPTokenizer, textEncoder: CLIPTextModel) {
        self.tokenizer = tokenizer
        self.textEncoder = textEncoder
    }

    /// `[1, 77, hidden]` states for `prompt`; `clipSkip` as diffusers' `clip_skip`.
    public func encode(_ prompt: String, clipSkip: Int? = nil) throws -> Tensor {
        let output = textEncoder([tokenizer.encode(prompt)])
        guard let clipSkip else { return output.lastHiddenState }
        let index = output.hiddenStates.count - (clipSkip + 1)
        guard index >= 0 else {
            throw PipelineError.invalidInput("clip_skip \(clipSkip) exceeds the text encoder's \(output.hiddenStates.count - 1) layers")
        }
        // hidden_states[-(clip_skip + 1)], then the final layer norm.
        return textEncoder.finalLayerNorm(output.hiddenStates[index])
    }

    /// The negative prompt's states (diffusers ignores `clip_skip` here).
    public func encodeNegative(_ prompt: String) -> Tensor {
        textEncoder([tokenizer.encode(prompt)]).lastHiddenState
    }
}
