import PayloadSupport
import SortgateConfig
import SortgateIngest

/// Impinj IoT device interface messages (`tagInventoryEvent`, single or batched).
let decoder = PayloadDecoder(format: .impinjIoT)

func fuzzImpinjPayload(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    fuzzDecode(decoder, data, size)
    return 0
}
