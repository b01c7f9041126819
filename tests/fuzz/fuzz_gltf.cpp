// libFuzzer target for the glTF KHR_gaussian_splatting reader: any input must load or throw InputError, never crash.
#include <cstddef>
#include <cstdint>
#include <span>

#include "glint/core/error.h"
#include "glint/splatting/gltf_splats.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    try {
        glint::splatting::read_gltf_splats(std::as_bytes(std::span(data, size)), "fuzz-input");
    } catch (const glint::InputError&) {
    }
    return 0;
}
