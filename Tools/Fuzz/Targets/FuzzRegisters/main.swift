import FuzzSupport

runLibFuzzer(fuzzRegisters)
