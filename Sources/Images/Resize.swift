// Pillow-compatible resizing of RGB8 images (`Image.resize(size, filter)` with box = whole image and
// reducing_gap = None, Pillow's defaults). Like Pillow 13's ImagingResampleInner it runs two separable passes,
// skipping a pass whose axis keeps its size. The horizontal pass goes first (over just the rows the vertical
// pass will read) unless the height shrinks by more than twice as many pixels as the width does; then the
// vertical pass goes first (Pillow PR #9549). The order matters because the intermediate image is rounded to
// 8 bits. Each output sample is 2^21 + Σ pixel·weight in 32-bit integers, shifted right by 22 and clipped to
// 0…255, so results are bit-identical to Pillow's 8-bit path.

extension RGBImage {
    /// This image scaled down (Pillow's bilinear) so its longer side is at most `side`, keeping its aspect; itself
    /// when it already fits.
    public func scaledDown(toFit side: Int) throws -> RGBImage {
        let longer = max(width, height)
        guard longer > side else { return self }
        let scale = Double(side) / Double(longer)
        return try resized(width: max(1, Int((Double(width) * scale).rounded())),
                           height: max(1, Int((Double(height) * scale).rounded())), filter: .bilinear)
    }

    /// This image resized to `width` × `height` with Pillow's resampling `filter`.
    public func resized(width newWidth: Int, height newHeight: Int, filter: ResampleFilter) throws -> RGBImage {
        guard newWidth > 0, newHeight > 0 else { throw ImageError.zeroSize(width: newWidth, height: newHeight) }
        let vertical = ResampleCoefficients(inputSize: height, outputSize: newHeight, filter: filter)
        let horizontal = ResampleCoefficients(inputSize: width, outputSize: newWidth, filter: filter)
        switch (newWidth != width, newHeight != height) {
        case (false, false):
            return self
        case (false, true):
            return resampleVertically(with: vertical, rowOffset: 0, outputHeight: newHeight)
        case (true, false):
            return resampleHorizontally(rows: 0..<height, with: horizontal, outputWidth: newWidth)
        case (true, true) where newHeight < height && height - newHeight > 2 * (width - newWidth):
            return resampleVertically(with: vertical, rowOffset: 0, outputHeight: newHeight)
                .resampleHorizontally(rows: 0..<newHeight, with: horizontal, outputWidth: newWidth)
        case (true, true):
            let firstRow = vertical.firstInput[0]
            let lastRow = vertical.firstInput[newHeight - 1] + vertical.inputCount[newHeight - 1]
            return resampleHorizontally(rows: firstRow..<lastRow, with: horizontal, outputWidth: newWidth)
                .resampleVertically(with: vertical, rowOffset: firstRow, outputHeight: newHeight)
        }
    }

    /// Resamples each row in `rowRange` to `outputWidth` columns; the result holds just those rows.
    private func resampleHorizontally(rows rowRange: Range<Int>, with taps: ResampleCoefficients,
                                      outputWidth: Int) -> RGBImage {
        var output = [UInt8](repeating: 0, count: rowRange.count * outputWidth * 3)
        pixels.withUnsafeBufferPointer { source in
            taps.weights.withUnsafeBufferPointer { weights in
                output.withUnsafeMutableBufferPointer { destination in
                    for (outputRow, sourceRow) in rowRange.enumerated() {
                        let sourceBase = sourceRow * width * 3
                        for column in 0..<outputWidth {
                            let first = taps.firstInput[column], count = taps.inputCount[column]
                            let weightBase = column * taps.tapsPerOutput
                            var red = Self.rounding, green = Self.rounding, blue = Self.rounding
                            for tap in 0..<count {
                                let weight = weights[weightBase + tap]
                                let index = sourceBase + (first + tap) * 3
                                red = red &+ Int32(source[index]) &* weight
                                green = green &+ Int32(source[index + 1]) &* weight
                                blue = blue &+ Int32(source[index + 2]) &* weight
                            }
                            let target = (outputRow * outputWidth + column) * 3
                            destination[target] = Self.clip8(red)
                            destination[target + 1] = Self.clip8(green)
                            destination[target + 2] = Self.clip8(blue)
                        }
                    }
                }
            }
        }
        return RGBImage(validatedWidth: outputWidth, height: rowRange.count, pixels: output)
    }

    /// Resamples every column to `outputHeight` rows; row r of `self` is source row r + `rowOffset`.
    private func resampleVertically(with taps: ResampleCoefficients, rowOffset: Int,
                                    outputHeight: Int) -> RGBImage {
        let rowBytes = width * 3
        var output = [UInt8](repeating: 0, count: outputHeight * rowBytes)
        pixels.withUnsafeBufferPointer { source in
            taps.weights.withUnsafeBufferPointer { weights in
                output.withUnsafeMutableBufferPointer { destination in
                    for row in 0..<outputHeight {
                        let first = taps.firstInput[row] - rowOffset, count = taps.inputCount[row]
                        let weightBase = row * taps.tapsPerOutput
                        for sample in 0..<rowBytes {
                            var total = Self.rounding
                            for tap in 0..<count {
                                let value = Int32(source[(first + tap) * rowBytes + sample])
                                total = total &+ value &* weights[weightBase + tap]
                            }
                            destination[row * rowBytes + sample] = Self.clip8(total)
                        }
                    }
                }
            }
        }
        return RGBImage(validatedWidth: width, height: outputHeight, pixels: output)
    }

    /// Half of one output level in fixed point: the accumulators start here so the final shift rounds.
    private static let rounding: Int32 = 1 << (ResampleCoefficients.precisionBits - 1)

    /// Pillow's clip8: the accumulator's integer part, clamped to 0…255.
    @inline(__always)
    private static func clip8(_ total: Int32) -> UInt8 {
        UInt8(clamping: total >> ResampleCoefficients.precisionBits)
    }
}
