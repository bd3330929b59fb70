// A per-request LoRA change of one Linear or Conv2d: y = W·x + b + Σᵢ sᵢ·Bᵢ(Aᵢ·x) at run time (as PEFT), or
// y = (W + Σᵢ sᵢ·Bᵢ·Aᵢ)·x + b with a merged copy of W that lives as long as the patch; W itself is only read.

import Foundation
import Tensors

/// One adapter's factors for one layer; `scale` is the request's strength × alpha / rank.
public struct LowRankUpdate {
    /// A ("down"): `[rank, in]` for a Linear, `[rank, in, kh, kw]` for a Conv2d (run with the layer's stride
    /// and padding).
    public let down: Tensor
    /// B ("up"): `[out, rank]` for a Linear, `[out, rank, 1, 1]` for a Conv2d.
    public let up: Tensor
    public let scale: Float

    /// The factors as the layer uses them, and strength × alpha / rank.
    public init(down: Tensor, up: Tensor, scale: Float) {
        self.down = down
        self.up = up
        self.scale = scale
    }
}

/// How patched layers compute: the factors at every call, or once merged into a copy of the weight.
public enum LoRAApplication: String, Sendable, CaseIterable {
    /// y = W·x + Σ s·B(A·x): no extra weight memory, two thin products per adapter per call.
    case runtime
    /// y = (W + Σ s·B·A)·x: one copy of each patched weight per request, no per-call cost.
    case merged
}

/// The low-rank updates of one layer for one request.
public final class LayerPatch: @unchecked Sendable {
    public let updates: [LowRankUpdate]
    public let application: LoRAApplication
    private var mergedWeight: Tensor?
    private let lock = NSLock()

    /// The updates of one layer, summed in the order given.
    public init(updates: [LowRankUpdate], application: LoRAApplication) {
        self.updates = updates
        self.application = application
    }

    /// The patched `F.linear(x, weight, bias)`.
    func linear(_ x: Tensor, weight: LayerWeight, bias: Tensor?) -> Tensor {
        if application == .merged { return x.linear(weight: merged(into: weight), bias: bias) }
        var y = x.linear(weight: weight, bias: bias)
        for update in updates {
            y.add(x.linear(weight: update.down).linear(weight: update.up), scaledBy: update.scale)
        }
        return y
    }

    /// The patched `F.conv2d(x, weight, bias, stride, padding)`; B is a 1×1 convolution.
    func conv2d(_ x: Tensor, weight: LayerWeight, bias: Tensor?, stride: Int, padding: Padding2D) -> Tensor {
        if application == .merged {
            return x.conv2d(weight: merged(into: weight), bias: bias, stride: stride, padding: padding)
        }
        var y = x.conv2d(weight: weight, bias: bias, stride: stride, padding: padding)
        for update in updates {
            let low = x.conv2d(weight: LayerWeight(update.down), stride: stride, padding: padding)
            y.add(low.conv2d(weight: LayerWeight(update.up)), scaledBy: update.scale)
        }
        return y
    }

    /// W + Σ s·B·A as a new tensor (computed on first use, then kept for the life of the patch).
    func merged(into weight: LayerWeight) -> LayerWeight {
        lock.lock()
        defer { lock.unlock() }
        if let mergedWeight { return LayerWeight(mergedWeight) }
        var result = weight.floatTensor   // a copy is made on the first write when it shares the layer's storage
        let out = weight.shape[0], columns = weight.count / out
        result.withUnsafeMutableBufferPointer { w in
            for update in updates {
                let rank = update.down.shape[0]
                update.up.withUnsafeBufferPointer { b in
                    update.down.withUnsafeBufferPointer { a in
                        // [out, rank] · [rank, in·kh·kw] accumulated onto W (beta = 1).
                        sgemm(m: out, n: columns, k: rank, alpha: update.scale, a: b.baseAddress!, lda: rank,
                              b: a.baseAddress!, ldb: columns, beta: 1, c: w.baseAddress!, ldc: columns)
                    }
                }
            }
        }
        mergedWeight = result
        return LayerWeight(result)
    }
}
