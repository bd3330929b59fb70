// Unicode NFC (UAX #15: full canonical decomposition, canonical ordering, canonical composition) with the
// Unicode 9.0 data of the reference's normaliser (the `unicode-normalization-alignments` crate): a scalar first
// assigned after 9.0 neither decomposes, nor reorders (combining class 0), nor composes. The data comes from
// this runtime's scalar properties restricted by age (decompositions, combining classes and composition
// exclusions never change once assigned); Hangul syllables are handled arithmetically. Written out because
// Foundation's NFC on Linux leaves marks unordered after multi-scalar decompositions (U+0F73 U+0F73),
// composes an astral starter as if it were its low 16 bits (U+10435 U+0300 → U+0450) and skips LV + T.

import Foundation

/// NFC as the reference tokenizer's normaliser computes it (Unicode 9.0 character data).
enum CanonicalComposition {
    /// The Unicode version of the reference's normalisation data (measured: marks of 10.0 do not reorder).
    static let referenceUnicodeVersion = (major: 9, minor: 0)

    /// The NFC form of `scalars`.
    static func nfc(_ scalars: [Unicode.Scalar]) -> [Unicode.Scalar] {
        // Below U+0300 there are no combining marks and every precomposed letter is its own NFC form.
        if scalars.allSatisfy({ $0.value < 0x300 }) { return scalars }
        var decomposed: [Unicode.Scalar] = []
        decomposed.reserveCapacity(scalars.count)
        for scalar in scalars { appendDecomposition(of: scalar, to: &decomposed) }
        orderCanonically(&decomposed)
        return compose(decomposed, pairs: tables.compositions)
    }

    /// Combining class with the reference's data: 0 for scalars it does not know.
    static func combiningClass(_ scalar: Unicode.Scalar) -> UInt8 {
        guard scalar.value >= 0x300, isKnownToReference(scalar) else { return 0 }
        return scalar.properties.canonicalCombiningClass.rawValue
    }

    private static func appendDecomposition(of scalar: Unicode.Scalar, to output: inout [Unicode.Scalar]) {
        if let jamo = Hangul.decompose(scalar) {
            output.append(contentsOf: jamo)
        } else if let mapping = tables.decompositions[scalar.value] {
            output.append(contentsOf: mapping)
        } else {
            output.append(scalar)
        }
    }

    /// Stable sort of every run of non-starters by combining class.
    private static func orderCanonically(_ scalars: inout [Unicode.Scalar]) {
        var index = 0
        while index < scalars.count {
            guard combiningClass(scalars[index]) != 0 else { index += 1; continue }
            var end = index + 1
            while end < scalars.count, combiningClass(scalars[end]) != 0 { end += 1 }
            if end - index > 1 {
                let run = scalars[index..<end].enumerated().sorted {
                    let (left, right) = (combiningClass($0.element), combiningClass($1.element))
                    return left != right ? left < right : $0.offset < $1.offset
                }
                scalars.replaceSubrange(index..<end, with: run.map(\.element))
            }
            index = end
        }
    }

    /// Canonical composition of canonically ordered, fully decomposed `scalars`.
    private static func compose(_ scalars: [Unicode.Scalar], pairs: [UInt64: Unicode.Scalar]) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(scalars.count)
        var starter: Int?
        for scalar in scalars {
            let combining = combiningClass(scalar)
            if let position = starter {
                let adjacent = position == result.count - 1
                let lastClass = combiningClass(result[result.count - 1])
                let blocked = !adjacent && (lastClass == 0 || lastClass >= combining)
                if !blocked, let composite = composePair(result[position], scalar, pairs: pairs) {
                    result[position] = composite
                    continue
                }
            }
            if combining == 0 { starter = result.count }
            result.append(scalar)
        }
        return result
    }

    private static func composePair(_ first: Unicode.Scalar, _ second: Unicode.Scalar,
                                    pairs: [UInt64: Unicode.Scalar]) -> Unicode.Scalar?
    {
        Hangul.compose(first, second) ?? pairs[UInt64(first.value) << 32 | UInt64(second.value)]
    }

    private static func isKnownToReference(_ scalar: Unicode.Scalar) -> Bool {
        guard let age = scalar.properties.age else { return false }
        return (age.major, age.minor) <= referenceUnicodeVersion
    }

    // MARK: - Tables

    private struct Tables {
        /// Full canonical decomposition of every decomposable scalar except Hangul syllables.
        var decompositions: [UInt32: [Unicode.Scalar]] = [:]
        /// (first, second) → primary composite, for every decomposable scalar not excluded from composition.
        var compositions: [UInt64: Unicode.Scalar] = [:]
    }

    private static let tables = buildTables()

    /// Code point ranges without canonical decompositions in any Unicode version, skipped when scanning:
    /// CJK ideographs, Hangul syllables (arithmetic), Yi, private use, Tangut, and everything above U+2FA1F.
    private static let rangesWithoutDecompositions: [ClosedRange<UInt32>] = [
        0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xAC00...0xD7A3, 0xE000...0xF8FF, 0x17000...0x18AFF,
        0x20000...0x2F7FF,
    ]

    private static func buildTables() -> Tables {
        var tables = Tables()
        var composites: [(scalar: Unicode.Scalar, decomposition: [Unicode.Scalar])] = []
        var value: UInt32 = 0xC0  // the first scalar with a canonical decomposition
        while value <= 0x2FA1F {
            if let range = rangesWithoutDecompositions.first(where: { $0.contains(value) }) {
                value = range.upperBound + 1
                continue
            }
            defer { value += 1 }
            guard let scalar = Unicode.Scalar(value), isKnownToReference(scalar) else { continue }
            var mapping = Array(String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars)
            guard mapping != [scalar] else { continue }
            orderCanonically(&mapping)
            tables.decompositions[value] = mapping
            if !scalar.properties.isFullCompositionExclusion { composites.append((scalar, mapping)) }
        }
        // A composite's pair is what composing its decomposition with the shorter composites leaves over.
        composites.sort { ($0.decomposition.count, $0.scalar.value) < ($1.decomposition.count, $1.scalar.value) }
        for (scalar, decomposition) in composites {
            let parts = compose(decomposition, pairs: tables.compositions)
            guard parts.count == 2 else { continue }
            tables.compositions[UInt64(parts[0].value) << 32 | UInt64(parts[1].value)] = scalar
        }
        return tables
    }
}

/// The arithmetic Hangul syllable ↔ conjoining jamo mapping of the Unicode standard (§3.12).
private enum Hangul {
    static let syllableBase: UInt32 = 0xAC00
    static let leadBase: UInt32 = 0x1100
    static let vowelBase: UInt32 = 0x1161
    static let trailBase: UInt32 = 0x11A7
    static let leadCount: UInt32 = 19
    static let vowelCount: UInt32 = 21
    static let trailCount: UInt32 = 28
    static let syllableCount = leadCount * vowelCount * trailCount

    /// L V or L V T jamo of a precomposed syllable; nil for other scalars.
    static func decompose(_ scalar: Unicode.Scalar) -> [Unicode.Scalar]? {
        let index = scalar.value &- syllableBase
        guard index < syllableCount else { return nil }
        let lead = leadBase + index / (vowelCount * trailCount)
        let vowel = vowelBase + (index % (vowelCount * trailCount)) / trailCount
        let trail = trailBase + index % trailCount
        let jamo = trail == trailBase ? [lead, vowel] : [lead, vowel, trail]
        return jamo.compactMap(Unicode.Scalar.init)
    }

    /// L + V → LV syllable, LV + T → LVT syllable; nil for other pairs.
    static func compose(_ first: Unicode.Scalar, _ second: Unicode.Scalar) -> Unicode.Scalar? {
        let leadIndex = first.value &- leadBase, vowelIndex = second.value &- vowelBase
        if leadIndex < leadCount, vowelIndex < vowelCount {
            return Unicode.Scalar(syllableBase + (leadIndex * vowelCount + vowelIndex) * trailCount)
        }
        let syllableIndex = first.value &- syllableBase, trailIndex = second.value &- trailBase
        if syllableIndex < syllableCount, syllableIndex % trailCount == 0, trailIndex > 0, trailIndex < trailCount {
            return Unicode.Scalar(first.value + trailIndex)
        }
        return nil
    }
}
