// Deterministic Gaussian values for synthetic weights: element i of a parameter takes a SplitMix64 hash of
// (seed, parameter name, i / 2) and turns it into a Box–Muller pair, so any chunk can be filled on its own,
// in parallel, and the values never depend on the thread count.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Tensors

/// Draws a parameter's values from its role's distribution, reproducibly for a given seed.
public struct RandomWeights: Sendable {
    public let seed: UInt64

    public init(seed: UInt64) { self.seed = seed }

    /// The parameter's tensor: mean + std · N(0, 1) per element.
    public func tensor(for spec: ParameterSpec) -> Tensor {
        let (mean, std) = spec.role.distribution
        let stream = RandomWeights.mix(seed ^ RandomWeights.hash(spec.name))
        var result = Tensor(uninitialized: spec.shape)
        result.withUnsafeMutableBufferPointer { buffer in
            let base = buffer.baseAddress!, count = buffer.count
            // Chunks start on even indices so each Box–Muller pair stays within one chunk.
            let pairs = (count + 1) / 2
            parallelChunks(pairs, minimumChunk: 1 << 14) { range in
                for pair in range {
                    let (a, b) = RandomWeights.normalPair(stream, UInt64(pair))
                    base[2 * pair] = mean + std * a
                    if 2 * pair + 1 < count { base[2 * pair + 1] = mean + std * b }
                }
            }
        }
        return result
    }

    /// Two independent N(0, 1) values for counter `index` of `stream` (Box–Muller on two 24-bit uniforms).
    @inline(__always)
    static func normalPair(_ stream: UInt64, _ index: UInt64) -> (Float, Float) {
        let bits = mix(stream &+ index &* 0x9E37_79B9_7F4A_7C15)
        let u1 = (Float(bits >> 40) + 0.5) * 0x1p-24            // (0, 1): log stays finite
        let u2 = Float((bits >> 16) & 0xFF_FFFF) * 0x1p-24
        let radius = (-2 * logf(u1)).squareRoot()
        let angle = 2 * Float.pi * u2
        return (radius * cosf(angle), radius * sinf(angle))
    }

    /// SplitMix64's finaliser: a bijective 64-bit mix.
    @inline(__always)
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// FNV-1a of the name's UTF-8 bytes: a stable per-parameter stream id.
    static func hash(_ name: String) -> UInt64 {
        name.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}
