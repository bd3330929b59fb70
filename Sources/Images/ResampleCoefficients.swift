// ResampleCoefficients: for each output column (or row), the span of input pixels it reads and their weights,
// as Pillow's `precompute_coeffs` and `normalize_coeffs_8bpc` compute them: the kernel is stretched by the
// scale factor when shrinking, weights are normalised to sum 1 in double precision, then rounded (half away
// from zero) to fixed point with 22 fractional bits.

/// The fixed-point filter taps that map one axis of `inputSize` pixels onto `outputSize` pixels.
struct ResampleCoefficients {
    /// Fractional bits of the fixed-point weights (Pillow's PRECISION_BITS = 32 - 8 - 2).
    static let precisionBits: Int32 = 22

    /// Taps stored per output pixel (Pillow's `ksize`); unused trailing taps are zero.
    let tapsPerOutput: Int
    /// The first input pixel each output pixel reads (Pillow's `xmin`).
    let firstInput: [Int]
    /// How many input pixels each output pixel reads (Pillow's `xmax` after `xmax -= xmin`).
    let inputCount: [Int]
    /// `outputSize * tapsPerOutput` weights, scaled by 2^precisionBits.
    let weights: [Int32]

    init(inputSize: Int, outputSize: Int, filter: ResampleFilter) {
        let scale = Double(inputSize) / Double(outputSize)
        let filterScale = max(scale, 1.0)
        let support = filter.support * filterScale
        let taps = Int(support.rounded(.up)) * 2 + 1
        var firstInput = [Int](repeating: 0, count: outputSize)
        var inputCount = [Int](repeating: 0, count: outputSize)
        var weights = [Int32](repeating: 0, count: outputSize * taps)
        var kernel = [Double](repeating: 0, count: taps)
        for output in 0..<outputSize {
            let center = (Double(output) + 0.5) * scale
            let inverseScale = 1.0 / filterScale
            let first = max(Int(center - support + 0.5), 0)  // Int(_:) truncates toward zero, like C's (int)
            let count = min(Int(center + support + 0.5), inputSize) - first
            var sum = 0.0
            for tap in 0..<count {
                let weight = filter.weight((Double(tap + first) - center + 0.5) * inverseScale)
                kernel[tap] = weight
                sum += weight
            }
            for tap in 0..<count {
                let normalised = sum != 0 ? kernel[tap] / sum : kernel[tap]
                weights[output * taps + tap] = Self.fixedPoint(normalised)
            }
            firstInput[output] = first
            inputCount[output] = count
        }
        self.tapsPerOutput = taps
        self.firstInput = firstInput
        self.inputCount = inputCount
        self.weights = weights
    }

    /// Pillow's rounding to fixed point: `(int)(±0.5 + w * 2^22)`, i.e. half away from zero.
    private static func fixedPoint(_ weight: Double) -> Int32 {
        let scaled = weight * Double(1 << precisionBits)
        return Int32(weight < 0 ? -0.5 + scaled : 0.5 + scaled)
    }
}
