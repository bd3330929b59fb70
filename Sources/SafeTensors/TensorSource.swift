// The interface model loaders read weights through: a set of named tensors, widened to Float, or kept in
// their stored precision for layer weights. A single safetensors file and a sharded checkpoint both provide it.

import Tensors

/// A set of named tensors readable as Float, such as a safetensors file or a sharded checkpoint.
public protocol TensorSource {
    /// The tensor names, sorted.
    var names: [String] { get }
    /// The named tensor widened to Float; throws `SafeTensorsError.tensorNotFound` if absent.
    func tensor(_ name: String) throws -> Tensor
    /// The named tensor as a layer weight: F16 stays half precision (read in place where the bytes allow),
    /// every other dtype is widened to Float.
    func layerWeight(_ name: String) throws -> LayerWeight
    /// Tells the system the source's bytes are not needed for now: mapped pages leave the process's resident
    /// set (the page cache keeps them) and are mapped back when next read. Values are unchanged.
    func releaseResidentPages()
    /// Bytes of the F16 tensors: what a model reading its layer weights in place from the mapping holds
    /// resident while it runs (other dtypes are widened into memory of their own when the model loads).
    var halfPrecisionBytes: Int { get }
}

extension TensorSource {
    public func layerWeight(_ name: String) throws -> LayerWeight { LayerWeight(try tensor(name)) }
    public func releaseResidentPages() {}
    public var halfPrecisionBytes: Int { 0 }
}
