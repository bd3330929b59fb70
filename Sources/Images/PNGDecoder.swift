// PNGDecoder: PNG → RGB8 with the values of Pillow's `Image.open(f).convert("RGB")`, decoded by libpng's
// simplified API. Ancillary chunks are dropped first (see PNGChunkStream); then each colour type is read in
// the png_image format that reproduces Pillow's mapping:
//   8-bit and lower, palette  → PNG_FORMAT_RGB / RGBA (alpha dropped, never composited: Pillow drops it too)
//   16-bit gray  (Pillow "I;16")  → PNG_FORMAT_LINEAR_Y, raw values, then min(v, 255) as Pillow's I;16→RGB does
//   16-bit RGB   (Pillow "RGB;16B") → PNG_FORMAT_LINEAR_RGB, raw values, then v >> 8 (Pillow keeps the high byte)
//   16-bit gray+alpha (Pillow "LA;16B") → header relabelled as 8-bit RGBA, see `readGrayAlpha16`
//   16-bit RGBA (Pillow "RGBA;16B") → see `readRGBA16`: exact for opaque pixels, within 1 level for the
//     others (interlaced files: only where alpha ≥ 129 of 65535).

import CLibPNG

/// Decodes PNG files the way Pillow's `convert("RGB")` sees them.
enum PNGDecoder {
    /// Decodes `bytes` (a complete PNG file) after checking its declared size against `maxPixels`.
    static func decode(_ bytes: [UInt8], maxPixels: Int) throws -> RGBImage {
        let stream = try PNGChunkStream(parsing: bytes)
        let header = stream.header
        try ImageDecoder.checkSize(format: .png, width: header.width, height: header.height, maxPixels: maxPixels)
        switch (header.colorType, header.bitDepth) {
        case (PNGHeader.gray, 16): return try readGray16(stream)
        case (PNGHeader.rgb, 16): return try readRGB16(stream)
        case (PNGHeader.grayAlpha, 16): return try readGrayAlpha16(stream)
        case (PNGHeader.rgba, 16): return try readRGBA16(stream)
        case (PNGHeader.grayAlpha, _), (PNGHeader.rgba, _):
            let samples = try LibPNGReader.read(stream.encoded(header: header), format: PNGImageFormat.rgba,
                                                channels: 4, as: UInt8.self)
            return dropAlpha(samples)
        default:  // gray 1/2/4/8 and palette (expanded to 0…255 exactly as Pillow does), RGB 8
            let samples = try LibPNGReader.read(stream.encoded(header: header), format: PNGImageFormat.rgb,
                                                channels: 3, as: UInt8.self)
            return RGBImage(validatedWidth: samples.width, height: samples.height, pixels: samples.values)
        }
    }

    /// 16-bit gray: with no gAMA chunk libpng takes 16-bit data as linear, so a linear read returns the raw
    /// samples; Pillow's "I;16" → "RGB" conversion clips them to 255.
    private static func readGray16(_ stream: PNGChunkStream) throws -> RGBImage {
        let samples = try LibPNGReader.read(stream.encoded(header: stream.header),
                                            format: PNGImageFormat.linearGray, channels: 1, as: UInt16.self)
        var pixels = [UInt8](repeating: 0, count: samples.values.count * 3)
        for (index, value) in samples.values.enumerated() {
            let clipped = UInt8(min(value, 255))
            pixels[3 * index] = clipped
            pixels[3 * index + 1] = clipped
            pixels[3 * index + 2] = clipped
        }
        return RGBImage(validatedWidth: samples.width, height: samples.height, pixels: pixels)
    }

    /// 16-bit RGB: raw linear samples, reduced to their high byte as Pillow's "RGB;16B" unpacker does.
    private static func readRGB16(_ stream: PNGChunkStream) throws -> RGBImage {
        let samples = try LibPNGReader.read(stream.encoded(header: stream.header),
                                            format: PNGImageFormat.linearRGB, channels: 3, as: UInt16.self)
        return RGBImage(validatedWidth: samples.width, height: samples.height,
                        pixels: samples.values.map { UInt8($0 >> 8) })
    }

    /// 16-bit gray+alpha: libpng's linear formats premultiply alpha, which Pillow does not. A 16-bit GA pixel
    /// and an 8-bit RGBA pixel are both 4 bytes, so relabelling the header as 8-bit RGBA leaves the row
    /// filtering and Adam7 layout unchanged and makes libpng return the raw bytes [L_hi, L_lo, A_hi, A_lo];
    /// Pillow's "LA;16B" unpacker keeps L_hi.
    private static func readGrayAlpha16(_ stream: PNGChunkStream) throws -> RGBImage {
        var relabelled = stream.header
        relabelled.bitDepth = 8
        relabelled.colorType = PNGHeader.rgba
        let samples = try LibPNGReader.read(stream.encoded(header: relabelled), format: PNGImageFormat.rgba,
                                            channels: 4, as: UInt8.self)
        var pixels = [UInt8](repeating: 0, count: samples.width * samples.height * 3)
        for pixel in 0..<samples.width * samples.height {
            let high = samples.values[4 * pixel]
            pixels[3 * pixel] = high
            pixels[3 * pixel + 1] = high
            pixels[3 * pixel + 2] = high
        }
        return RGBImage(validatedWidth: samples.width, height: samples.height, pixels: pixels)
    }

    /// 16-bit RGBA: no 8-bit colour type has 8-byte pixels, so the relabelling trick is unavailable, and the
    /// simplified API offers only premultiplied linear samples or 8-bit samples scaled with rounding
    /// (v·255/65535) where Pillow truncates (v >> 8). Opaque pixels take the linear read (exact). Translucent
    /// ones take the 8-bit read (within one level) — except in interlaced files: libpng 1.6.39 garbles
    /// interlaced 16-bit images read into 8-bit formats (rows assembled from several Adam7 passes come out
    /// wrong), so there they are un-premultiplied from the linear read, which is exact only to about
    /// 65535 / (2·alpha) sixteen-bit steps and loses the colour of fully transparent pixels (decoded as black).
    private static func readRGBA16(_ stream: PNGChunkStream) throws -> RGBImage {
        let png = stream.encoded(header: stream.header)
        let linear = try LibPNGReader.read(png, format: PNGImageFormat.linearRGBA, channels: 4, as: UInt16.self)
        let pixelCount = linear.width * linear.height
        var pixels = [UInt8](repeating: 0, count: pixelCount * 3)
        var translucent: [Int] = []
        for pixel in 0..<pixelCount {
            let alpha = Int(linear.values[4 * pixel + 3])
            if alpha != 65535 { translucent.append(pixel) }
            for channel in 0..<3 {
                let premultiplied = Int(linear.values[4 * pixel + channel])
                let straight = alpha == 0 ? 0 : min(65535, (premultiplied * 65535 + alpha / 2) / alpha)
                pixels[3 * pixel + channel] = UInt8(straight >> 8)
            }
        }
        if !translucent.isEmpty && stream.header.interlace == 0 {
            let scaled = try LibPNGReader.read(png, format: PNGImageFormat.rgba, channels: 4,
                                               flags: UInt32(PNG_IMAGE_FLAG_16BIT_sRGB), as: UInt8.self)
            for pixel in translucent {
                for channel in 0..<3 { pixels[3 * pixel + channel] = scaled.values[4 * pixel + channel] }
            }
        }
        return RGBImage(validatedWidth: linear.width, height: linear.height, pixels: pixels)
    }

    /// The RGB of 8-bit RGBA samples; alpha is discarded, as Pillow's RGBA → RGB conversion does.
    private static func dropAlpha(_ samples: LibPNGReader.Samples<UInt8>) -> RGBImage {
        let pixelCount = samples.width * samples.height
        var pixels = [UInt8](repeating: 0, count: pixelCount * 3)
        for pixel in 0..<pixelCount {
            for channel in 0..<3 { pixels[3 * pixel + channel] = samples.values[4 * pixel + channel] }
        }
        return RGBImage(validatedWidth: samples.width, height: samples.height, pixels: pixels)
    }
}
