import FuzzSupport

runLibFuzzer(fuzzEventTime)
