// PNGChunkStream: walks a PNG file's chunks and rebuilds the stream libpng is given — the signature and the
// critical chunks only (IHDR, PLTE, IDAT, IEND). Pillow's convert("RGB") ignores every ancillary chunk
// (gAMA, cHRM, sRGB, iCCP, tRNS, eXIf, …) while libpng's simplified API would apply gamma and transparency,
// so dropping them is what makes libpng's pixels equal Pillow's.

/// The fields of a PNG's IHDR chunk.
struct PNGHeader: Equatable {
    var width: Int
    var height: Int
    var bitDepth: UInt8
    var colorType: UInt8
    var compression: UInt8
    var filter: UInt8
    var interlace: UInt8

    /// PNG colour types (IHDR byte 9).
    static let gray: UInt8 = 0, rgb: UInt8 = 2, palette: UInt8 = 3, grayAlpha: UInt8 = 4, rgba: UInt8 = 6

    /// The 13-byte IHDR payload for these fields.
    var encoded: [UInt8] {
        func bigEndian(_ value: Int) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) } }
        return bigEndian(width) + bigEndian(height) + [bitDepth, colorType, compression, filter, interlace]
    }
}

/// A PNG reduced to its header and critical chunks, ready to be re-emitted for libpng.
struct PNGChunkStream {
    struct Chunk {
        var type: ArraySlice<UInt8>
        var data: ArraySlice<UInt8>
        var crc: ArraySlice<UInt8>
    }

    let header: PNGHeader
    /// The critical chunks after IHDR, in file order, ending with IEND.
    let body: [Chunk]

    /// Parses `bytes` (which start with the PNG signature) and checks the CRC of IHDR and every ancillary chunk.
    init(parsing bytes: [UInt8]) throws {
        let chunks = try Self.splitChunks(bytes)
        guard let first = chunks.first, first.type.elementsEqual(Self.ihdr), first.data.count == 13 else {
            throw ImageError.corrupt(format: .png, detail: "the first chunk is not a 13-byte IHDR")
        }
        // libpng checks the CRCs of the critical chunks it is given (but not of a rewritten IHDR); the rest are
        // checked here. Pillow checks them too, except IDAT's.
        for chunk in chunks where (chunk.type.elementsEqual(Self.ihdr) || !Self.isCritical(chunk.type))
            && !Self.crcMatches(chunk) {
            throw ImageError.corrupt(format: .png, detail: "\(String(decoding: chunk.type, as: UTF8.self)): CRC error")
        }
        header = Self.parseHeader(first.data)
        body = chunks.dropFirst().filter { Self.isCritical($0.type) }
    }

    /// The chunks of `bytes` up to and including IEND. A file that ends cleanly after some IDAT data but
    /// without IEND gets one appended (Pillow decodes such files when the image data is complete).
    private static func splitChunks(_ bytes: [UInt8]) throws -> [Chunk] {
        var position = ImageFormat.pngSignature.count
        var chunks: [Chunk] = []
        while position < bytes.count {
            guard bytes.count - position >= 12 else {
                throw ImageError.truncated(format: .png, detail: "the file ends in a chunk header at byte \(position)")
            }
            let length = bytes[position..<position + 4].reduce(0) { $0 << 8 | Int($1) }
            let type = bytes[position + 4..<position + 8]
            guard length <= Int(Int32.max) else {
                throw ImageError.corrupt(format: .png, detail: "chunk length \(length) at byte \(position) > 2^31-1")
            }
            let dataStart = position + 8
            guard bytes.count - dataStart >= length + 4 else {
                let name = String(decoding: type, as: UTF8.self)
                throw ImageError.truncated(format: .png, detail: "the file ends in the \(name) chunk at \(position)")
            }
            chunks.append(Chunk(type: type, data: bytes[dataStart..<dataStart + length],
                                crc: bytes[dataStart + length..<dataStart + length + 4]))
            position = dataStart + length + 4
            if type.elementsEqual(iend) { return chunks }
        }
        guard chunks.contains(where: { $0.type.elementsEqual(idat) }) else {
            throw ImageError.truncated(format: .png, detail: "the file ends before any image data")
        }
        return chunks + [Chunk(type: ArraySlice(iend), data: [], crc: ArraySlice(iendCRC))]
    }

    /// The PNG byte stream with `header` in place of the file's IHDR and only the critical chunks.
    func encoded(header: PNGHeader) -> [UInt8] {
        let ihdrData = ArraySlice(header.encoded)
        let ihdrCRC = CRC32.checksum([ArraySlice(Self.ihdr), ihdrData])
        var out = ImageFormat.pngSignature
        out.reserveCapacity(body.reduce(64) { $0 + $1.data.count + 12 })
        let ihdrChunk = Chunk(type: ArraySlice(Self.ihdr), data: ihdrData, crc: ArraySlice(Self.bigEndian(ihdrCRC)))
        Self.append(ihdrChunk, to: &out)
        for chunk in body { Self.append(chunk, to: &out) }
        return out
    }

    private static let ihdr = Array("IHDR".utf8), idat = Array("IDAT".utf8), iend = Array("IEND".utf8)
    private static let iendCRC: [UInt8] = [0xAE, 0x42, 0x60, 0x82]

    /// Critical chunks have an upper-case first letter (bit 5 clear).
    private static func isCritical(_ type: ArraySlice<UInt8>) -> Bool { (type.first ?? 0) & 0x20 == 0 }

    private static func crcMatches(_ chunk: Chunk) -> Bool {
        bigEndian(CRC32.checksum([chunk.type, chunk.data]))[...].elementsEqual(chunk.crc)
    }

    private static func parseHeader(_ data: ArraySlice<UInt8>) -> PNGHeader {
        let bytes = Array(data)
        func int32(_ at: Int) -> Int { bytes[at..<at + 4].reduce(0) { $0 << 8 | Int($1) } }
        return PNGHeader(width: int32(0), height: int32(4), bitDepth: bytes[8], colorType: bytes[9],
                         compression: bytes[10], filter: bytes[11], interlace: bytes[12])
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        (0..<4).map { UInt8(truncatingIfNeeded: value >> (24 - 8 * $0)) }
    }

    private static func append(_ chunk: Chunk, to out: inout [UInt8]) {
        out += bigEndian(UInt32(chunk.data.count))
        out += chunk.type
        out += chunk.data
        out += chunk.crc
    }
}

extension ImageDecoder {
    /// For the fuzz targets: the stream `PNGDecoder` hands libpng for the PNG file `bytes` (its own IHDR).
    @_spi(Fuzzing) public static func criticalPNGStream(_ bytes: [UInt8]) throws -> [UInt8] {
        let stream = try PNGChunkStream(parsing: bytes)
        return stream.encoded(header: stream.header)
    }
}
