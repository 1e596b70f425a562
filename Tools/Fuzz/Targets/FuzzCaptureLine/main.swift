import FuzzSupport

runLibFuzzer(fuzzCaptureLine)
