import CLibFuzzer
import Foundation

/// What libFuzzer calls with each input: the bytes and their count. It returns 0; a trap in
/// the code under test is the finding.
public typealias FuzzTest = @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt

/// Hands the process to libFuzzer's driver with `test`, passing the command line on (corpus
/// folders, `-runs=`, `-max_total_time=`, …), and exits with its status.
public func runLibFuzzer(_ test: FuzzTest) -> Never {
    var argc = CommandLine.argc
    var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv, test))
}
