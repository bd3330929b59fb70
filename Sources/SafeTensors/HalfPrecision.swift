// Exact F16/BF16 → Float widening and round-to-nearest-even Float → F16/BF16 narrowing, on bit patterns
// (portable: no Float16 type needed). NaN narrowing matches torch's CPU tensor conversion.

/// The Float equal to the IEEE binary16 value with bit pattern `bits` (exact, subnormals included).
@inlinable
public func floatFromHalfBits(_ bits: UInt16) -> Float {
    let magnitude = UInt32(bits & 0x7FFF) << 13
    let exponent = magnitude & 0x0F80_0000
    var widened = magnitude &+ 0x3800_0000              // rebias the exponent: (127 - 15) << 23
    if exponent == 0x0F80_0000 {
        widened &+= 0x3800_0000                         // Inf / NaN: exponent all ones
    } else if exponent == 0 {
        // Subnormal or zero: read the mantissa as 2^-14 · (1 + m/1024), then subtract 2^-14 (exact).
        widened = (Float(bitPattern: widened &+ 0x0080_0000) - Float(bitPattern: 0x3880_0000)).bitPattern
    }
    return Float(bitPattern: widened | UInt32(bits & 0x8000) << 16)
}

/// The Float equal to the bfloat16 value with bit pattern `bits` (exact: the upper half of a Float).
@inlinable
public func floatFromBFloat16Bits(_ bits: UInt16) -> Float {
    Float(bitPattern: UInt32(bits) << 16)
}

/// The binary16 bit pattern nearest to `value` (ties to even; overflow → ±Inf; NaN → sign | 0x7E00, as torch).
@inlinable
public func halfBits(from value: Float) -> UInt16 {
    let sign = UInt16(truncatingIfNeeded: (value.bitPattern >> 16) & 0x8000)
    let magnitude = value.bitPattern & 0x7FFF_FFFF
    if magnitude >= 0x4780_0000 {                       // |value| ≥ 65536, Inf or NaN
        return sign | (magnitude > 0x7F80_0000 ? 0x7E00 : 0x7C00)
    }
    if magnitude < 0x3880_0000 {                        // below 2^-14: the result is subnormal or zero
        // Adding 0.5 aligns the 10 result bits at the bottom of the mantissa; the FPU rounds to even.
        let aligned = (Float(bitPattern: magnitude) + 0.5).bitPattern &- 0x3F00_0000
        return sign | UInt16(truncatingIfNeeded: aligned)
    }
    let mantissaOdd = (magnitude >> 13) & 1
    let rounded = magnitude &+ 0xC800_0FFF &+ mantissaOdd   // rebias ((15 - 127) << 23) plus rounding bias
    return sign | UInt16(truncatingIfNeeded: rounded >> 13)
}

/// The bfloat16 bit pattern nearest to `value` (ties to even; NaN → 0xFFFF, as torch's CPU tensor cast).
@inlinable
public func bfloat16Bits(from value: Float) -> UInt16 {
    if value.isNaN { return 0xFFFF }
    let bits = value.bitPattern
    return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
}
