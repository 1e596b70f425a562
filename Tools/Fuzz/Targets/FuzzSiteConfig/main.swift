import FuzzSupport

runLibFuzzer(fuzzSiteConfig)
