import SortgateConfig
import Testing

@Suite("JSONPointer (RFC 6901)")
struct JSONPointerTests {
    static let tokensCases: [(String, [String])] = [
        ("", [String]()),
        ("/", [""]),
        ("/foo", ["foo"]),
        ("/foo/0", ["foo", "0"]),
        ("/a~1b", ["a/b"]),
        ("/m~0n", ["m~n"]),
        // `~01` is `~` then `1`: ~1 must not be decoded after ~0 (RFC 6901 §4).
        ("/~01", ["~1"]),
        ("/tag reads/ü", ["tag reads", "ü"]),
        ("//x/", ["", "x", ""]),
    ]

    @Test("pointers parse into unescaped reference tokens", arguments: tokensCases)
    func tokens(text: String, tokens: [String]) throws {
        let pointer = try JSONPointer(text)
        #expect(pointer.tokens == tokens)
        #expect(pointer.text == text)
        #expect(pointer.description == text)
    }

    static let malformedCases: [(String, Int, String)] = [
        ("epc", 0, "a JSON pointer is empty or starts with '/' (write '/epc' for a top-level key)"),
        ("#/epc", 0, "a JSON pointer is empty or starts with '/' (write '/#/epc' for a top-level key)"),
        ("/a~2", 2, "'~' must be followed by 0 (for '~') or 1 (for '/')"),
        ("/a/b~", 4, "'~' must be followed by 0 (for '~') or 1 (for '/')"),
    ]

    @Test("malformed pointers are rejected with the offset and reason", arguments: malformedCases)
    func malformed(text: String, offset: Int, reason: String) {
        #expect(throws: JSONPointerError(pointer: text, offset: offset, reason: reason)) {
            _ = try JSONPointer(text)
        }
    }

    @Test("the error description names the field, pointer and offset")
    func errorDescription() {
        let error = JSONPointerError(pointer: "/a~2", offset: 2, reason: "bad escape", field: "rssi")
        #expect(error.description == "rssi: invalid JSON pointer '/a~2' at offset 2: bad escape")
        #expect(
            JSONPointerError(pointer: "x", offset: 0, reason: "r").description
                == "invalid JSON pointer 'x' at offset 0: r"
        )
    }
}
