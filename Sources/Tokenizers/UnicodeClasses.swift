// The character classes of the reference tokenizer's regexes (Oniguruma, Unicode 16.0): \s, \p{L}, \p{N}, and
// the Rust regex crate's \w used by added-token options. Scalars first assigned after Unicode 16.0 are neither
// letters nor numbers there, so they are excluded here even when this Swift runtime knows them.

/// Unicode character classes with the reference's Unicode version.
enum UnicodeClasses {
    /// The Unicode version the reference `tokenizers` 0.23.3 classifies by (measured over all code points).
    static let referenceUnicodeVersion = (major: 16, minor: 0)

    /// `\s`: the Unicode White_Space property (tab … carriage return, space, NEL, NBSP, U+2000 … U+200A, …).
    @inline(__always)
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace
    }

    /// `\p{L}`: general category Lu, Ll, Lt, Lm or Lo.
    static func isLetter(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return (scalar.value | 0x20) >= 0x61 && (scalar.value | 0x20) <= 0x7A }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return isKnownToReference(scalar)
        default:
            return false
        }
    }

    /// `\p{N}`: general category Nd, Nl or No.
    static func isNumber(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.isASCII { return scalar.value >= 0x30 && scalar.value <= 0x39 }
        switch scalar.properties.generalCategory {
        case .decimalNumber, .letterNumber, .otherNumber:
            return isKnownToReference(scalar)
        default:
            return false
        }
    }

    /// The Rust regex crate's Unicode `\w`: Alphabetic, marks, decimal digits, connector punctuation, Join_Control.
    static func isWordCharacter(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation:
            return true
        default:
            return false
        }
    }

    private static func isKnownToReference(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= referenceUnicodeVersion
    }
}
