// libFuzzer target for the SOG archive reader: any input must load or throw InputError, never crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "glint/core/error.h"
#include "glint/splatting/sog_format.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        glint::splatting::read_sog_archive(std::as_bytes(std::span(data, size)), "fuzz-input");
    } catch (const glint::InputError&) {
    }
    return 0;
}
