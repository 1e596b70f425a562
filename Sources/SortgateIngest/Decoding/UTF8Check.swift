import SortgateConfig

/// One pass over a payload that finds the first byte sequence that is not UTF-8 (RFC 3629:
/// no overlong forms, no surrogates, nothing above U+10FFFF).
///
/// Done before the JSON is read so that a garbled payload is reported as `invalid-utf8` at its
/// byte offset, not as whatever the JSON reader makes of it. ASCII is checked eight bytes at a
/// time; NUL bytes are left to ``JSONByteScanner``, which refuses them inside strings or out.
struct UTF8Check {
    /// Where the first invalid sequence starts, and its bytes up to the one that broke it.
    var firstInvalid: (offset: Int, bytes: [UInt8])?

    /// Whether `bytes` are valid UTF-8, without building a diagnosis.
    static func isValid(_ bytes: UnsafeRawBufferPointer) -> Bool {
        let count = bytes.count
        var index = 0
        while index + 8 <= count {
            if bytes.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            index += 8
        }
        while index < count, bytes[index] < 0x80 {
            index += 1
        }
        return index == count || UTF8Check(bytes, from: index).firstInvalid == nil
    }

    init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0) {
        let count = bytes.count
        var index = start
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                index += 1
                continue
            }
            // The allowed range of the second byte depends on the lead byte (RFC 3629 §4);
            // every further byte is a plain continuation byte 0x80...0xBF.
            let length: Int
            let second: ClosedRange<UInt8>
            switch lead {
            case 0xC2...0xDF: (length, second) = (2, 0x80...0xBF)
            case 0xE0: (length, second) = (3, 0xA0...0xBF)
            case 0xE1...0xEC, 0xEE...0xEF: (length, second) = (3, 0x80...0xBF)
            case 0xED: (length, second) = (3, 0x80...0x9F)
            case 0xF0: (length, second) = (4, 0x90...0xBF)
            case 0xF1...0xF3: (length, second) = (4, 0x80...0xBF)
            case 0xF4: (length, second) = (4, 0x80...0x8F)
            default:
                firstInvalid = (index, [lead])
                return
            }
            for position in 1..<length {
                guard index + position < count else {
                    firstInvalid = (index, Array(bytes[index..<count]))
                    return
                }
                let byte = bytes[index + position]
                let allowed = position == 1 ? second : 0x80...0xBF
                guard allowed.contains(byte) else {
                    firstInvalid = (index, Array(bytes[index...(index + position)]))
                    return
                }
            }
            index += length
        }
    }
}
