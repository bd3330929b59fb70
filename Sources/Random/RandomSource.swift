// Chooses the torch generator kind a request's seed is interpreted with: the CPU generator (the reference
// environment's) or the CUDA one (what a GPU runner such as Livepeer's produces for the same seed).

/// Which torch generator a seed is drawn from.
public enum RandomSource: String, CaseIterable, Sendable {
    /// `torch.Generator("cpu")`: mt19937, bit-exact.
    case cpu
    /// `torch.Generator("cuda")`: Philox4x32-10, close to a GPU but not bit-exact (see TorchCUDAGenerator).
    case cuda
}

/// A fresh generator of `source` seeded with `seed`, as `torch.Generator(source).manual_seed(seed)`.
public func makeGenerator(_ source: RandomSource, seed: UInt64) -> RandomGenerator {
    switch source {
    case .cpu: return TorchCPUGenerator(seed: seed)
    case .cuda: return TorchCUDAGenerator(seed: seed)
    }
}
