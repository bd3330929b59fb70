// Reads the 8-byte length and the JSON header of a safetensors file and validates every entry:
// known dtype, sane shape, offsets inside the data section, sizes that match, and ranges that tile it.

/// The validated header of a safetensors file: its tensor entries, metadata, and where the data starts.
struct SafeTensorsHeader {
    /// The largest header the official library accepts.
    static let maximumHeaderBytes = 100_000_000

    let tensors: [String: SafeTensorsTensorInfo]
    let metadata: [String: String]
    /// Offset of the data section from the start of the file (8 + header length).
    let dataOffset: Int

    /// Parses and validates the header of the whole file `file`.
    init(file: UnsafeRawBufferPointer) throws {
        guard file.count >= 8 else { throw SafeTensorsError.fileTooShort(bytes: file.count) }
        let headerLength = UInt64(littleEndian: file.loadUnaligned(as: UInt64.self))
        guard headerLength <= UInt64(SafeTensorsHeader.maximumHeaderBytes) else {
            throw SafeTensorsError.headerTooLarge(bytes: headerLength, limit: SafeTensorsHeader.maximumHeaderBytes)
        }
        guard headerLength <= UInt64(file.count - 8) else {
            throw SafeTensorsError.headerPastEndOfFile(headerBytes: headerLength, fileBytes: file.count)
        }
        dataOffset = 8 + Int(headerLength)
        let root = try SafeTensorsHeader.parseJSON(Array(file[8..<dataOffset]))
        guard case let .object(members) = root else { throw SafeTensorsError.headerNotObject }

        let dataBytes = file.count - dataOffset
        var tensors: [String: SafeTensorsTensorInfo] = [:]
        var metadata: [String: String]?
        for (name, value) in members {
            if name == "__metadata__" {
                guard metadata == nil else { throw SafeTensorsError.invalidMetadata(reason: "it appears twice") }
                metadata = try SafeTensorsHeader.parseMetadata(value)
                continue
            }
            guard tensors[name] == nil else { throw SafeTensorsError.duplicateTensorName(name) }
            tensors[name] = try SafeTensorsHeader.parseEntry(name: name, value: value, dataBytes: dataBytes)
        }
        try SafeTensorsHeader.checkRangesTile(tensors, dataBytes: dataBytes)
        self.tensors = tensors
        self.metadata = metadata ?? [:]
    }

    private static func parseJSON(_ header: [UInt8]) throws -> JSONValue {
        guard StrictJSONParser.isValidUTF8(header) else { throw SafeTensorsError.headerNotUTF8 }
        do {
            return try StrictJSONParser.parse(header)
        } catch let error as JSONSyntaxError {
            throw SafeTensorsError.headerNotJSON(reason: error.description)
        }
    }

    /// `__metadata__`: an object of string values (null counts as empty, as in the official library).
    private static func parseMetadata(_ value: JSONValue) throws -> [String: String] {
        if value == .null { return [:] }
        guard case let .object(members) = value else {
            throw SafeTensorsError.invalidMetadata(reason: "expected an object, found \(value.typeName)")
        }
        var metadata: [String: String] = [:]
        for (key, value) in members {
            guard case let .string(text) = value else {
                throw SafeTensorsError.invalidMetadata(reason: "value of \"\(key)\" is \(value.typeName), not a string")
            }
            guard metadata.updateValue(text, forKey: key) == nil else {
                throw SafeTensorsError.invalidMetadata(reason: "key \"\(key)\" appears twice")
            }
        }
        return metadata
    }

    /// One tensor entry: `{"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}`.
    private static func parseEntry(name: String, value: JSONValue, dataBytes: Int) throws -> SafeTensorsTensorInfo {
        func invalid(_ reason: String) -> SafeTensorsError { .invalidEntry(name: name, reason: reason) }
        guard case let .object(members) = value else { throw invalid("expected an object, found \(value.typeName)") }
        var fields: [String: JSONValue] = [:]
        for (key, value) in members {
            guard fields.updateValue(value, forKey: key) == nil else { throw invalid("field \"\(key)\" appears twice") }
        }
        guard case let .string(dtypeName)? = fields["dtype"] else { throw invalid(describe(fields["dtype"], "dtype", "a string")) }
        guard case let .array(shapeValues)? = fields["shape"] else { throw invalid(describe(fields["shape"], "shape", "an array")) }
        guard case let .array(offsetValues)? = fields["data_offsets"] else {
            throw invalid(describe(fields["data_offsets"], "data_offsets", "an array"))
        }
        let shape = try shapeValues.map { value -> Int in
            guard case let .number(number) = value, let extent = number.integer else {
                throw invalid("shape must hold integers that fit in 64 bits, found \(value.summary)")
            }
            return extent
        }
        let offsets = try offsetValues.map { value -> Int in
            guard case let .number(number) = value, let offset = number.integer, offset >= 0 else {
                throw invalid("data_offsets must hold non-negative integers that fit in 64 bits, found \(value.summary)")
            }
            return offset
        }
        guard offsets.count == 2 else { throw invalid("data_offsets must hold 2 integers, found \(offsets.count)") }
        guard let dtype = SafeTensorsDType(rawValue: dtypeName) else {
            throw SafeTensorsError.unknownDtype(name: name, dtype: dtypeName)
        }
        let byteCount = try expectedByteCount(name: name, dtype: dtype, shape: shape)
        let (begin, end) = (offsets[0], offsets[1])
        guard begin <= end, end <= dataBytes else {
            throw SafeTensorsError.offsetsOutOfBounds(name: name, begin: begin, end: end, dataBytes: dataBytes)
        }
        guard end - begin == byteCount else {
            throw SafeTensorsError.sizeMismatch(name: name, dtype: dtype, shape: shape,
                                                expectedBytes: byteCount, actualBytes: end - begin)
        }
        return SafeTensorsTensorInfo(dtype: dtype, shape: shape, byteRange: begin..<end)
    }

    private static func describe(_ value: JSONValue?, _ field: String, _ expected: String) -> String {
        guard let value else { return "missing field \"\(field)\"" }
        return "field \"\(field)\" must be \(expected), found \(value.typeName)"
    }

    /// shape × dtype size in bytes, rejecting negative extents and overflow.
    private static func expectedByteCount(name: String, dtype: SafeTensorsDType, shape: [Int]) throws -> Int {
        if shape.contains(where: { $0 < 0 }) { throw SafeTensorsError.negativeExtent(name: name, shape: shape) }
        var elements = 1
        for extent in shape {
            let (product, overflow) = elements.multipliedReportingOverflow(by: extent)
            if overflow { throw SafeTensorsError.elementCountOverflow(name: name, shape: shape) }
            elements = product
        }
        guard elements.multipliedReportingOverflow(by: dtype.bitSize).overflow == false else {
            throw SafeTensorsError.elementCountOverflow(name: name, shape: shape)
        }
        guard let bytes = dtype.byteCount(elements: elements) else {
            throw SafeTensorsError.partialByte(name: name, dtype: dtype, shape: shape)
        }
        return bytes
    }

    /// The ranges, sorted by offset, must cover `0..<dataBytes` exactly: no overlap, no hole, no trailing bytes.
    private static func checkRangesTile(_ tensors: [String: SafeTensorsTensorInfo], dataBytes: Int) throws {
        let sorted = tensors.sorted {
            ($0.value.byteRange.lowerBound, $0.value.byteRange.upperBound, $0.key)
                < ($1.value.byteRange.lowerBound, $1.value.byteRange.upperBound, $1.key)
        }
        var covered = 0
        var previous: String?
        for (name, info) in sorted {
            let range = info.byteRange
            if range.lowerBound < covered, let previous {
                throw SafeTensorsError.overlappingRanges(first: previous, second: name)
            }
            if range.lowerBound > covered { throw SafeTensorsError.uncoveredBytes(covered..<range.lowerBound) }
            covered = range.upperBound
            previous = name
        }
        if covered < dataBytes { throw SafeTensorsError.uncoveredBytes(covered..<dataBytes) }
    }
}
