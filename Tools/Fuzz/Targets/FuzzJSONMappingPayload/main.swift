import FuzzSupport

runLibFuzzer(fuzzJSONMappingPayload)
