// Text helpers shared by the command line and the file readers.
#include "glint/core/text.h"

#include "glint/core/error.h"

#include <array>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>

namespace glint {

std::string duration_text(double seconds) {
    if (!(seconds >= 0.0) || seconds > 1e9) return "?";
    const long s = static_cast<long>(seconds + 0.5);
    return s >= 60 ? cat(s / 60, " min ", s % 60, " s") : cat(s, " s");
}

std::string fixed(double value, int decimals) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", decimals, value);
    return text;
}

std::string group_digits(std::size_t n) {
    const std::string digits = std::to_string(n);
    std::string out;
    out.reserve(digits.size() + digits.size() / 3);
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) out.push_back(',');
        out.push_back(digits[i]);
    }
    return out;
}

std::string human_bytes(std::uint64_t bytes) {
    constexpr std::array<const char*, 5> kUnits = {"B", "KiB", "MiB", "GiB", "TiB"};
    double value = static_cast<double>(bytes);
    std::size_t unit = 0;
    while (value >= 1024.0 && unit + 1 < kUnits.size()) {
        value /= 1024.0;
        ++unit;
    }
    char buffer[32];
    if (unit == 0)
        std::snprintf(buffer, sizeof buffer, "%llu B", static_cast<unsigned long long>(bytes));
    else
        std::snprintf(buffer, sizeof buffer, value < 10 ? "%.2f %s" : (value < 100 ? "%.1f %s" : "%.0f %s"),
                      value, kUnits[unit]);
    return buffer;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
    std::string out;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out += separator;
        out += items[i];
    }
    return out;
}

std::string printable(std::string_view text, std::size_t max_chars) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (i == max_chars) return out + "...";
        const unsigned char c = static_cast<unsigned char>(text[i]);
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            char escaped[8];
            std::snprintf(escaped, sizeof escaped, "\\x%02X", c);
            out += escaped;
        }
    }
    return out;
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

std::vector<double> parse_number_list(const std::string& text, std::string_view option) {
    std::vector<double> values;
    std::stringstream in(text);
    std::string item;
    while (std::getline(in, item, ',')) {
        try {
            std::size_t used = 0;
            values.push_back(std::stod(item, &used));
            if (used != item.size()) throw std::invalid_argument(item);
        } catch (const std::exception&) {
            throw InputError(cat(option, ": '", printable(item), "' is not a number"));
        }
        if (!std::isfinite(values.back())) throw InputError(cat(option, ": values must be finite"));
    }
    return values;
}

}  // namespace glint
