// .npy reading and writing.
#include "glint/core/npy.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {

namespace {

// The value of `key` in the header's Python dict literal, up to the next ',' or '}' outside brackets.
std::string header_value(const std::string& header, const std::string& key) {
    const std::size_t at = header.find("'" + key + "'");
    if (at == std::string::npos) return {};
    std::size_t start = header.find(':', at);
    if (start == std::string::npos) return {};
    ++start;
    int depth = 0;
    std::size_t end = start;
    for (; end < header.size(); ++end) {
        const char c = header[end];
        if (c == '(') ++depth;
        if (c == ')') --depth;
        if (depth == 0 && (c == ',' || c == '}')) break;
    }
    std::string value = header.substr(start, end - start);
    const std::size_t first = value.find_first_not_of(" "), last = value.find_last_not_of(" ");
    return first == std::string::npos ? std::string() : value.substr(first, last - first + 1);
}

}  // namespace

NpyArray read_npy(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(cat(name, ": cannot open"));
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const auto* raw = reinterpret_cast<const unsigned char*>(bytes.data());
    if (bytes.size() < 10 || std::memcmp(raw, "\x93NUMPY", 6) != 0)
        throw InputError(cat(name, ": not a NumPy .npy file"));
    const int major = raw[6];
    std::size_t header_length = 0, offset = 0;
    if (major == 1) {
        header_length = raw[8] | (static_cast<std::size_t>(raw[9]) << 8);
        offset = 10;
    } else if (major == 2 || major == 3) {
        if (bytes.size() < 12) throw InputError(cat(name, ": truncated header"));
        header_length = raw[8] | (static_cast<std::size_t>(raw[9]) << 8) |
                        (static_cast<std::size_t>(raw[10]) << 16) | (static_cast<std::size_t>(raw[11]) << 24);
        offset = 12;
    } else {
        throw InputError(cat(name, ": .npy format version ", major, " is not one glint reads (1 to 3)"));
    }
    if (offset + header_length > bytes.size()) throw InputError(cat(name, ": truncated header"));
    const std::string header(reinterpret_cast<const char*>(raw + offset), header_length);
    const std::string descr = header_value(header, "descr"), order = header_value(header, "fortran_order");
    const bool f8 = descr == "'<f8'", f4 = descr == "'<f4'";
    if (!f8 && !f4)
        throw InputError(cat(name, ": dtype ", printable(descr), " (glint reads '<f8' and '<f4')"));
    if (order != "False") throw InputError(cat(name, ": Fortran-ordered arrays are not read"));
    const std::string shape_text = header_value(header, "shape");
    if (shape_text.size() < 2 || shape_text.front() != '(' || shape_text.back() != ')')
        throw InputError(cat(name, ": no shape in the header"));
    NpyArray array;
    std::size_t count = 1;
    for (const double d :
         parse_number_list(shape_text.substr(1, shape_text.size() - 2), cat(name, " shape"))) {
        if (!(d >= 0) || d != std::floor(d))
            throw InputError(cat(name, ": a bad shape ", printable(shape_text)));
        array.shape.push_back(static_cast<std::size_t>(d));
        count *= array.shape.back();
    }
    const std::size_t width = f8 ? 8 : 4, data_at = offset + header_length;
    if ((bytes.size() - data_at) / width < count)
        throw InputError(cat(name, ": truncated: the shape ", printable(shape_text), " needs ", count * width,
                             " bytes of data, the file has ", bytes.size() - data_at));
    array.data.resize(count);
    for (std::size_t i = 0; i < count; ++i) {
        double value;
        if (f8) {
            std::memcpy(&value, raw + data_at + 8 * i, 8);
        } else {
            float f;
            std::memcpy(&f, raw + data_at + 4 * i, 4);
            value = f;
        }
        if (!std::isfinite(value)) throw InputError(cat(name, ": value ", i, " is not finite"));
        array.data[i] = value;
    }
    return array;
}

void write_npy(const std::filesystem::path& path, const std::vector<std::size_t>& shape,
               std::span<const double> data) {
    std::string dims;
    for (const std::size_t d : shape) dims += cat(d, ",");
    if (shape.size() > 1) dims.pop_back();
    std::string header = cat("{'descr': '<f8', 'fortran_order': False, 'shape': (", dims, "), }");
    // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
    while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
    header.push_back('\n');
    std::vector<std::byte> out(10 + header.size() + 8 * data.size());
    std::memcpy(out.data(), "\x93NUMPY\x01\x00", 8);
    out[8] = static_cast<std::byte>(header.size() & 255);
    out[9] = static_cast<std::byte>(header.size() >> 8);
    std::memcpy(out.data() + 10, header.data(), header.size());
    std::memcpy(out.data() + 10 + header.size(), data.data(), 8 * data.size());
    AtomicFile file(path);
    file.write(std::span<const std::byte>(out));
    file.commit();
}

}  // namespace glint
