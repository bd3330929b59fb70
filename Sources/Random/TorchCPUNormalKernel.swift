// torch's Box–Muller step for 16 uniforms (NormalFill16 in ATen/native/cpu/DistributionTemplates.h):
// for j in 0..<8, u1 = 1 − d[j], u2 = d[j+8], r = √(−2 ln u1), θ = 2π·u2, d[j] = r·cos θ, d[j+8] = r·sin θ.
// Two builds of it exist in torch, and they round differently; each case below reproduces one bit for bit.

import Foundation

/// Which of torch's CPU normal kernels to reproduce; they differ in the last bits of most values.
public enum TorchCPUNormalKernel: String, CaseIterable, Sendable {
    /// torch on any x86-64 CPU with AVX2 (AVX-512 CPUs too: torch has no AVX-512 normal kernel and falls
    /// back to this one). Uses avx_mathfun's Cephes log/sincos in float. The reference environment's kernel.
    case avx2
    /// torch's portable kernel (CPU capability DEFAULT: aarch64, x86-64 without AVX2, or
    /// `ATEN_CPU_CAPABILITY=default`). Uses the C library's logf/cosf/sinf; matches where libm matches.
    case scalar

    /// Transforms 16 uniforms in [0, 1) at `values` into 16 standard normal values, in place.
    @inline(__always)
    func transform16(_ values: UnsafeMutablePointer<Float>) {
        switch self {
        case .avx2:
            for lane in 0..<8 {
                let radius = (-2 * AVXMathFun.log(1 - values[lane])).squareRoot()
                let theta = Float(2 * Double.pi) * values[lane + 8]
                let (sine, cosine) = AVXMathFun.sinCos(theta)
                values[lane] = radius * cosine + 0          // fmadd(n, std = 1, mean = 0): −0 becomes +0
                values[lane + 8] = radius * sine + 0
            }
        case .scalar:
            for lane in 0..<8 {
                let radius = (-2 * Foundation.log(1 - values[lane])).squareRoot()
                let theta = Float(2 * Double.pi * Double(values[lane + 8]))   // computed in double, then rounded
                values[lane] = radius * Foundation.cos(theta) + 0
                values[lane + 8] = radius * Foundation.sin(theta) + 0
            }
        }
    }
}
