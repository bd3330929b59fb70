// A checkpoint that holds nothing and notes what is asked of it: a model built over it reads every parameter its
// config implies, and the recorder keeps each full key with its shape, in the order the constructor asks. This is
// how the synthetic-weight writer learns an architecture without restating it. The model it builds holds zeros;
// its layer weights sit on untouched anonymous pages, so recording even a full-size model costs no resident memory.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SafeTensors
import Tensors

/// A parameter a model constructor asked for: its checkpoint key and shape.
public struct RequestedParameter: Equatable, Sendable {
    public let key: String
    public let shape: [Int]
}

/// A tensor source without tensors that records every parameter a model constructor reads from it.
public final class WeightRecorder: TensorSource {
    /// Every parameter asked for so far, in order.
    public private(set) var requested: [RequestedParameter] = []

    public init() {}

    /// No names: a recorder has no checkpoint keys of its own.
    public var names: [String] { [] }

    /// Throws: a recorder's values are placeholders `Weights` hands out, not tensors to read.
    public func tensor(_ name: String) throws -> Tensor { throw SafeTensorsError.tensorNotFound(name) }

    /// Notes `key` and returns zeros of `shape` (small: biases, norms and embeddings read as tensors).
    func recordTensor(_ key: String, shape: [Int]) -> Tensor {
        requested.append(RequestedParameter(key: key, shape: shape))
        return Tensor(zeros: shape)
    }

    /// Notes `key` and returns a zero layer weight of `shape` whose pages are never touched.
    func recordLayerWeight(_ key: String, shape: [Int]) -> LayerWeight {
        requested.append(RequestedParameter(key: key, shape: shape))
        let count = Tensor.elementCount(of: shape)
        guard let pages = ZeroPages(bytes: count * MemoryLayout<UInt16>.stride) else {
            return LayerWeight(Tensor(zeros: shape))
        }
        return LayerWeight(half: HalfValues(bits: pages.base.assumingMemoryBound(to: UInt16.self), count: count,
                                            owner: pages), shape: shape)
    }
}

/// A private anonymous read-only mapping: it reads as zeros and takes no resident memory until read.
private final class ZeroPages {
    let base: UnsafeRawPointer
    private let bytes: Int

    init?(bytes requested: Int) {
        bytes = max(requested, 1)
        guard let address = mmap(nil, bytes, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              address != UnsafeMutableRawPointer(bitPattern: -1) else { return nil }
        base = UnsafeRawPointer(address)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), bytes) }
}
