// torch.Generator("cuda").manual_seed(seed) + torch.randn(shape, generator=g, device="cuda"), on the CPU:
// thread t of torch's grid-stride kernel runs curand_init(seed, t, offset) and, on its k-th step, writes
// the four values of curand_normal4 (Box–Muller on one Philox block) to elements t + (4k + i)·threads.

import Foundation
import Tensors

/// A torch-compatible CUDA generator: the Philox stream of `torch.Generator("cuda").manual_seed(seed)`.
///
/// The Philox bits, their layout over the tensor and the offset bookkeeping follow torch's and curand's
/// sources exactly. The final transcendental functions cannot be bit-exact without a GPU: curand uses the
/// GPU's `logf` and its approximate `__sincosf` intrinsic, here the C library's `logf`, `sinf`, `cosf` are
/// used, so values agree with a GPU to about 1e-6 (absolute), not bit for bit. Tensors of 2³¹ elements or
/// more (which torch splits into several launches) are not reproduced.
public final class TorchCUDAGenerator: RandomGenerator {
    /// The 64-bit seed, used whole as the Philox key.
    public let seed: UInt64
    /// The GPU whose grid size decides the layout of tensors larger than 256 × its block limit.
    public let device: CUDADeviceProperties
    /// torch's `philox_offset_per_thread`: 32-bit draws each thread has used so far (a multiple of 4).
    public private(set) var offset: UInt64 = 0

    /// A generator in the state `torch.Generator("cuda").manual_seed(seed)` leaves, on `device`.
    public init(seed: UInt64, device: CUDADeviceProperties = .h100SXM) {
        self.seed = seed
        self.device = device
    }

    /// `torch.randn(shape, generator=self, device="cuda")` (float32), copied to host memory.
    public func randn(_ shape: [Int]) -> Tensor {
        var tensor = Tensor(uninitialized: shape)
        let numel = tensor.count
        guard numel > 0 else { return tensor }   // torch launches nothing and leaves the offset alone
        let launch = TorchCUDALaunch(numel: numel, device: device)
        let firstBlock = offset / 4
        offset += launch.offsetIncrement
        tensor.withUnsafeMutableBufferPointer { values in
            fill(values, launch: launch, firstBlock: firstBlock)
        }
        return tensor
    }

    /// Writes every thread's values; only the Box–Muller halves that land inside the tensor are computed.
    private func fill(_ values: UnsafeMutableBufferPointer<Float>, launch: TorchCUDALaunch, firstBlock: UInt64) {
        let numel = values.count, threads = launch.threads
        for thread in 0..<threads {
            for step in 0..<launch.callsPerThread {
                let first = thread + step * threads * TorchCUDALaunch.unroll
                if first >= numel { break }
                let bits = Philox4x32.block(seed: seed, subsequence: UInt64(thread),
                                            blockOffset: firstBlock &+ UInt64(step))
                let (n0, n1) = CurandBoxMuller.pair(bits.x, bits.y)
                values[first] = n0 + 0                             // transformation::normal: x·1 + 0
                if first + threads < numel { values[first + threads] = n1 + 0 }
                if first + 2 * threads < numel {
                    let (n2, n3) = CurandBoxMuller.pair(bits.z, bits.w)
                    values[first + 2 * threads] = n2 + 0
                    if first + 3 * threads < numel { values[first + 3 * threads] = n3 + 0 }
                }
            }
        }
    }
}

/// curand's `_curand_box_muller`: two normals from two 32-bit words.
enum CurandBoxMuller {
    /// CURAND_2POW32_INV_2PI: the float product 2⁻³² × 6.2831855.
    private static let twoPow32Inverse2Pi: Float = 0x1p-32 * 6.2831855

    /// (sin v · s, cos v · s) with u = x·2⁻³² + 2⁻³³ in (0, 1], v = y·2π·2⁻³² + π·2⁻³², s = √(−2 ln u).
    @inline(__always)
    static func pair(_ x: UInt32, _ y: UInt32) -> (Float, Float) {
        let u = Float(x) * 0x1p-32 + 0x1p-33                              // exact scaling, one rounding
        let v = (twoPow32Inverse2Pi / 2).addingProduct(Float(y), twoPow32Inverse2Pi)  // nvcc fuses this
        let s = (-2 * Foundation.log(u)).squareRoot()
        return (Foundation.sin(v) * s, Foundation.cos(v) * s)
    }
}
