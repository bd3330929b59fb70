// concat and chunk along any dimension: the tensor is viewed as [outer, extent, inner] and copied
// in contiguous runs of extent·inner floats.

extension Tensor {
    /// `torch.cat(tensors, dim)`: all shapes equal except along `dimension`.
    public static func concatenate(_ tensors: [Tensor], along dimension: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concatenate needs at least one tensor")
        let first = tensors[0]
        let axis = dimension < 0 ? dimension + first.rank : dimension
        for t in tensors {
            precondition(t.rank == first.rank && t.shape.enumerated().allSatisfy { $0.offset == axis || $0.element == first.shape[$0.offset] },
                         "concatenate: \(t.shape) does not match \(first.shape) outside dimension \(axis)")
        }
        var outShape = first.shape
        outShape[axis] = tensors.reduce(0) { $0 + $1.shape[axis] }
        let outer = first.shape[..<axis].reduce(1, *)
        let inner = first.shape[(axis + 1)...].reduce(1, *)
        var result = Tensor(uninitialized: outShape)
        KernelProfile.run("concatenate") {
            result.withUnsafeMutableBufferPointer { out in
                var offset = 0
                for t in tensors {
                    let run = t.shape[axis] * inner
                    t.withUnsafeBufferPointer { src in
                        for o in 0..<outer {
                            (out.baseAddress! + o * outShape[axis] * inner + offset)
                                .update(from: src.baseAddress! + o * run, count: run)
                        }
                    }
                    offset += run
                }
            }
        }
        return result
    }

    /// `torch.chunk(self, parts, dim)` for an extent divisible by `parts`.
    public func chunked(into parts: Int, along dimension: Int) -> [Tensor] {
        let axis = dimension < 0 ? dimension + rank : dimension
        precondition(parts > 0 && shape[axis] % parts == 0, "chunk: extent \(shape[axis]) not divisible by \(parts)")
        let size = shape[axis] / parts
        return (0..<parts).map { slice(along: axis, from: $0 * size, count: size) }
    }

    /// The sub-tensor `self[…, start..<start+count, …]` along `dimension`, copied.
    public func slice(along dimension: Int, from start: Int, count length: Int) -> Tensor {
        let axis = dimension < 0 ? dimension + rank : dimension
        precondition(start >= 0 && length >= 0 && start + length <= shape[axis], "slice out of range for \(shape)")
        var outShape = shape
        outShape[axis] = length
        let outer = shape[..<axis].reduce(1, *)
        let inner = shape[(axis + 1)...].reduce(1, *)
        var result = Tensor(uninitialized: outShape)
        KernelProfile.run("slice") {
            withUnsafeBufferPointer { src in
                result.withUnsafeMutableBufferPointer { out in
                    for o in 0..<outer {
                        (out.baseAddress! + o * length * inner)
                            .update(from: src.baseAddress! + (o * shape[axis] + start) * inner, count: length * inner)
                    }
                }
            }
        }
        return result
    }
}
