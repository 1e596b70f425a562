import FuzzSupport

runLibFuzzer(fuzzManifest)
