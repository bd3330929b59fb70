// The 32-bit Mersenne Twister exactly as torch's at::mt19937 runs it: init_genrand seeding with the seed's
// low 32 bits, a lazily regenerated 624-word state, and the standard tempering of each output word.

/// torch's `at::mt19937` engine (MT19937, 32-bit outputs), the state of a torch CPU generator.
public struct MT19937 {
    private static let stateSize = 624
    private static let shift = 397
    private static let matrixA: UInt32 = 0x9908_B0DF

    private var state: [UInt32]
    private var left: Int
    private var nextIndex: Int

    /// The engine `torch.Generator("cpu").manual_seed(seed)` holds: only `seed & 0xffffffff` is used.
    public init(seed: UInt64) {
        var words = [UInt32](repeating: 0, count: MT19937.stateSize)
        words[0] = UInt32(truncatingIfNeeded: seed)
        for index in 1..<MT19937.stateSize {
            let previous = words[index - 1]
            words[index] = 1_812_433_253 &* (previous ^ (previous >> 30)) &+ UInt32(index)
        }
        state = words
        left = 1
        nextIndex = 0
    }

    /// The next tempered 32-bit output.
    @inline(__always)
    public mutating func next() -> UInt32 {
        left -= 1
        if left == 0 { regenerate() }
        var y = state[nextIndex]
        nextIndex += 1
        y ^= y >> 11
        y ^= (y << 7) & 0x9D2C_5680
        y ^= (y << 15) & 0xEFC6_0000
        y ^= y >> 18
        return y
    }

    /// Twists all 624 words at once (torch's `next_state`).
    private mutating func regenerate() {
        let n = MT19937.stateSize, m = MT19937.shift
        state.withUnsafeMutableBufferPointer { words in
            @inline(__always) func twist(_ u: UInt32, _ v: UInt32) -> UInt32 {
                (((u & 0x8000_0000) | (v & 0x7FFF_FFFF)) >> 1) ^ ((v & 1) != 0 ? MT19937.matrixA : 0)
            }
            for index in 0..<(n - m) {
                words[index] = words[index + m] ^ twist(words[index], words[index + 1])
            }
            for index in (n - m)..<(n - 1) {
                words[index] = words[index + m - n] ^ twist(words[index], words[index + 1])
            }
            words[n - 1] = words[m - 1] ^ twist(words[n - 1], words[0])
        }
        left = n
        nextIndex = 0
    }
}
