import FuzzSupport

runLibFuzzer(fuzzEPC)
