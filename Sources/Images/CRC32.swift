// CRC-32 as PNG chunks use it (ISO 3309 polynomial 0xEDB88320, reflected, initial and final XOR 0xFFFFFFFF),
// computed byte by byte through a 256-entry table.

/// The CRC-32 of PNG chunks: `crc32(type + data)` is what the chunk's last four bytes must hold.
enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = (value & 1) != 0 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// The CRC-32 of the concatenation of `parts`.
    static func checksum(_ parts: [ArraySlice<UInt8>]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for part in parts {
            for byte in part { crc = table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        }
        return crc ^ 0xFFFF_FFFF
    }
}
