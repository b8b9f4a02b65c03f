import Testing
@testable import VauthWebAuthn

struct JSONTests {
    @Test func parsesAndKeepsMemberOrder() throws {
        let value = try JSONParser.parse(#" {"b": [1, -2.5e1, true, null], "a": {"x": "\u00e9\ud83d\ude00\n\/"}, "b2": false} "#)
        #expect(value == ["b": [1, .number(-25), true, nil], "a": ["x": "é😀\n/"], "b2": false])
        #expect(value.objectValue?.map(\.0) == ["b", "a", "b2"])
        #expect(try JSONParser.parse(#"{"k": 1, "k": 2}"#)["k"] == 2, "the last duplicate wins, as JSON.parse")
        #expect(try JSONParser.parse(Array("\u{FEFF}[]".utf8)) == [])
    }

    @Test(arguments: [
        "", "   ", "{", "[1,]", "{\"a\":1,}", "{'a':1}", "{\"a\" 1}", "// c\n{}", "[01]", "[1.]", "[.5]", "[-]",
        "[1e]", "tru", "nul", "\"\\x\"", "\"\\ud800\"", "\"\\udc00\"", "\"a\u{01}\"", "{} {}", "[\"\\u12\"]", "NaN",
    ])
    func rejectsMalformedJSON(_ text: String) {
        let error = clientError { _ = try JSONParser.parse(text) }
        #expect(error?.kind == .syntax, "\(text.debugDescription)")
        #expect(error?.message.hasPrefix("malformed JSON") == true)
    }

    @Test func rejectsInvalidUTF8AndDeepNesting() {
        #expect(clientError { _ = try JSONParser.parse([0x22, 0xff, 0x22]) }?.kind == .syntax)
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(clientError { _ = try JSONParser.parse(deep) }?.message.contains("nested deeper") == true)
        let ok = String(repeating: "[", count: 60) + String(repeating: "]", count: 60)
        #expect(throws: Never.self) { _ = try JSONParser.parse(ok) }
    }

    /// The in-place paths (issue 18 item 6, issue 28): strings with and without escapes, escapes
    /// after a plain prefix, integers read without text, long ones and fractions through Double.
    @Test func inPlaceParsingAgreesWithTheSlowPaths() throws {
        #expect(try JSONParser.parse(#"["plain", "pre\tfix", "\u00e9t\u00e9", "", "é漢😀"]"#)
                == ["plain", "pre\tfix", "été", "", "é漢😀"])
        #expect(try JSONParser.parse("[0, -0, 7, -257, 999999999999999, 1234567890123456789, 4294967295, 1.5, -2e3]")
                == .array([0, .number(-0.0), 7, -257, .number(999_999_999_999_999), .number(1_234_567_890_123_456_789),
                           .number(4_294_967_295), .number(1.5), .number(-2000)]))
        #expect(try JSONParser.parse("[-0]") .arrayValue?.first?.numberValue?.sign == .minus)
        // A String that is not native UTF-8 storage still parses (bridged or lazily made ones).
        let built = String(repeating: "[", count: 3) + String(repeating: "]", count: 3)
        #expect(try JSONParser.parse(built) == [[[]]])
    }

    @Test(arguments: [
        ([0xC0, 0x80], 1), ([0xE0, 0x80, 0x80], 1), ([0xED, 0xA0, 0x80], 1), ([0xF4, 0x90, 0x80, 0x80], 1),
        ([0xF8, 0x88, 0x80, 0x80, 0x80], 1), ([0xC3], 1), ([0xE2, 0x82], 1), ([0x80], 1), ([0xC3, 0x28], 1),
    ] as [([UInt8], Int)])
    func refusesEveryKindOfInvalidUTF8WithItsOffset(sequence: [UInt8], offset: Int) {
        // Inside a string after one ASCII byte: `"` then the sequence then `"`.
        let message = clientError { _ = try JSONParser.parse([0x22] + sequence + [0x22]) }?.message
        #expect(message == "malformed JSON: the input is not valid UTF-8 (at byte \(offset))", "\(sequence)")
    }

    @Test func acceptsEveryValidUTF8Boundary() throws {
        for scalar in ["\u{7F}", "\u{80}", "\u{7FF}", "\u{800}", "\u{D7FF}", "\u{E000}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}"] {
            let text = "\"" + String(repeating: "abcdefgh", count: 2) + scalar + "\""
            #expect(try JSONParser.parse(text).stringValue == String(repeating: "abcdefgh", count: 2) + scalar)
        }
    }

    /// Found by fuzzing (Tests/Fuzz/regressions/options-json/json-infinity-*): a number beyond a
    /// Double became infinity, which serialized as text that is not JSON.
    @Test func refusesNumbersBeyondADouble() throws {
        for text in ["[1e400]", "[-1e400]", "[0.4e00669999999]", "[123123e100000]"] {
            #expect(clientError { _ = try JSONParser.parse(text) }?.message.contains("is out of range") == true, "\(text)")
        }
        #expect(try JSONParser.parse("[1.7976931348623157e308]") == .array([.number(1.7976931348623157e308)]))
    }

    @Test func serializesLikeJSONStringify() {
        let value: JSONValue = ["id": "x\"y\\z\n\u{01}é", "n": .number(-257), "f": .number(0.5), "empty": [:], "list": [], "nested": [1, ["a": nil]]]
        #expect(value.serialized(.compact) == #"{"id":"x\"y\\z\n\u0001é","n":-257,"f":0.5,"empty":{},"list":[],"nested":[1,{"a":null}]}"#)
        #expect(value.serialized(.pretty) == """
        {
          "id": "x\\"y\\\\z\\n\\u0001é",
          "n": -257,
          "f": 0.5,
          "empty": {},
          "list": [],
          "nested": [
            1,
            {
              "a": null
            }
          ]
        }
        """)
        #expect(JSONValue.number(.infinity).serialized() == "null")
    }

    @Test func roundTrips() throws {
        let text = #"{"a":[1,2,{"b":"c\td"}],"e":true,"f":null,"g":-0.25}"#
        #expect(try JSONParser.parse(text).serialized(.compact) == text)
    }
}
