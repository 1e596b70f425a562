import SortgateConfig

/// One pass over a payload that finds the first byte sequence that is not UTF-8 (RFC 3629:
/// no overlong forms, no surrogates, nothing above U+10FFFF) and whether a NUL byte occurs.
///
/// Done before parsing so that a garbled payload is reported as `invalid-utf8` at its byte
/// offset, not as whatever the JSON parser makes of it.
struct UTF8Check {
    /// Where the first invalid sequence starts, and its bytes up to the one that broke it.
    var firstInvalid: (offset: Int, bytes: [UInt8])?
    var containsNUL = false

    init(_ bytes: UnsafeRawBufferPointer) {
        let count = bytes.count
        var index = 0
        while index < count {
            let lead = bytes[index]
            if lead < 0x80 {
                if lead == 0 { containsNUL = true }
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
