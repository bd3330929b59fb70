// Elementwise tensor arithmetic for the scheduler updates, rounding like torch's separate kernels: each
// `scalar · tensor` product is rounded, then the products are summed left to right (no fused multiply-add).

import Tensors

/// `Σ cᵢ·tᵢ` accumulated left to right, e.g. `(c₀·t₀ − c₁·t₁) + c₂·t₂` (subtraction as a negated coefficient,
/// which rounds identically). All tensors must have the same shape.
func multistepLinearCombination(_ terms: [(Float, Tensor)]) -> Tensor {
    precondition(!terms.isEmpty && terms.allSatisfy { $0.1.shape == terms[0].1.shape },
                 "linear combination of tensors with different shapes")
    var result = Tensor(uninitialized: terms[0].1.shape)
    let count = result.count
    result.withUnsafeMutableBufferPointer { out in
        terms[0].1.withUnsafeBufferPointer { first in
            let c = terms[0].0
            for i in 0..<count { out[i] = c * first[i] }
        }
        for (c, tensor) in terms.dropFirst() {
            tensor.withUnsafeBufferPointer { values in
                for i in 0..<count { out[i] = out[i] + c * values[i] }
            }
        }
    }
    return result
}

/// An elementwise function of two same-shaped tensors.
func multistepZip(_ a: Tensor, _ b: Tensor, _ body: (Float, Float) -> Float) -> Tensor {
    precondition(a.shape == b.shape, "elementwise op on shapes \(a.shape) and \(b.shape)")
    var result = Tensor(uninitialized: a.shape)
    let count = result.count
    result.withUnsafeMutableBufferPointer { out in
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                for i in 0..<count { out[i] = body(x[i], y[i]) }
            }
        }
    }
    return result
}

/// An elementwise function of one tensor.
func multistepMap(_ a: Tensor, _ body: (Float) -> Float) -> Tensor {
    var result = Tensor(uninitialized: a.shape)
    let count = result.count
    result.withUnsafeMutableBufferPointer { out in
        a.withUnsafeBufferPointer { x in
            for i in 0..<count { out[i] = body(x[i]) }
        }
    }
    return result
}

/// `(a − c·b) / d`: the x₀ (or ε) recovery `(sample − σ_t·ε) / α_t` with torch's rounding.
func multistepSubtractScaledThenDivide(_ a: Tensor, _ b: Tensor, scale c: Float, divisor d: Float) -> Tensor {
    multistepZip(a, b) { x, y in (x - c * y) / d }
}

/// `(a − b)·c`: a scaled difference of two model outputs, as `(1/r)·(m₀ − m₁)` (the factor applied last).
func multistepScaledDifference(_ a: Tensor, _ b: Tensor, scale c: Float) -> Tensor {
    multistepZip(a, b) { x, y in c * (x - y) }
}

/// `(a − b) / d`, as UniPC's `(mᵢ − m₀) / rₖ`.
func multistepDividedDifference(_ a: Tensor, _ b: Tensor, divisor d: Float) -> Tensor {
    multistepZip(a, b) { x, y in (x - y) / d }
}
