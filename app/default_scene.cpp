// Embeds assets/default_scene.ply with the assembler's .incbin (no generated source, no size limit).
#include "default_scene.h"

// GLINT_DEFAULT_SCENE_PATH is set by CMake to the absolute path of the asset.
__asm__(
    ".section .rodata\n"
    ".balign 16\n"
    "glint_default_scene_begin:\n"
    ".incbin \"" GLINT_DEFAULT_SCENE_PATH
    "\"\n"
    "glint_default_scene_end:\n"
    ".previous\n");

extern "C" const char glint_default_scene_begin[];
extern "C" const char glint_default_scene_end[];

namespace glint::app {

std::span<const std::byte> default_scene_bytes() {
    return {reinterpret_cast<const std::byte*>(glint_default_scene_begin),
            static_cast<std::size_t>(glint_default_scene_end - glint_default_scene_begin)};
}

}  // namespace glint::app
