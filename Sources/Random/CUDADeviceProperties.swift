// The two cudaDeviceProp fields torch's CUDA random kernels size their grid with: the grid is capped at
// multiProcessorCount × (maxThreadsPerMultiProcessor / 256) blocks of 256 threads, so large tensors depend
// on the GPU model (tensors of at most 256 × that many elements do not).

/// The GPU properties that decide how torch's CUDA `randn` lays the Philox stream over a tensor.
public struct CUDADeviceProperties: Equatable, Sendable {
    /// `cudaDeviceProp.multiProcessorCount`.
    public var multiProcessorCount: Int
    /// `cudaDeviceProp.maxThreadsPerMultiProcessor`.
    public var maxThreadsPerMultiProcessor: Int

    /// Properties of a GPU with the given streaming-multiprocessor count and resident-thread limit.
    public init(multiProcessorCount: Int, maxThreadsPerMultiProcessor: Int) {
        self.multiProcessorCount = multiProcessorCount
        self.maxThreadsPerMultiProcessor = maxThreadsPerMultiProcessor
    }

    /// NVIDIA H100 SXM5: 132 SMs × 2048 threads (at most 270,336 elements are device independent).
    public static let h100SXM = CUDADeviceProperties(multiProcessorCount: 132, maxThreadsPerMultiProcessor: 2048)
    /// NVIDIA A100: 108 SMs × 2048 threads.
    public static let a100 = CUDADeviceProperties(multiProcessorCount: 108, maxThreadsPerMultiProcessor: 2048)
    /// NVIDIA GeForce RTX 4090: 128 SMs × 1536 threads.
    public static let rtx4090 = CUDADeviceProperties(multiProcessorCount: 128, maxThreadsPerMultiProcessor: 1536)
    /// NVIDIA GeForce RTX 3090: 82 SMs × 1536 threads (the smallest grid here: 125,952 threads).
    public static let rtx3090 = CUDADeviceProperties(multiProcessorCount: 82, maxThreadsPerMultiProcessor: 1536)

    /// The most 256-thread blocks torch launches for a distribution kernel on this GPU (at least 1).
    var maxBlocks: Int {
        max(1, multiProcessorCount * (maxThreadsPerMultiProcessor / TorchCUDALaunch.blockSize))
    }
}

/// The launch torch's `distribution_nullary_kernel` makes for `numel` values (`calc_execution_policy`).
struct TorchCUDALaunch {
    static let blockSize = 256
    /// Values one `curand_normal4` call yields per thread and grid-stride step.
    static let unroll = 4

    /// Threads in the grid: whole blocks, capped by the device.
    let threads: Int
    /// `curand_normal4` calls per thread (grid-stride steps).
    let callsPerThread: Int

    init(numel: Int, device: CUDADeviceProperties) {
        let blocks = min(device.maxBlocks, (numel + TorchCUDALaunch.blockSize - 1) / TorchCUDALaunch.blockSize)
        threads = blocks * TorchCUDALaunch.blockSize
        callsPerThread = (numel - 1) / (threads * TorchCUDALaunch.unroll) + 1
    }

    /// How far the generator's `philox_offset_per_thread` advances: 4 per call, rounded up to 4.
    var offsetIncrement: UInt64 { UInt64(callsPerThread * 4 + 3) / 4 * 4 }
}
