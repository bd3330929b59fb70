// libFuzzer's entry for programs with their own main (compiler-rt FuzzerInterface.h): it parses the
// command line as libFuzzer's main would and runs `callback` on each input.
#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));
