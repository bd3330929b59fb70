// JPEGDecoder: JPEG → RGB8 through libturbojpeg (tjDecompressHeader3 + tjDecompress2), with the settings
// Pillow's libjpeg decoder uses: the accurate integer IDCT ("islow") and fancy (smooth) chroma upsampling.
// Gray JPEGs are replicated to RGB; CMYK/YCCK JPEGs are taken as Adobe-inverted and converted to RGB with
// Pillow's formula. EXIF orientation is ignored, as `Image.open(f).convert("RGB")` ignores it.

import CTurboJPEG

/// Decodes JPEG files the way Pillow's `convert("RGB")` sees them.
enum JPEGDecoder {
    /// Decodes `bytes` (a complete JPEG file) after checking its declared size against `maxPixels`.
    static func decode(_ bytes: [UInt8], maxPixels: Int) throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw ImageError.unsupported(format: .jpeg, detail: "libturbojpeg could not create a decompressor")
        }
        defer { tjDestroy(handle) }
        return try bytes.withUnsafeBufferPointer { source in
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            let headerStatus = tjDecompressHeader3(handle, source.baseAddress, UInt(source.count), &width, &height,
                                                   &subsampling, &colorspace)
            // A warning while parsing the header (e.g. extraneous bytes) still yields the size; decompress()
            // decides whether it is one Pillow tolerates. A fatal error leaves width and height at 0.
            let headerWarningOnly = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) && width > 0 && height > 0
            guard headerStatus == 0 || headerWarningOnly else { throw failure(handle) }
            try ImageDecoder.checkSize(format: .jpeg, width: Int(width), height: Int(height), maxPixels: maxPixels)
            let isCMYK = colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue)
            let samples = try decompress(handle, source, width: width, height: height, isCMYK: isCMYK)
            let pixels = isCMYK ? pillowCMYKToRGB(invertedCMYK: samples) : samples
            return RGBImage(validatedWidth: Int(width), height: Int(height), pixels: pixels)
        }
    }

    /// Decodes to RGB (or CMYK) samples. libjpeg warnings (extraneous bytes, a bad Huffman code, …) leave an
    /// image Pillow accepts, but running out of data is one Pillow refuses ("image file is truncated").
    /// TurboJPEG's error code cannot tell a warning followed by a fatal error from warnings alone, so the
    /// first pass stops at the first warning; only a non-truncation warning earns a second, lenient pass,
    /// which succeeds if libjpeg reported nothing beyond that first warning (libjpeg keeps the first warning's
    /// text unless a fatal error replaces it). A file with a benign warning *and* a later truncation is
    /// therefore accepted with its missing rows filled, where Pillow would refuse it.
    private static func decompress(_ handle: tjhandle, _ source: UnsafeBufferPointer<UInt8>, width: Int32,
                                   height: Int32, isCMYK: Bool) throws -> [UInt8] {
        let pixelFormat = Int32((isCMYK ? TJPF_CMYK : TJPF_RGB).rawValue)
        var samples = [UInt8](repeating: 0, count: Int(width) * Int(height) * (isCMYK ? 4 : 3))
        func run(_ flags: Int32) -> Int32 {
            samples.withUnsafeMutableBufferPointer { destination in
                tjDecompress2(handle, source.baseAddress, UInt(source.count), destination.baseAddress, width, 0,
                              height, pixelFormat, flags)
            }
        }
        if run(TJFLAG_ACCURATEDCT | TJFLAG_STOPONWARNING) == 0 { return samples }
        let firstMessage = message(handle)
        guard tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue) else {
            throw ImageError.corrupt(format: .jpeg, detail: firstMessage)
        }
        if firstMessage.contains(prematureEndMessage) {
            throw ImageError.truncated(format: .jpeg, detail: firstMessage)
        }
        if run(TJFLAG_ACCURATEDCT) == 0 || message(handle) == firstMessage { return samples }
        throw ImageError.corrupt(format: .jpeg, detail: message(handle))
    }

    /// libjpeg's JWRN_JPEG_EOF text: the data ended before the image did.
    private static let prematureEndMessage = "Premature end of JPEG file"

    private static func message(_ handle: tjhandle) -> String {
        tjGetErrorStr2(handle).map { String(cString: $0) } ?? "libturbojpeg reported an error without a message"
    }

    private static func failure(_ handle: tjhandle) -> ImageError {
        let text = message(handle)
        if text.contains(prematureEndMessage) { return .truncated(format: .jpeg, detail: text) }
        return .corrupt(format: .jpeg, detail: text)
    }

    /// Pillow reads 4-channel JPEGs with the "CMYK;I" raw mode (Adobe's inverted CMYK), then converts
    /// CMYK → RGB as `nk = 255 - K; R = nk - (C·nk)/255` with its MULDIV255 rounding. libjpeg hands back the
    /// stored (inverted) samples, so C = 255 - stored.
    static func pillowCMYKToRGB(invertedCMYK samples: [UInt8]) -> [UInt8] {
        let pixelCount = samples.count / 4
        var rgb = [UInt8](repeating: 0, count: pixelCount * 3)
        for pixel in 0..<pixelCount {
            let inverseBlack = Int(samples[4 * pixel + 3])  // 255 - K
            for channel in 0..<3 {
                let ink = 255 - Int(samples[4 * pixel + channel])
                let scaled = ink * inverseBlack + 128
                let product = ((scaled >> 8) + scaled) >> 8
                rgb[3 * pixel + channel] = UInt8(clamping: inverseBlack - product)
            }
        }
        return rgb
    }
}
