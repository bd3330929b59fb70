// The Philox4x32-10 counter-based generator (Salmon et al., Random123), as curand implements it: ten rounds
// of two 32×32→64-bit multiplies mixing a 128-bit counter under a 64-bit key bumped by the Weyl constants.

/// Philox4x32-10: maps a 128-bit counter and a 64-bit key to 128 random bits.
public enum Philox4x32 {
    private static let multiplier0: UInt64 = 0xD251_1F53
    private static let multiplier1: UInt64 = 0xCD9E_8D57
    private static let weyl0: UInt32 = 0x9E37_79B9
    private static let weyl1: UInt32 = 0xBB67_AE85

    /// The four output words for `counter` (x, y, z, w) and `key` (low word, high word).
    @inline(__always)
    public static func block(counter: SIMD4<UInt32>, key: SIMD2<UInt32>) -> SIMD4<UInt32> {
        var (c0, c1, c2, c3) = (counter.x, counter.y, counter.z, counter.w)
        var (k0, k1) = (key.x, key.y)
        for round in 0..<10 {
            let product0 = multiplier0 &* UInt64(c0)
            let product1 = multiplier1 &* UInt64(c2)
            (c0, c1, c2, c3) = (UInt32(truncatingIfNeeded: product1 >> 32) ^ c1 ^ k0,
                                UInt32(truncatingIfNeeded: product1),
                                UInt32(truncatingIfNeeded: product0 >> 32) ^ c3 ^ k1,
                                UInt32(truncatingIfNeeded: product0))
            if round < 9 {
                k0 &+= weyl0
                k1 &+= weyl1
            }
        }
        return SIMD4(c0, c1, c2, c3)
    }

    /// The block curand returns for `seed`, `subsequence` and `offset` (in 4-word blocks): curand_init puts
    /// the subsequence in the counter's high 64 bits and the offset in its low 64 bits, the seed in the key.
    @inline(__always)
    static func block(seed: UInt64, subsequence: UInt64, blockOffset: UInt64) -> SIMD4<UInt32> {
        block(counter: SIMD4(UInt32(truncatingIfNeeded: blockOffset), UInt32(truncatingIfNeeded: blockOffset >> 32),
                             UInt32(truncatingIfNeeded: subsequence), UInt32(truncatingIfNeeded: subsequence >> 32)),
              key: SIMD2(UInt32(truncatingIfNeeded: seed), UInt32(truncatingIfNeeded: seed >> 32)))
    }
}
