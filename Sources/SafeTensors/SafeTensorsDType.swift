// The element types a safetensors header may name (the official library's list) and their sizes.
// Sizes are in bits because F4 and the F6 types pack several elements into one byte.

/// An element type of a safetensors tensor, spelled as in the header (`"F32"`, `"BF16"`, …).
public enum SafeTensorsDType: String, CaseIterable, Sendable {
    case bool = "BOOL"
    case f4 = "F4"
    case f6e2m3 = "F6_E2M3"
    case f6e3m2 = "F6_E3M2"
    case u8 = "U8"
    case i8 = "I8"
    case f8e5m2 = "F8_E5M2"
    case f8e4m3 = "F8_E4M3"
    case f8e8m0 = "F8_E8M0"
    case f8e4m3fnuz = "F8_E4M3FNUZ"
    case f8e5m2fnuz = "F8_E5M2FNUZ"
    case i16 = "I16"
    case u16 = "U16"
    case f16 = "F16"
    case bf16 = "BF16"
    case i32 = "I32"
    case u32 = "U32"
    case f32 = "F32"
    case c64 = "C64"
    case f64 = "F64"
    case i64 = "I64"
    case u64 = "U64"

    /// Bits per element (4 for F4, 6 for the F6 types).
    public var bitSize: Int {
        switch self {
        case .f4: return 4
        case .f6e2m3, .f6e3m2: return 6
        case .bool, .u8, .i8, .f8e5m2, .f8e4m3, .f8e8m0, .f8e4m3fnuz, .f8e5m2fnuz: return 8
        case .i16, .u16, .f16, .bf16: return 16
        case .i32, .u32, .f32: return 32
        case .c64, .f64, .i64, .u64: return 64
        }
    }

    /// Bytes per element; 0 for the sub-byte types F4 and F6_*, whose sizes need `byteCount(elements:)`.
    public var byteSize: Int { bitSize % 8 == 0 ? bitSize / 8 : 0 }

    /// Bytes that `elements` values occupy, or nil when that overflows Int or is not a whole number of bytes.
    public func byteCount(elements: Int) -> Int? {
        let (bits, overflow) = elements.multipliedReportingOverflow(by: bitSize)
        guard !overflow, bits % 8 == 0 else { return nil }
        return bits / 8
    }

    /// Whether `SafeTensorsFile.tensor(_:)` can widen this type to Float.
    public var isWidenableToFloat: Bool {
        switch self {
        case .f32, .f16, .bf16, .f64, .i64, .i32: return true
        default: return false
        }
    }
}
