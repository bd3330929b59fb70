// Every way reading or writing a safetensors file can fail, one case per problem,
// each with a message that names the file part, the tensor and the numbers involved.

/// A safetensors file, index or write request that cannot be used, and why.
public enum SafeTensorsError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened, inspected or mapped.
    case cannotOpen(path: String, reason: String)
    /// Fewer than the 8 bytes that hold the header length.
    case fileTooShort(bytes: Int)
    /// The header length field exceeds the limit the official library enforces.
    case headerTooLarge(bytes: UInt64, limit: Int)
    /// The header length field points past the end of the file.
    case headerPastEndOfFile(headerBytes: UInt64, fileBytes: Int)
    /// The header bytes are not valid UTF-8.
    case headerNotUTF8
    /// The header is not valid JSON.
    case headerNotJSON(reason: String)
    /// The header is valid JSON but not an object.
    case headerNotObject
    /// A tensor entry is not an object, lacks `dtype`, `shape` or `data_offsets`, or has the wrong types.
    case invalidEntry(name: String, reason: String)
    /// `__metadata__` is not a map from strings to strings.
    case invalidMetadata(reason: String)
    /// The same tensor name appears twice in the header.
    case duplicateTensorName(String)
    /// A dtype string outside the official list.
    case unknownDtype(name: String, dtype: String)
    /// A shape with an extent below zero.
    case negativeExtent(name: String, shape: [Int])
    /// A shape whose element count (or byte count) does not fit in Int.
    case elementCountOverflow(name: String, shape: [Int])
    /// A sub-byte dtype whose elements do not fill a whole number of bytes.
    case partialByte(name: String, dtype: SafeTensorsDType, shape: [Int])
    /// The byte range length differs from shape × dtype size.
    case sizeMismatch(name: String, dtype: SafeTensorsDType, shape: [Int], expectedBytes: Int, actualBytes: Int)
    /// `data_offsets` begin after they end, or end past the data section.
    case offsetsOutOfBounds(name: String, begin: Int, end: Int, dataBytes: Int)
    /// Two tensors claim some of the same bytes.
    case overlappingRanges(first: String, second: String)
    /// Bytes of the data section that no tensor covers (a hole between tensors, or trailing bytes).
    case uncoveredBytes(Range<Int>)
    /// No tensor of that name.
    case tensorNotFound(String)
    /// The tensor's dtype cannot be widened to Float.
    case unsupportedDtype(name: String, dtype: SafeTensorsDType)
    /// A `*.safetensors.index.json` that is not usable.
    case invalidIndex(path: String, reason: String)
    /// A shard named in the index does not exist.
    case shardMissing(shard: String, indexPath: String)
    /// The index maps a tensor to a shard that does not contain it.
    case tensorMissingFromShard(name: String, shard: String)
    /// The writer only writes F32, F16 and BF16.
    case writerUnsupportedDtype(SafeTensorsDType)
    /// A tensor name the writer cannot store (duplicate or reserved).
    case writerInvalidName(String, reason: String)
    /// Writing the output file failed.
    case writeFailed(path: String, reason: String)

    /// What is wrong, naming the file part, tensor and numbers involved.
    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "cannot open safetensors file \(path): \(reason)"
        case let .fileTooShort(bytes):
            return "safetensors file is \(bytes) bytes long; it needs at least 8 bytes for the header length"
        case let .headerTooLarge(bytes, limit):
            return "safetensors header length \(bytes) exceeds the limit of \(limit) bytes; the file is corrupt or not safetensors"
        case let .headerPastEndOfFile(headerBytes, fileBytes):
            return "safetensors header length \(headerBytes) reaches past the end of the \(fileBytes)-byte file; the file is truncated or not safetensors"
        case .headerNotUTF8:
            return "safetensors header is not valid UTF-8"
        case let .headerNotJSON(reason):
            return "safetensors header is not valid JSON: \(reason)"
        case .headerNotObject:
            return "safetensors header is JSON but not an object of tensor entries"
        case let .invalidEntry(name, reason):
            return "safetensors header entry \"\(name)\" is invalid: \(reason)"
        case let .invalidMetadata(reason):
            return "safetensors __metadata__ is invalid: \(reason)"
        case let .duplicateTensorName(name):
            return "safetensors header names tensor \"\(name)\" more than once"
        case let .unknownDtype(name, dtype):
            let known = SafeTensorsDType.allCases.map(\.rawValue).joined(separator: ", ")
            return "tensor \"\(name)\" has unknown dtype \"\(dtype)\"; known dtypes: \(known)"
        case let .negativeExtent(name, shape):
            return "tensor \"\(name)\" has a negative extent in shape \(shape)"
        case let .elementCountOverflow(name, shape):
            return "tensor \"\(name)\" with shape \(shape) has more elements or bytes than fit in a 64-bit integer"
        case let .partialByte(name, dtype, shape):
            return "tensor \"\(name)\" of \(dtype.rawValue) with shape \(shape) does not fill a whole number of bytes"
        case let .sizeMismatch(name, dtype, shape, expected, actual):
            return "tensor \"\(name)\" of \(dtype.rawValue) with shape \(shape) needs \(expected) bytes but its data_offsets span \(actual)"
        case let .offsetsOutOfBounds(name, begin, end, dataBytes):
            return "tensor \"\(name)\" has data_offsets [\(begin), \(end)] outside the \(dataBytes)-byte data section (or begin > end)"
        case let .overlappingRanges(first, second):
            return "tensors \"\(first)\" and \"\(second)\" have overlapping data_offsets"
        case let .uncoveredBytes(range):
            return "data bytes \(range.lowerBound)..<\(range.upperBound) belong to no tensor (a hole or trailing bytes); the file is corrupt"
        case let .tensorNotFound(name):
            return "no tensor named \"\(name)\""
        case let .unsupportedDtype(name, dtype):
            return "tensor \"\(name)\" has dtype \(dtype.rawValue), which cannot be read as Float (supported: F32, F16, BF16, F64, I64, I32)"
        case let .invalidIndex(path, reason):
            return "safetensors index \(path) is invalid: \(reason)"
        case let .shardMissing(shard, indexPath):
            return "shard \"\(shard)\" named by index \(indexPath) does not exist next to it"
        case let .tensorMissingFromShard(name, shard):
            return "the index maps tensor \"\(name)\" to shard \"\(shard)\", which does not contain it"
        case let .writerUnsupportedDtype(dtype):
            return "cannot write dtype \(dtype.rawValue); the writer supports F32, F16 and BF16"
        case let .writerInvalidName(name, reason):
            return "cannot write tensor \"\(name)\": \(reason)"
        case let .writeFailed(path, reason):
            return "cannot write safetensors file \(path): \(reason)"
        }
    }
}
