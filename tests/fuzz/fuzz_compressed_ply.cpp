// libFuzzer target for the compressed PLY reader: any input must load or throw InputError, never crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "glint/core/error.h"
#include "glint/splatting/compressed_ply.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        glint::splatting::read_compressed_ply(std::as_bytes(std::span(data, size)), "fuzz-input");
    } catch (const glint::InputError&) {
    }
    return 0;
}
