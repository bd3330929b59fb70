// Deterministic test inputs: tensors of pseudo-random values and a seeded sequence of small integers, so every
// run (and every failure) sees the same numbers.

import Tensors

extension Tensor {
    /// Deterministic values in [−1, 1) from a linear congruential sequence.
    static func pattern(_ shape: [Int], seed: UInt64) -> Tensor {
        var state = seed &* 6364136223846793005 &+ 1442695040888963407
        let values = (0..<Tensor.elementCount(of: shape)).map { _ -> Float in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 40) - (1 << 23)) / Float(1 << 23)
        }
        return Tensor(shape: shape, values: values)
    }
}

/// A seeded sequence of integers in given ranges, for drawing test shapes.
struct ShapeDraws {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    /// The next integer in `range`.
    mutating func next(_ range: ClosedRange<Int>) -> Int {
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return range.lowerBound + Int((state >> 33) % UInt64(range.count))
    }
}
