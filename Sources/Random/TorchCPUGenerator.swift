// torch.Generator("cpu").manual_seed(seed) followed by torch.randn(shape, generator=g): an mt19937 stream
// turned into normals by torch's normal_kernel — per element Box–Muller in double (caching the second
// value across calls) below 16 elements, and the 16-wide float fill (with a redrawn last block) from 16 on.

import Tensors
import Foundation

/// A torch-compatible CPU generator: `torch.Generator("cpu").manual_seed(seed)`, bit for bit.
public final class TorchCPUGenerator: RandomGenerator {
    /// The seed given at creation (torch uses its low 32 bits).
    public let seed: UInt64
    /// The torch CPU kernel whose rounding the fill reproduces.
    public let normalKernel: TorchCPUNormalKernel
    private var engine: MT19937
    /// torch's `next_double_normal_sample_`: the unused sine half of the last scalar Box–Muller pair.
    private var cachedNormal: Double?

    /// A generator in the state `torch.Generator("cpu").manual_seed(seed)` leaves.
    public init(seed: UInt64, normalKernel: TorchCPUNormalKernel = .avx2) {
        self.seed = seed
        self.normalKernel = normalKernel
        self.engine = MT19937(seed: seed)
    }

    /// `torch.randn(shape, generator=self)` (float32, contiguous).
    public func randn(_ shape: [Int]) -> Tensor {
        var tensor = Tensor(uninitialized: shape)
        tensor.withUnsafeMutableBufferPointer { values in
            if values.count >= 16 {
                fillNormal(values)
            } else {
                for index in values.indices { values[index] = Float(nextScalarNormal() + 0) }  // x·1 + 0
            }
        }
        return tensor
    }

    /// A uniform float in [0, 1) from 24 random bits (torch's `uniform_real_distribution<float>`).
    @inline(__always)
    private static func uniformFloat(_ engine: inout MT19937) -> Float {
        Float(engine.next() & 0xFF_FFFF) * 0x1p-24
    }

    /// A uniform double in [0, 1) from the low 53 bits of two draws, the first one high (`random64`).
    @inline(__always)
    private static func uniformDouble(_ engine: inout MT19937) -> Double {
        let high = UInt64(engine.next()), low = UInt64(engine.next())
        return Double(((high << 32) | low) & ((1 << 53) - 1)) * 0x1p-53
    }

    /// `at::normal_distribution<double>`: the cached value if any, else a new Box–Muller pair whose sine
    /// half is cached in the generator for the next scalar draw.
    private func nextScalarNormal() -> Double {
        if let cached = cachedNormal {
            cachedNormal = nil
            return cached
        }
        let u1 = TorchCPUGenerator.uniformDouble(&engine)
        let u2 = TorchCPUGenerator.uniformDouble(&engine)
        let radius = (-2.0 * Foundation.log1p(-u2)).squareRoot()
        let theta = 2.0 * Double.pi * u1
        cachedNormal = radius * Foundation.sin(theta)
        return radius * Foundation.cos(theta)
    }

    /// torch's `normal_fill`: uniforms for every element, Box–Muller per block of 16, and when the count
    /// is not a multiple of 16, 16 fresh uniforms written over the last 16 elements and transformed again.
    private func fillNormal(_ values: UnsafeMutableBufferPointer<Float>) {
        guard let base = values.baseAddress else { return }
        let count = values.count
        var engine = self.engine
        for index in 0..<count { base[index] = TorchCPUGenerator.uniformFloat(&engine) }
        var start = 0
        while start + 16 <= count {
            normalKernel.transform16(base + start)
            start += 16
        }
        if count % 16 != 0 {
            let tail = base + (count - 16)
            for lane in 0..<16 { tail[lane] = TorchCPUGenerator.uniformFloat(&engine) }
            normalKernel.transform16(tail)
        }
        self.engine = engine
    }
}
