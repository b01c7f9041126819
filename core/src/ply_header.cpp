// The PLY header parser shared by the scene and point-cloud readers.
#include "glint/core/ply_header.h"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "glint/core/error.h"
#include "glint/core/text.h"

namespace glint {

std::optional<PlyType> parse_ply_type(std::string_view name) {
    if (name == "char" || name == "int8") return PlyType::Int8;
    if (name == "uchar" || name == "uint8") return PlyType::UInt8;
    if (name == "short" || name == "int16") return PlyType::Int16;
    if (name == "ushort" || name == "uint16") return PlyType::UInt16;
    if (name == "int" || name == "int32") return PlyType::Int32;
    if (name == "uint" || name == "uint32") return PlyType::UInt32;
    if (name == "float" || name == "float32") return PlyType::Float32;
    if (name == "double" || name == "float64") return PlyType::Float64;
    return std::nullopt;
}

std::size_t ply_type_size(PlyType type) {
    switch (type) {
        case PlyType::Int8:
        case PlyType::UInt8:
            return 1;
        case PlyType::Int16:
        case PlyType::UInt16:
            return 2;
        case PlyType::Int32:
        case PlyType::UInt32:
        case PlyType::Float32:
            return 4;
        case PlyType::Float64:
            return 8;
    }
    return 0;
}

const char* ply_type_name(PlyType type) {
    switch (type) {
        case PlyType::Int8:
            return "char";
        case PlyType::UInt8:
            return "uchar";
        case PlyType::Int16:
            return "short";
        case PlyType::UInt16:
            return "ushort";
        case PlyType::Int32:
            return "int";
        case PlyType::UInt32:
            return "uint";
        case PlyType::Float32:
            return "float";
        case PlyType::Float64:
            return "double";
    }
    return "?";
}

bool is_float_type(PlyType type) {
    return type == PlyType::Float32 || type == PlyType::Float64;
}

bool PlyElement::has_list() const {
    return std::any_of(properties.begin(), properties.end(), [](const PlyProperty& p) { return p.is_list; });
}

std::size_t PlyElement::row_bytes() const {
    std::size_t bytes = 0;
    for (const PlyProperty& p : properties) bytes += ply_type_size(p.type);
    return bytes;
}

namespace {

[[noreturn]] void fail_header(std::string_view name, const std::string& problem) {
    throw InputError(cat(name, ": ", problem));
}

std::vector<std::string_view> split_words(std::string_view line) {
    std::vector<std::string_view> words;
    std::size_t i = 0;
    while (i < line.size()) {
        while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
        const std::size_t start = i;
        while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
        if (i > start) words.push_back(line.substr(start, i - start));
    }
    return words;
}

}  // namespace

PlyHeader parse_ply_header(std::string_view data, std::string_view name) {
    const char* bytes = data.data();
    const std::size_t size = data.size();
    if (size == 0) fail_header(name, "empty file");
    PlyHeader header;
    bool saw_format = false;
    std::size_t pos = 0;
    int line_number = 0;
    const std::size_t limit = std::min(size, kMaxPlyHeaderBytes);
    while (true) {
        const void* newline = std::memchr(bytes + pos, '\n', limit - pos);
        if (newline == nullptr) {
            if (line_number == 0 && std::string_view(bytes, std::min<std::size_t>(size, 3)) != "ply")
                fail_header(name, "not a PLY file (it does not start with 'ply')");
            fail_header(name, size > kMaxPlyHeaderBytes
                                  ? "no 'end_header' in the first 1 MiB: not a PLY header"
                                  : "the header is not terminated by 'end_header'");
        }
        const std::size_t end = static_cast<std::size_t>(static_cast<const char*>(newline) - bytes);
        std::string_view line(bytes + pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = end + 1;
        ++line_number;
        if (line_number == 1) {
            if (line != "ply") fail_header(name, "not a PLY file (it does not start with 'ply')");
            continue;
        }
        const std::vector<std::string_view> words = split_words(line);
        if (words.empty()) continue;
        const std::string_view keyword = words[0];
        const auto where = [&] { return cat("header line ", line_number, ": "); };
        if (keyword == "comment") {
            const std::size_t at = line.find("comment") + 7;
            header.comments.emplace_back(line.substr(std::min(line.size(), at + 1)));
            continue;
        }
        if (keyword == "obj_info") continue;
        // Outside comments a PLY header is ASCII text; this also keeps names safe to quote in messages.
        for (const char c : line)
            if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || static_cast<unsigned char>(c) >= 0x7f)
                fail_header(name, cat(where(), "non-text byte in the header ('", printable(line), "')"));
        if (keyword == "end_header") {
            if (!saw_format) fail_header(name, "the header has no 'format' line");
            header.body_offset = pos;
            return header;
        }
        if (keyword == "format") {
            if (words.size() != 3) fail_header(name, where() + "expected 'format <encoding> 1.0'");
            if (words[1] == "binary_little_endian")
                header.encoding = PlyEncoding::BinaryLittleEndian;
            else if (words[1] == "ascii")
                header.encoding = PlyEncoding::Ascii;
            else if (words[1] == "binary_big_endian")
                fail_header(name,
                            "big-endian binary PLY is not supported (re-export it as binary_little_endian)");
            else
                fail_header(name, cat(where(), "unknown PLY format '", printable(words[1]), "'"));
            if (words[2] != "1.0")
                fail_header(
                    name, cat(where(), "unsupported PLY version '", printable(words[2]), "' (expected 1.0)"));
            saw_format = true;
        } else if (keyword == "element") {
            if (words.size() != 3) fail_header(name, where() + "expected 'element <name> <count>'");
            PlyElement element;
            element.name = std::string(words[1]);
            const auto [ptr, ec] =
                std::from_chars(words[2].data(), words[2].data() + words[2].size(), element.count);
            if (ec != std::errc() || ptr != words[2].data() + words[2].size())
                fail_header(name, cat(where(), "element '", printable(words[1]), "' has an invalid count '",
                                      printable(words[2]), "'"));
            header.elements.push_back(std::move(element));
        } else if (keyword == "property") {
            if (header.elements.empty()) fail_header(name, where() + "'property' before any 'element'");
            PlyProperty property;
            if (words.size() >= 2 && words[1] == "list") {
                if (words.size() != 5)
                    fail_header(name, where() + "expected 'property list <count type> <item type> <name>'");
                const auto count_type = parse_ply_type(words[2]);
                const auto item_type = parse_ply_type(words[3]);
                if (!count_type || !item_type)
                    fail_header(name,
                                cat(where(), "unknown type in list property '", printable(words[4]), "'"));
                if (is_float_type(*count_type))
                    fail_header(name, cat(where(), "list property '", printable(words[4]),
                                          "' has a floating-point count type"));
                property = {std::string(words[4]), *item_type, true, *count_type};
            } else {
                if (words.size() != 3) fail_header(name, where() + "expected 'property <type> <name>'");
                const auto type = parse_ply_type(words[1]);
                if (!type)
                    fail_header(name, cat(where(), "property '", printable(words[2]), "' has unknown type '",
                                          printable(words[1]), "'"));
                property = {std::string(words[2]), *type, false, PlyType::UInt8};
            }
            header.elements.back().properties.push_back(std::move(property));
        } else {
            fail_header(name, cat(where(), "unknown keyword '", printable(keyword), "'"));
        }
    }
}

}  // namespace glint
