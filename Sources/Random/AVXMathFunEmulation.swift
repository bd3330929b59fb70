// One lane of torch's avx_mathfun.h (Cephes-style log256_ps and sincos256_ps by Pommier/Garberoglio), the
// functions torch's AVX2 normal kernel calls. Same constants, same operation order, and the fused
// multiply-adds GCC contracts when it builds that kernel (-mfma, -ffp-contract=fast), so the bits match.

/// Lane-wise emulation of avx_mathfun's `log256_ps` and `sincos256_ps` as compiled into torch.
enum AVXMathFun {
    // log256_ps constants (Cephes logf).
    private static let sqrtHalf: Float = 0.707106781186547524
    private static let logP0: Float = 7.0376836292E-2
    private static let logP1: Float = -1.1514610310E-1
    private static let logP2: Float = 1.1676998740E-1
    private static let logP3: Float = -1.2420140846E-1
    private static let logP4: Float = 1.4249322787E-1
    private static let logP5: Float = -1.6668057665E-1
    private static let logP6: Float = 2.0000714765E-1
    private static let logP7: Float = -2.4999993993E-1
    private static let logP8: Float = 3.3333331174E-1
    private static let logQ1: Float = -2.12194440e-4
    private static let logQ2: Float = 0.693359375

    // sincos256_ps constants (Cephes sinf/cosf).
    private static let minusDP1: Float = -0.78515625
    private static let minusDP2: Float = -2.4187564849853515625e-4
    private static let minusDP3: Float = -3.77489497744594108e-8
    private static let sinP0: Float = -1.9515295891E-4
    private static let sinP1: Float = 8.3321608736E-3
    private static let sinP2: Float = -1.6666654611E-1
    private static let cosP0: Float = 2.443315711809948E-005
    private static let cosP1: Float = -1.388731625493765E-003
    private static let cosP2: Float = 4.166664568298827E-002
    private static let fourOverPi: Float = 1.27323954473516

    /// `log256_ps` on one lane (used on (0, 1]): NaN for x ≤ 0 or NaN, subnormals read as the smallest normal.
    @inline(__always)
    static func log(_ input: Float) -> Float {
        if !(input > 0) { return .nan }
        let clamped = max(input, Float.leastNormalMagnitude)
        let bits = clamped.bitPattern
        var exponent = Float(Int32(bitPattern: bits >> 23) - 0x7F) + 1
        var x = Float(bitPattern: (bits & ~UInt32(0x7F80_0000)) | Float(0.5).bitPattern)  // mantissa in [0.5, 1)
        let belowSqrtHalf = x < sqrtHalf
        let tmp: Float = belowSqrtHalf ? x : 0
        x = x - 1
        exponent = exponent - (belowSqrtHalf ? 1 : 0)
        x = x + tmp
        let z = x * x
        var y = fma(logP0, x, logP1)
        y = fma(y, x, logP2)
        y = fma(y, x, logP3)
        y = fma(y, x, logP4)
        y = fma(y, x, logP5)
        y = fma(y, x, logP6)
        y = fma(y, x, logP7)
        y = fma(y, x, logP8)
        y = y * x
        y = fma(y, z, exponent * logQ1)      // GCC fuses y·z into the add; e·q1 stays a rounded product
        y = y - z * 0.5                      // z·0.5 is exact: fused or not, the same bits
        x = x + y
        return x + exponent * logQ2          // e·q2 is exact (small integer × 9-bit constant)
    }

    /// `sincos256_ps` on one lane: (sin x, cos x) by Cephes' octant reduction; accurate for |x| < 8192.
    @inline(__always)
    static func sinCos(_ input: Float) -> (sin: Float, cos: Float) {
        var sinSign = input.bitPattern & 0x8000_0000
        var x = Float(bitPattern: input.bitPattern & 0x7FFF_FFFF)
        let scaled = x * fourOverPi
        var octant = Int32(truncatingNaN: scaled)
        octant = (octant &+ 1) & ~1
        let y = Float(octant)
        if octant & 4 != 0 { sinSign ^= 0x8000_0000 }
        let useSinPolynomialForSin = octant & 2 == 0
        let cosSign: UInt32 = ~(octant &- 2) & 4 != 0 ? 0x8000_0000 : 0
        x = fma(y, minusDP1, x)              // "extended precision modular arithmetic", fused by GCC
        x = fma(y, minusDP2, x)
        x = fma(y, minusDP3, x)
        let z = x * x
        var cosPoly = fma(cosP0, z, cosP1)
        cosPoly = fma(cosPoly, z, cosP2)
        cosPoly = cosPoly * z
        cosPoly = fma(cosPoly, z, -(z * 0.5))
        cosPoly = cosPoly + 1
        var sinPoly = fma(sinP0, z, sinP1)
        sinPoly = fma(sinPoly, z, sinP2)
        sinPoly = sinPoly * z
        sinPoly = fma(sinPoly, x, x)
        // The AVX code selects with and/andnot masks (a deselected lane is +0) and recombines with adds.
        let sinFromSinPoly: Float = useSinPolynomialForSin ? sinPoly : 0
        let sinFromCosPoly: Float = useSinPolynomialForSin ? 0 : cosPoly
        let cosFromSinPoly = sinPoly - sinFromSinPoly
        let cosFromCosPoly = cosPoly - sinFromCosPoly
        let sine = sinFromCosPoly + sinFromSinPoly
        let cosine = cosFromCosPoly + cosFromSinPoly
        return (Float(bitPattern: sine.bitPattern ^ sinSign), Float(bitPattern: cosine.bitPattern ^ cosSign))
    }

    /// a·b + c with one rounding.
    @inline(__always)
    private static func fma(_ a: Float, _ b: Float, _ c: Float) -> Float {
        c.addingProduct(a, b)
    }
}

fileprivate extension Int32 {
    /// `cvttps2dq`: truncation toward zero; NaN and out-of-range values give Int32.min, as the instruction does.
    @inline(__always)
    init(truncatingNaN value: Float) {
        if value.isNaN || value >= 2_147_483_648 || value < -2_147_483_648 {
            self = Int32.min
        } else {
            self = Int32(value)
        }
    }
}
