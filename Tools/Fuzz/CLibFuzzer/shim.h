// libFuzzer's driver, linked into every binary built with `-sanitize=fuzzer`.
//
// The fuzz targets are SwiftPM executables, whose `main` SwiftPM renames and links on its own;
// so each target's main.swift calls this driver with its test function instead of relying on
// libFuzzer's `main` and a global LLVMFuzzerTestOneInput.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*UserCb)(const uint8_t *Data, size_t Size));
