// Small text helpers: building messages from pieces and formatting sizes for people.
#pragma once

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace glint {

// Concatenates any streamable values into one string: cat("read ", n, " Gaussians").
template <typename... Args>
std::string cat(const Args&... args) {
    std::ostringstream out;
    (out << ... << args);
    return out.str();
}

// A count with its thousands separated by commas: 1234567 -> "1,234,567".
std::string group_digits(std::size_t n);
// "1.5 MiB", "312 B": binary units, three significant digits.
std::string human_bytes(std::uint64_t bytes);
// Seconds as "42 s" or "3 min 5 s" (progress lines, ETAs).
std::string duration_text(double seconds);
// A number with a fixed count of decimals: fixed(0.4567, 2) == "0.46".
std::string fixed(double value, int decimals);

// The items separated by `separator`: join({"a", "b"}, ", ") == "a, b".
std::string join(const std::vector<std::string>& items, std::string_view separator);

// Text from a file made safe to quote in a one-line message: control and non-ASCII bytes become \xNN,
// and anything past `max_chars` becomes "...".
std::string printable(std::string_view text, std::size_t max_chars = 40);
// Comma-separated finite numbers ("0.1,-2,3e-4"). Throws InputError naming `option` and the item that
// is not a finite number.
std::vector<double> parse_number_list(const std::string& text, std::string_view option);

// Lower-case copy of an ASCII string.
std::string to_lower(std::string_view text);

}  // namespace glint
