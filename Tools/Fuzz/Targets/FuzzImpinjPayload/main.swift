import FuzzSupport

runLibFuzzer(fuzzImpinjPayload)
