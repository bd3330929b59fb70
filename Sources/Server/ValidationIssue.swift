// One entry of FastAPI's 422 body, `{"type":…,"loc":["body",field],"msg":…,"input":…[,"ctx":…]}`, with the
// pydantic error types and messages the runner produces for its form fields.

/// A field that failed validation, in FastAPI's shape.
struct ValidationIssue: Equatable, Sendable {
    var type: String
    var field: String
    var message: String
    var input: ResponseJSON
    var context: ResponseJSON?

    /// The JSON object FastAPI writes for this issue.
    var json: ResponseJSON {
        var members: [(String, ResponseJSON)] = [
            ("type", .string(type)),
            ("loc", .array([.string("body"), .string(field)])),
            ("msg", .string(message)),
            ("input", input),
        ]
        if let context { members.append(("ctx", context)) }
        return .object(members)
    }

    static func missing(_ field: String) -> ValidationIssue {
        ValidationIssue(type: "missing", field: field, message: "Field required", input: .null)
    }

    static func floatParsing(_ field: String, _ text: String) -> ValidationIssue {
        ValidationIssue(type: "float_parsing", field: field,
                        message: "Input should be a valid number, unable to parse string as a number", input: .string(text))
    }

    static func intParsing(_ field: String, _ text: String) -> ValidationIssue {
        ValidationIssue(type: "int_parsing", field: field,
                        message: "Input should be a valid integer, unable to parse string as an integer", input: .string(text))
    }

    static func boolParsing(_ field: String, _ text: String) -> ValidationIssue {
        ValidationIssue(type: "bool_parsing", field: field,
                        message: "Input should be a valid boolean, unable to interpret input", input: .string(text))
    }

    /// A text value where the runner expects an uploaded file.
    static func notAFile(_ field: String, _ text: String) -> ValidationIssue {
        ValidationIssue(type: "value_error", field: field,
                        message: "Value error, Expected UploadFile, received: <class 'str'>", input: .string(text),
                        context: .object([("error", .object([]))]))
    }

    /// An uploaded file where the runner expects a scalar of `kind`.
    static func fileForScalar(_ field: String, _ kind: ScalarKind, _ file: UploadedFile) -> ValidationIssue {
        ValidationIssue(type: kind.typeErrorName, field: field, message: kind.typeErrorMessage,
                        input: uploadFileJSON(file))
    }

    /// How FastAPI's `jsonable_encoder` renders a Starlette `UploadFile` (a spooled temporary file of 1 MiB).
    static func uploadFileJSON(_ file: UploadedFile) -> ResponseJSON {
        let temporaryFileArguments: [(String, ResponseJSON)] = [
            ("mode", .string("w+b")), ("buffering", .int(-1)), ("suffix", .null), ("prefix", .null),
            ("encoding", .null), ("newline", .null), ("dir", .null), ("errors", .null),
        ]
        let spooled: [(String, ResponseJSON)] = [
            ("_file", .object([])), ("_max_size", .int(1_048_576)), ("_rolled", .bool(file.bytes.count > 1_048_576)),
            ("_TemporaryFileArgs", .object(temporaryFileArguments)),
        ]
        return .object([
            ("filename", .string(file.filename)),
            ("file", .object(spooled)),
            ("size", .int(Int128(file.bytes.count))),
            ("headers", .object(file.headers.map { ($0.name, .string($0.value)) })),
        ])
    }
}

/// The scalar types of the form's fields, named as pydantic names them in type errors.
enum ScalarKind {
    case string, number, integer, boolean

    var typeErrorName: String {
        switch self {
        case .string: return "string_type"
        case .number: return "float_type"
        case .integer: return "int_type"
        case .boolean: return "bool_type"
        }
    }

    var typeErrorMessage: String {
        switch self {
        case .string: return "Input should be a valid string"
        case .number: return "Input should be a valid number"
        case .integer: return "Input should be a valid integer"
        case .boolean: return "Input should be a valid boolean"
        }
    }
}
