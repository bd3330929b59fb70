// Models whose F16 layer weights are read in place from their checkpoint's file mapping: between pipeline
// stages a model's pages can leave the process's resident set (the page cache keeps them) until it runs again.

import SafeTensors

/// A model built from a checkpoint whose mapped bytes its layer weights may still read.
public protocol CheckpointBacked {
    /// The checkpoint the weights were read from.
    var checkpoint: TensorSource { get }
}

extension CheckpointBacked {
    /// Lets the checkpoint's mapped pages leave the resident set until the model next runs; values are
    /// unchanged, the next call maps them back (from the page cache while they are there).
    public func releaseResidentWeights() { checkpoint.releaseResidentPages() }
}

extension UNet2DConditionModel: CheckpointBacked {}
extension AutoencoderKL: CheckpointBacked {}
extension CLIPTextModel: CheckpointBacked {}
extension AutoencoderTiny: CheckpointBacked {}
