// Vectorised transcendental functions on SIMD16<Float>: exp (Cephes range reduction + degree-6 polynomial,
// ≈1 ulp), sigmoid, and erf (Abramowitz–Stegun 7.1.26, |error| ≤ 1.5e-7 — the form PyTorch's CPU kernels use).
// The transcendental functions are `@_transparent`: inlined wherever they are called. `@inline(__always)` is a
// hint the optimiser dropped inside the large Winograd kernel, and the out-of-line copy splits each SIMD16 into
// four 128-bit quarters (its calling convention): the fused group norm + SiLU ran 4× slower there, 10 % of
// a VAE decode.

/// SIMD16 helpers shared by every non-GEMM kernel.
public enum VectorMath {
    public typealias Vector = SIMD16<Float>

    /// e^x for each lane; inputs are clamped to [−87.34, 88.38] (the normal Float range of exp).
    @_transparent
    public static func exp(_ x: Vector) -> Vector {
        exp(inRange: clamp(x, -87.33654, 88.37626))
    }

    /// e^x for lanes x ≤ 0 (a softmax's shifted scores): the same values as `exp`, with only the lower clamp.
    @_transparent
    public static func exp(ofNonPositive x: Vector) -> Vector {
        let low = Vector(repeating: -87.33654)
        return exp(inRange: x.replacing(with: low, where: x .< low))
    }

    /// e^x for lanes already within [−87.34, 88.38].
    @_transparent @usableFromInline
    static func exp(inRange x: Vector) -> Vector {
        var x = x
        // n = round(x·log2 e) by the 1.5·2²³ trick: the sum's low mantissa bits hold n.
        let shifted = Vector(repeating: 12582912).addingProduct(x, 1.44269504088896341)
        let n = shifted - 12582912
        x = x.addingProduct(n, -0.693359375)
        x = x.addingProduct(n, 2.12194440e-4)
        let x2 = x * x
        var y = Vector(repeating: 1.3981999507e-3).addingProduct(x, 1.9875691500e-4)
        y = Vector(repeating: 8.3334519073e-3).addingProduct(y, x)
        y = Vector(repeating: 4.1665795894e-2).addingProduct(y, x)
        y = Vector(repeating: 1.6666665459e-1).addingProduct(y, x)
        y = Vector(repeating: 5.0000001201e-1).addingProduct(y, x)
        y = (x + 1).addingProduct(y, x2)
        // 2ⁿ: bits(shifted) = 0x4B400000 + n, so (bits − 0x4B400000 + 127) << 23 is the exponent field.
        let exponent = (unsafeBitCast(shifted, to: SIMD16<Int32>.self) &- 0x4B3F_FF81) &<< 23
        return y * unsafeBitCast(exponent, to: Vector.self)
    }

    /// Each lane limited to `[lower, upper]` (branch-free select; the stdlib's generic clamp is not vectorised).
    @_transparent
    public static func clamp(_ x: Vector, _ lower: Float, _ upper: Float) -> Vector {
        let low = Vector(repeating: lower), high = Vector(repeating: upper)
        return x.replacing(with: low, where: x .< low).replacing(with: high, where: x .> high)
    }

    /// 1 / (1 + e^-x) for each lane.
    @_transparent
    public static func sigmoid(_ x: Vector) -> Vector {
        1 / (1 + exp(-x))
    }

    /// The error function for each lane (Abramowitz–Stegun 7.1.26).
    @_transparent
    public static func erf(_ x: Vector) -> Vector {
        let magnitude = x.replacing(with: -x, where: x .< 0)
        let t = 1 / (1 + 0.3275911 * magnitude)
        var poly = Vector(repeating: 1.061405429)
        poly = poly * t - 1.453152027
        poly = poly * t + 1.421413741
        poly = poly * t - 0.284496736
        poly = poly * t + 0.254829592
        poly = poly * t
        let y: Vector = 1 - poly * exp(-(magnitude * magnitude))
        return y.replacing(with: -y, where: x .< 0)
    }

    /// The larger of `a` and `b` in each lane (a select: the stdlib's pointwiseMax goes lane by lane).
    @inlinable @inline(__always)
    public static func maximum(_ a: Vector, _ b: Vector) -> Vector { a.replacing(with: b, where: b .> a) }

    /// 0, 1, …, 15: compared with a count, the lanes of a partial vector.
    @inlinable @inline(__always)
    public static var laneIndices: Vector { Vector(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15) }

    /// Loads 16 floats from `pointer + offset` (no alignment required).
    @inlinable @inline(__always)
    public static func load(_ pointer: UnsafePointer<Float>, _ offset: Int) -> Vector {
        UnsafeRawPointer(pointer + offset).loadUnaligned(as: Vector.self)
    }

    /// Stores 16 floats at `pointer + offset` (no alignment required).
    @inlinable @inline(__always)
    public static func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>, _ offset: Int) {
        UnsafeMutableRawPointer(pointer + offset).storeBytes(of: value, as: Vector.self)
    }

    /// Loads `count` < 16 floats into the low lanes, the rest filled with `padding`.
    @inlinable @inline(__always)
    public static func loadPartial(_ pointer: UnsafePointer<Float>, _ offset: Int, count: Int,
                                   padding: Float = 0) -> Vector {
        var v = Vector(repeating: padding)
        for lane in 0..<count { v[lane] = pointer[offset + lane] }
        return v
    }

    /// Stores the low `count` lanes at `pointer + offset`.
    @inlinable @inline(__always)
    public static func storePartial(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>, _ offset: Int,
                                    count: Int) {
        for lane in 0..<count { pointer[offset + lane] = value[lane] }
    }

    /// Applies `transform` to `count` floats from `source` into `destination` (which may equal `source`),
    /// 16 lanes at a time with a padded tail.
    @inlinable @inline(__always)
    public static func map(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>,
                           count: Int, _ transform: (Vector) -> Vector) {
        var i = 0
        while i + 16 <= count {
            store(transform(load(source, i)), destination, i)
            i += 16
        }
        if i < count {
            storePartial(transform(loadPartial(source, i, count: count - i)), destination, i, count: count - i)
        }
    }

    /// Sum of `count` floats, accumulated in SIMD16 lanes over blocks of 256 and across blocks in Double.
    @inlinable
    public static func sum(_ pointer: UnsafePointer<Float>, count: Int,
                           _ transform: (Vector) -> Vector = { $0 }) -> Double {
        var total = 0.0
        var start = 0
        while start < count {
            let end = min(start + 256, count)
            var lanes = Vector()
            var i = start
            while i + 16 <= end { lanes += transform(load(pointer, i)); i += 16 }
            if i < end {
                // Padding lanes must contribute nothing after the transform.
                let partial = transform(loadPartial(pointer, i, count: end - i))
                for lane in 0..<(end - i) { lanes[lane] += partial[lane] }
            }
            total += Double(lanes.sum())
            start = end
        }
        return total
    }
}
