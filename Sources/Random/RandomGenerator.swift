// The interface every function that draws random numbers takes: a stateful generator that fills tensors
// with standard normal values in exactly the order torch's generator of the same kind would.

import Tensors

/// A torch-compatible random generator (CPU mt19937 or CUDA Philox), advanced by every draw.
public protocol RandomGenerator: AnyObject {
    /// `torch.randn(shape, generator=self)`: standard normal Float32 values, row-major.
    func randn(_ shape: [Int]) -> Tensor
}
