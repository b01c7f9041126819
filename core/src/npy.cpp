// .npy reading and writing.
#include "glint/core/npy.h"

#include <cmath>
#include <cstring>
#include <fstream>
#include <iterator>

#include <zip.h>

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

// The .npy file held in `bytes`; `name` names it in errors.
NpyArray parse_npy(const std::string& bytes, const std::string& name) {
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

// A .npy file's bytes, as numpy.save writes a float64 array.
std::string npy_bytes(const std::vector<std::size_t>& shape, std::span<const double> data) {
    std::string dims;
    for (const std::size_t d : shape) dims += cat(d, ",");
    if (shape.size() > 1) dims.pop_back();
    std::string header = cat("{'descr': '<f8', 'fortran_order': False, 'shape': (", dims, "), }");
    // Magic (6) + version (2) + length (2) + header + '\n', padded with spaces to a multiple of 64.
    while ((10 + header.size() + 1) % 64 != 0) header.push_back(' ');
    header.push_back('\n');
    std::string out(10 + header.size() + 8 * data.size(), '\0');
    std::memcpy(out.data(), "\x93NUMPY\x01\x00", 8);
    out[8] = static_cast<char>(header.size() & 255);
    out[9] = static_cast<char>(header.size() >> 8);
    std::memcpy(out.data() + 10, header.data(), header.size());
    std::memcpy(out.data() + 10 + header.size(), data.data(), 8 * data.size());
    return out;
}

// libzip's error text for a code.
std::string zip_error_text(int code) {
    zip_error_t error;
    zip_error_init_with_code(&error, code);
    std::string text = zip_error_strerror(&error);
    zip_error_fini(&error);
    return text;
}

}  // namespace

NpyArray read_npy(const std::filesystem::path& path) {
    const std::string name = path.string();
    std::ifstream in(path, std::ios::binary);
    if (!in) throw InputError(cat(name, ": cannot open"));
    return parse_npy(std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>()),
                     name);
}

std::map<std::string, NpyArray> read_npz(const std::filesystem::path& path) {
    const std::string name = path.string();
    int code = 0;
    zip_t* archive = zip_open(name.c_str(), ZIP_RDONLY, &code);
    if (archive == nullptr)
        throw InputError(cat(name, ": cannot read it as a NumPy .npz (zip) archive: ", zip_error_text(code)));
    std::map<std::string, NpyArray> arrays;
    try {
        const zip_int64_t entries = zip_get_num_entries(archive, 0);
        for (zip_int64_t i = 0; i < entries; ++i) {
            zip_stat_t stat;
            if (zip_stat_index(archive, static_cast<zip_uint64_t>(i), 0, &stat) != 0 ||
                (stat.valid & ZIP_STAT_SIZE) == 0 || (stat.valid & ZIP_STAT_NAME) == 0)
                throw InputError(cat(name, ": entry ", i, " of the archive is unreadable"));
            std::string entry = stat.name;
            if (!entry.ends_with(".npy")) continue;
            if (stat.size > (std::uint64_t{1} << 34))
                throw InputError(cat(name, ": entry ", entry, " is implausibly large"));
            std::string bytes(static_cast<std::size_t>(stat.size), '\0');
            zip_file_t* file = zip_fopen_index(archive, static_cast<zip_uint64_t>(i), 0);
            const zip_int64_t read =
                file == nullptr ? -1 : zip_fread(file, bytes.data(), static_cast<zip_uint64_t>(bytes.size()));
            if (file != nullptr) zip_fclose(file);
            if (read != static_cast<zip_int64_t>(bytes.size()))
                throw InputError(
                    cat(name, ": entry ", entry, " is truncated or corrupt: ", zip_strerror(archive)));
            arrays.emplace(entry.substr(0, entry.size() - 4), parse_npy(bytes, cat(name, ": ", entry)));
        }
    } catch (...) {
        zip_discard(archive);
        throw;
    }
    zip_discard(archive);
    return arrays;
}

void write_npz(const std::filesystem::path& path, const std::map<std::string, NpzEntry>& arrays) {
    const std::string name = path.string();
    zip_error_t error;
    zip_error_init(&error);
    zip_source_t* memory = zip_source_buffer_create(nullptr, 0, 0, &error);
    zip_t* archive = memory == nullptr ? nullptr : zip_open_from_source(memory, ZIP_TRUNCATE, &error);
    if (archive == nullptr) {
        if (memory != nullptr) zip_source_free(memory);
        const std::string text = zip_error_strerror(&error);
        zip_error_fini(&error);
        throw Error(cat(name, ": cannot make a zip archive: ", text));
    }
    zip_error_fini(&error);
    zip_source_keep(memory);            // read back after zip_close
    std::vector<std::string> contents;  // alive until zip_close, which reads them
    contents.reserve(arrays.size());
    for (const auto& [key, entry] : arrays) {
        contents.push_back(npy_bytes(entry.shape, entry.data));
        zip_source_t* source = zip_source_buffer(archive, contents.back().data(), contents.back().size(), 0);
        if (source == nullptr ||
            zip_file_add(archive, (key + ".npy").c_str(), source, ZIP_FL_ENC_UTF_8) < 0) {
            if (source != nullptr) zip_source_free(source);
            zip_discard(archive);
            zip_source_free(memory);
            throw Error(cat(name, ": cannot add ", key, " to the archive"));
        }
    }
    if (zip_close(archive) != 0) {
        zip_discard(archive);
        zip_source_free(memory);
        throw Error(cat(name, ": cannot finish the archive"));
    }
    std::string bytes;
    zip_stat_t stat;
    if (zip_source_stat(memory, &stat) == 0 && zip_source_open(memory) == 0) {
        bytes.resize(static_cast<std::size_t>(stat.size));
        const zip_int64_t read = zip_source_read(memory, bytes.data(), stat.size);
        zip_source_close(memory);
        if (read != static_cast<zip_int64_t>(stat.size)) bytes.clear();
    }
    zip_source_free(memory);
    if (bytes.empty()) throw Error(cat(name, ": cannot read the archive back from memory"));
    AtomicFile file(path);
    file.write(std::string_view(bytes));
    file.commit();
}

void write_npy(const std::filesystem::path& path, const std::vector<std::size_t>& shape,
               std::span<const double> data) {
    AtomicFile file(path);
    file.write(std::string_view(npy_bytes(shape, data)));
    file.commit();
}

}  // namespace glint
