// How form values become numbers, booleans and fields, checked over HTTP against what the runner's pydantic
// 2.7.2 / FastAPI 0.115.6 did with the same text (observed on the running runner and with pydantic's
// TypeAdapter): accepted values reach the backend with the value pydantic gives, refused ones give its 422.

import AsyncHTTPClient
import Foundation
import NIOCore
import Pipelines
import Server
import XCTest

final class FormParsingTests: XCTestCase {
    private static var shared: (TestServer, GatedBackend)?

    private func server() async throws -> (TestServer, GatedBackend) {
        if let shared = Self.shared { return shared }
        let backend = GatedBackend()
        backend.release()
        let server = try await TestServer(configuration: ServerConfiguration(modelID: backend.modelID)) { backend }
        Self.shared = (server, backend)
        return (server, backend)
    }

    override class func tearDown() {
        let server = shared?.0
        shared = nil
        let done = DispatchSemaphore(value: 0)
        Task { await server?.stop(); done.signal() }
        done.wait()
    }

    /// Posts a form with `field` = `value`; returns the status, body and the request the backend received.
    private func submit(_ field: String, _ value: String) async throws -> (Int, String, PipelineRequest?) {
        let (server, backend) = try await server()
        var fields: [MultipartField] = [.text("prompt", "p"), ServerFixtures.imageField(), .text("seed", "3")]
        fields.removeAll { if case let .text(name, _) = $0 { return name == field } else { return false } }
        let before = backend.startedCount
        let (response, body) = try await server.post(fields + [.text(field, value)])
        return (Int(response.status.code), body, backend.startedCount > before ? backend.lastRequest : nil)
    }

    func testFloatsParseAsPydanticDoes() async throws {
        let accepted: [(String, Double)] = [
            ("1", 1), (" 0.5 ", 0.5), ("1_0e-1", 1), ("1._5e-1", 0.15), (".5", 0.5), ("5.e-1", 0.5), ("+.5", 0.5),
            ("-0", 0), ("1E-2", 0.01), ("\t0.25\n", 0.25), ("\u{a0}0.75", 0.75), ("1e-400", 0),
        ]
        for (text, expected) in accepted {
            let (status, body, request) = try await submit("strength", text)
            XCTAssertEqual(status, 200, "\(text.debugDescription): \(body)")
            XCTAssertEqual(request?.strength, expected, "strength \(text.debugDescription)")
        }
        for text in ["_1", "1__0", "0x10", "1,5", "１", "--1", "1.5f", "infinit", ".", " ", "e5", "1.5e", "+-1"] {
            let (status, body, _) = try await submit("strength", text)
            XCTAssertEqual(status, 422, text.debugDescription)
            XCTAssertTrue(body.contains(#""type":"float_parsing""#), "\(text.debugDescription): \(body)")
        }
    }

    func testNonFiniteAndOutOfRangeStrengthsGetDiffusersMessages() async throws {
        let expected = [
            "inf": "but is inf.", "-Infinity": "but is -inf.", "1e400": "but is inf.", "1_0": "but is 10.0.",
            "-1": "but is -1.0.", "1.0000001": "but is 1.0000001.", "2e16": "but is 2e+16.", "-0.00001": "but is -1e-05.",
        ]
        for (text, ending) in expected.sorted(by: { $0.key < $1.key }) {
            let (status, body, _) = try await submit("strength", text)
            XCTAssertEqual(status, 400, text)
            XCTAssertEqual(body, #"{"detail":{"msg":"Error during model execution: The value of strength should in [0.0, 1.0] "#
                + ending + #""}}"#, text)
        }
        let (status, body, _) = try await submit("strength", "NaN")
        XCTAssertEqual(status, 400)
        XCTAssertEqual(body, #"{"detail":{"msg":"Error during model execution: cannot convert float NaN to integer."}}"#)
    }

    func testIntegersParseAsPydanticDoes() async throws {
        let accepted: [(String, Int)] = [
            ("1", 1), (" 2 ", 2), ("1_0", 10), ("+3", 3), ("007", 7), ("3.0", 3), ("3.000", 3), (" 3.0 ", 3),
            ("-0.0", 0), ("1_0.0", 10), ("\u{a0}5", 5),
        ]
        for (text, expected) in accepted {
            let (status, body, request) = try await submit("num_inference_steps", text)
            XCTAssertEqual(status, 200, "\(text.debugDescription): \(body)")
            XCTAssertEqual(request?.steps, expected >= 1 ? expected : 50, "steps \(text.debugDescription) (< 1: the default, 50)")
        }
        for text in ["3.5", "1e3", "0x10", "3.", ".0", "3.0_0", "- 3", "3 .0", "1__0", "_1", "１２", "", "two"] {
            let (status, body, _) = try await submit("seed", text)
            XCTAssertEqual(status, 422, text.debugDescription)
            XCTAssertTrue(body.contains(#""type":"int_parsing""#), "\(text.debugDescription): \(body)")
        }
    }

    func testSeedsAreEchoedExactlyAcrossTorchsRange() async throws {
        let cases: [(String, String, UInt64)] = [  // text, echoed seed, the generator's seed
            ("18446744073709551615", "18446744073709551615", .max), ("-9223372036854775808", "-9223372036854775808", 1 << 63),
            ("-1", "-1", .max), ("3.0", "3", 3), ("0", "0", 0),
        ]
        for (text, echoed, generatorSeed) in cases {
            let (status, body, request) = try await submit("seed", text)
            XCTAssertEqual(status, 200, text)
            XCTAssertTrue(body.contains(#""seed":\#(echoed),"#), "\(text): \(body)")
            XCTAssertEqual(request.map { UInt64(truncatingIfNeeded: $0.seed) }, generatorSeed, text)
        }
    }

    func testBooleansParseAsPydanticDoes() async throws {
        for (text, expected) in [("true", true), ("TRUE", true), ("1", true), ("yes", true), ("on", true), ("t", true),
                                 ("Y", true), ("false", false), ("0", false), ("No", false), ("OFF", false), ("f", false),
                                 ("n", false)] {
            let (status, _, request) = try await submit("safety_check", text)
            XCTAssertEqual(status, 200, text)
            XCTAssertEqual(request?.safetyCheck, expected, text)
        }
        for text in [" true", "true ", "2", "1.0", "ja", "maybe"] {
            let (status, body, _) = try await submit("safety_check", text)
            XCTAssertEqual(status, 422, text.debugDescription)
            XCTAssertTrue(body.contains(#""type":"bool_parsing""#), body)
        }
    }

    func testEmptyValuesFallBackToDefaultsExceptForSeed() async throws {
        let (status, body, request) = try await submit("strength", "")
        XCTAssertEqual(status, 200, body)
        XCTAssertEqual(request?.strength, 0.8)
        let (seedStatus, seedBody, _) = try await submit("seed", "")
        XCTAssertEqual(seedStatus, 422)
        XCTAssertEqual(seedBody, #"{"detail":[{"type":"int_parsing","loc":["body","seed"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":""}]}"#)
    }

    func testEmptyPromptIsAcceptedAsTheRunnerDoes() async throws {
        let (status, body, request) = try await submit("prompt", "")
        XCTAssertEqual(status, 200, body)
        XCTAssertEqual(request?.prompt, "")
    }

    func testTheLastValueOfARepeatedFieldWins() async throws {
        let (server, backend) = try await server()
        let fields: [MultipartField] = [.text("prompt", "first"), ServerFixtures.imageField(), .text("prompt", "second")]
        let (response, _) = try await server.post(fields)
        XCTAssertEqual(response.status.code, 200)
        XCTAssertEqual(backend.lastRequest?.prompt, "second")
    }

    func testValidationInputIsEchoedWithPythonsJSONEscaping() async throws {
        let (status, body, _) = try await submit("strength", "\"\\/é\u{1}\n")
        XCTAssertEqual(status, 422)
        XCTAssertTrue(body.contains(#""input":"\"\\/é\u0001\n""#), body)
    }

    func testAFileWhereTextIsExpectedIsATypeError() async throws {
        let (server, _) = try await server()
        let fields: [MultipartField] = [.text("prompt", "p"), ServerFixtures.imageField(),
                                        .file("seed", filename: "x.bin", contentType: "application/octet-stream", bytes: [1, 2, 3, 4])]
        let (response, body) = try await server.post(fields)
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(body, #"{"detail":[{"type":"int_type","loc":["body","seed"],"msg":"Input should be a valid integer","input":{"filename":"x.bin","file":{"_file":{},"_max_size":1048576,"_rolled":false,"_TemporaryFileArgs":{"mode":"w+b","buffering":-1,"suffix":null,"prefix":null,"encoding":null,"newline":null,"dir":null,"errors":null}},"size":4,"headers":{"content-disposition":"form-data; name=\"seed\"; filename=\"x.bin\"","content-type":"application/octet-stream"}}}]}"#)
    }

    func testNonFormBodiesAreEmptyFormsAndUrlEncodedFormsAreRead() async throws {
        let (server, _) = try await server()
        let json = rawPost(port: server.port, contentType: "application/json", body: #"{"prompt":"x"}"#)
        let (jsonResponse, jsonBody) = try await server.send(json)
        XCTAssertEqual(jsonResponse.status.code, 422)
        XCTAssertEqual(jsonBody, #"{"detail":[{"type":"missing","loc":["body","prompt"],"msg":"Field required","input":null},{"type":"missing","loc":["body","image"],"msg":"Field required","input":null}]}"#)
        let urlEncoded = rawPost(port: server.port, contentType: "application/x-www-form-urlencoded",
                                 body: "prompt=a+b%21&strength=abc")
        let (formResponse, formBody) = try await server.send(urlEncoded)
        XCTAssertEqual(formResponse.status.code, 422)
        XCTAssertEqual(formBody, #"{"detail":[{"type":"missing","loc":["body","image"],"msg":"Field required","input":null},{"type":"float_parsing","loc":["body","strength"],"msg":"Input should be a valid number, unable to parse string as a number","input":"abc"}]}"#)
    }

    func testABrokenMultipartBodyKeepsTheFieldsBeforeTheDamage() async throws {
        let (server, _) = try await server()
        let body = "--\(MultipartBody.boundary)\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\ncat\r\n"
            + "--\(MultipartBody.boundary)\r\nnonsense without colon\r\n"
        let request = rawPost(port: server.port, contentType: MultipartBody([]).contentType, body: body)
        let (response, text) = try await server.send(request)
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(text, #"{"detail":[{"type":"missing","loc":["body","image"],"msg":"Field required","input":null}]}"#)
    }

    /// MultipartKit 4.7.1 traps on such a byte (found by Fuzz/FuzzMultipartForm); it must end the form instead.
    func testANonASCIIByteInAPartHeaderNameEndsTheFormInsteadOfCrashing() async throws {
        let (server, _) = try await server()
        let body = "--\(MultipartBody.boundary)\r\nContent-Disposition: form-data; name=\"prompt\"\r\n\r\ncat\r\n"
            + "--\(MultipartBody.boundary)\r\nContent-Typé: image/png\r\n\r\nxyz\r\n--\(MultipartBody.boundary)--\r\n"
        let request = rawPost(port: server.port, contentType: MultipartBody([]).contentType, body: body)
        let (response, text) = try await server.send(request)
        XCTAssertEqual(response.status.code, 422)
        XCTAssertEqual(text, #"{"detail":[{"type":"missing","loc":["body","image"],"msg":"Field required","input":null}]}"#)
    }
}

/// A POST to /image-to-image with a raw body.
func rawPost(port: Int, contentType: String, body: String) -> HTTPClientRequest {
    var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/image-to-image")
    request.method = .POST
    request.headers.add(name: "Content-Type", value: contentType)
    request.body = .bytes(ByteBuffer(string: body))
    return request
}
