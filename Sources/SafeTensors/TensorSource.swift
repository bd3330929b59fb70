// The interface model loaders read weights through: a set of named tensors, widened to Float.
// A single safetensors file and a sharded checkpoint both provide it.

import Tensors

/// A set of named tensors readable as Float, such as a safetensors file or a sharded checkpoint.
public protocol TensorSource {
    /// The tensor names, sorted.
    var names: [String] { get }
    /// The named tensor widened to Float; throws `SafeTensorsError.tensorNotFound` if absent.
    func tensor(_ name: String) throws -> Tensor
}
