// The oracles of the fast kernels: each operation as the few plain loops of its formula — no SIMD, no tiling, no
// threads, sums in Double — so it can be checked by reading. Tests compare the kernels against them on shapes
// the torch fixtures lack (and the references against the fixtures); each fast kernel's header states its tolerance.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Plain-loop reference versions of the kernels (as llm.c keeps `matmul_forward_naive` beside `matmul_forward`):
/// slow, obviously correct, and used as test oracles.
public enum Reference {
    /// The activation of one value, by its textbook formula in Double.
    public static func activation(_ activation: Activation, _ x: Double) -> Double {
        switch activation {
        case .silu, .swish: return x / (1 + exp(-x))
        case .quickGELU: return x / (1 + exp(-1.702 * x))
        case .relu: return max(x, 0)
        case .gelu: return 0.5 * x * (1 + erf(x / 2.0.squareRoot()))
        case .geluTanh: return 0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
        }
    }

    /// `a · b` for row-major `[m, k]` and `[k, n]` matrices, each sum in Double.
    public static func matrixProduct(_ a: Tensor, _ b: Tensor) -> Tensor {
        precondition(a.rank == 2 && b.rank == 2 && a.shape[1] == b.shape[0], "matrixProduct: \(a.shape) · \(b.shape)")
        let m = a.shape[0], k = a.shape[1], n = b.shape[1]
        let x = a.scalars, y = b.scalars
        var values = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var sum = 0.0
                for l in 0..<k { sum += Double(x[i * k + l]) * Double(y[l * n + j]) }
                values[i * n + j] = Float(sum)
            }
        }
        return Tensor(shape: [m, n], values: values)
    }
}
