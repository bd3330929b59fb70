// How far one tensor is from another, as this project states every tolerance: the relative error
// max|a−b| / max|b| (max|a−b| when b is all zeros), and the plain max|a−b|. Used by the tests, `img2img compare`
// and the benchmarks' error checks alike.

/// max|a−b| / max|b| over all elements (max|a−b| when `expected` is all zeros). Identical elements (equal
/// infinities included) differ by 0; a NaN in either tensor gives NaN; different shapes give infinity.
public func relativeError(_ actual: Tensor, _ expected: Tensor) -> Float {
    guard let (difference, magnitude) = differenceAndMagnitude(actual, expected) else { return .infinity }
    return magnitude > 0 ? difference / magnitude : difference
}

/// max|a−b| over all elements (NaN when either holds a NaN, infinity for different shapes).
public func maxAbsoluteDifference(_ actual: Tensor, _ expected: Tensor) -> Float {
    differenceAndMagnitude(actual, expected)?.difference ?? .infinity
}

/// (max|a−b|, max|b|), nil for different shapes.
private func differenceAndMagnitude(_ actual: Tensor, _ expected: Tensor) -> (difference: Float, magnitude: Float)? {
    guard actual.shape == expected.shape else { return nil }
    var maxDifference: Float = 0, maxExpected: Float = 0, sawNaN = false
    actual.withUnsafeBufferPointer { a in
        expected.withUnsafeBufferPointer { b in
            for index in 0..<b.count {
                let difference = a[index] == b[index] ? 0 : abs(a[index] - b[index])
                if difference.isNaN { sawNaN = true }
                maxDifference = max(maxDifference, difference)
                maxExpected = max(maxExpected, abs(b[index]))
            }
        }
    }
    return (sawNaN ? .nan : maxDifference, maxExpected)
}
