import FuzzSupport

runLibFuzzer(fuzzZebraPayload)
