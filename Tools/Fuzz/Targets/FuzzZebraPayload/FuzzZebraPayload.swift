import PayloadSupport
import SortgateConfig
import SortgateIngest

/// Zebra IoT Connector messages (`SIMPLE` and `CUSTOM` formats, single objects and arrays).
let decoder = PayloadDecoder(format: .zebraIoT)

func fuzzZebraPayload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzDecode(decoder, data, size)
    return 0
}
