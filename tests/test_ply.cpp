// PLY reader and writer: round trips, property order and types, extra elements, header edge cases.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <string>

#include "glint/splatting/ply_format.h"
#include "scene_generators.h"
#include "test_support.h"

using namespace glint;
using namespace glint::splatting;

namespace {

void check_equal(const GaussianCloud& a, const GaussianCloud& b) {
    REQUIRE(a.size() == b.size());
    REQUIRE(a.sh_degree() == b.sh_degree());
    REQUIRE(a.is_4d() == b.is_4d());
    const auto same = [](std::span<const float> x, std::span<const float> y) {
        return x.size() == y.size() && (x.empty() || std::memcmp(x.data(), y.data(), x.size_bytes()) == 0);
    };
    CHECK(same(a.positions(), b.positions()));
    CHECK(same(a.log_scales(), b.log_scales()));
    CHECK(same(a.rotations(), b.rotations()));
    CHECK(same(a.opacity_logits(), b.opacity_logits()));
    CHECK(same(a.sh_dc(), b.sh_dc()));
    CHECK(same(a.sh_rest(), b.sh_rest()));
    CHECK(same(a.time_means(), b.time_means()));
    CHECK(same(a.log_time_scales(), b.log_time_scales()));
    CHECK(same(a.rotations_right(), b.rotations_right()));
    CHECK(a.time_color_degree() == b.time_color_degree());
    CHECK(same(a.time_color(), b.time_color()));
    if (a.is_4d()) CHECK(a.time_period() == b.time_period());
}

// A header with the given vertex properties (all float unless written as "double name").
std::string header(const std::string& format, std::size_t count, const std::vector<std::string>& properties,
                   const std::string& before = "") {
    std::string text =
        "ply\nformat " + format + " 1.0\n" + before + "element vertex " + std::to_string(count) + "\n";
    for (const std::string& p : properties)
        text += p.find(' ') == std::string::npos ? "property float " + p + "\n" : "property " + p + "\n";
    return text + "end_header\n";
}

const std::vector<std::string> kMinimal = {"x",      "y",       "z",       "f_dc_0",  "f_dc_1",
                                           "f_dc_2", "opacity", "scale_0", "scale_1", "scale_2",
                                           "rot_0",  "rot_1",   "rot_2",   "rot_3"};

template <typename T>
void append(std::string& out, T value) {
    out.append(reinterpret_cast<const char*>(&value), sizeof value);
}

}  // namespace

TEST_SUITE_BEGIN("cpu");

TEST_CASE("binary and ASCII PLY round trips are exact for SH degrees 0 to 3, 3D and 4D") {
    for (int degree = 0; degree <= 3; ++degree) {
        for (bool temporal : {false, true}) {
            for (PlyEncoding encoding : {PlyEncoding::BinaryLittleEndian, PlyEncoding::Ascii}) {
                CAPTURE(degree);
                CAPTURE(temporal);
                CAPTURE(static_cast<int>(encoding));
                tools::RandomSceneOptions options;
                options.count = 257;
                options.sh_degree = degree;
                options.temporal = temporal;
                options.seed = 7 + static_cast<std::uint64_t>(degree);
                const GaussianCloud cloud = tools::make_random_scene(options);
                const std::vector<std::byte> bytes = encode_ply(cloud, encoding);
                const PlyReadResult read = read_ply(bytes, "mem.ply");
                CHECK(read.encoding == encoding);
                CHECK(read.skipped_properties.empty());
                check_equal(cloud, read.cloud);
            }
        }
    }
}

TEST_CASE("4D scenes with time-varying colour and a time period round trip, binary and ASCII") {
    for (int time_degree : {1, 2}) {
        for (int degree : {0, 3}) {
            for (PlyEncoding encoding : {PlyEncoding::BinaryLittleEndian, PlyEncoding::Ascii}) {
                CAPTURE(time_degree);
                CAPTURE(degree);
                tools::RandomSceneOptions options;
                options.count = 33;
                options.sh_degree = degree;
                options.temporal = true;
                options.time_color_degree = time_degree;
                options.time_period = 2.5f;
                const GaussianCloud cloud = tools::make_random_scene(options);
                const PlyReadResult read = read_ply(encode_ply(cloud, encoding), "mem.ply");
                CHECK(read.skipped_elements.empty());
                check_equal(cloud, read.cloud);
            }
        }
    }
}

TEST_CASE("write_ply and read_ply_file round trip through the file system, and write atomically") {
    test::TempDir dir;
    tools::RandomSceneOptions options;
    options.count = 100000;  // more than one write chunk
    const GaussianCloud cloud = tools::make_random_scene(options);
    write_ply(cloud, dir / "scene.ply");
    check_equal(cloud, read_ply_file(dir / "scene.ply").cloud);
    // Only the final file is left: the temporary file was renamed into place.
    CHECK(std::distance(std::filesystem::directory_iterator(dir.path()),
                        std::filesystem::directory_iterator()) == 1);
}

TEST_CASE("the SH rest coefficients are channel-major in the file and coefficient-major in memory") {
    GaussianCloud cloud(1, 1, false);
    for (int m = 0; m < 3; ++m)
        for (int c = 0; c < 3; ++c)
            cloud.sh_rest()[static_cast<std::size_t>(m * 3 + c)] = static_cast<float>(10 * c + m);
    cloud.rotations()[0] = 1.0f;
    const std::vector<std::byte> bytes = encode_ply(cloud, PlyEncoding::Ascii);
    const std::string text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    // Row: x y z nx ny nz dc0 dc1 dc2 then f_rest_0..8 = R0 R1 R2 G0 G1 G2 B0 B1 B2.
    CHECK(text.find("0 0 0 0 0 0 0 0 0 0 1 2 10 11 12 20 21 22 ") != std::string::npos);
}

TEST_CASE("properties in any order, float or double, with unknown ones skipped and reported") {
    const std::vector<std::string> properties = {"double rot_3",
                                                 "opacity",
                                                 "uchar red",
                                                 "z",
                                                 "f_dc_2",
                                                 "scale_1",
                                                 "double x",
                                                 "y",
                                                 "f_dc_0",
                                                 "rot_0",
                                                 "scale_0",
                                                 "rot_1",
                                                 "f_dc_1",
                                                 "float extra_value",
                                                 "scale_2",
                                                 "rot_2",
                                                 "nx"};
    std::string file = header("binary_little_endian", 2, properties);
    for (int v = 0; v < 2; ++v) {
        const float base = static_cast<float>(v * 100);
        append<double>(file, 0.5 + v);    // rot_3
        append<float>(file, base + 1);    // opacity
        append<std::uint8_t>(file, 200);  // red
        append<float>(file, base + 2);    // z
        append<float>(file, base + 3);    // f_dc_2
        append<float>(file, base + 4);    // scale_1
        append<double>(file, 1e-3 + v);   // x
        append<float>(file, base + 5);    // y
        append<float>(file, base + 6);    // f_dc_0
        append<float>(file, base + 7);    // rot_0
        append<float>(file, base + 8);    // scale_0
        append<float>(file, base + 9);    // rot_1
        append<float>(file, base + 10);   // f_dc_1
        append<float>(file, 42.0f);       // extra_value
        append<float>(file, base + 11);   // scale_2
        append<float>(file, base + 12);   // rot_2
        append<float>(file, -1.0f);       // nx
    }
    const PlyReadResult read = read_ply(test::as_bytes(file), "shuffled.ply");
    const GaussianCloud& c = read.cloud;
    REQUIRE(c.size() == 2);
    CHECK(c.sh_degree() == 0);
    CHECK(read.skipped_properties == std::vector<std::string>{"red", "extra_value"});
    CHECK(c.positions()[3] == static_cast<float>(1e-3 + 1));
    CHECK(c.positions()[4] == 105.0f);
    CHECK(c.positions()[5] == 102.0f);
    CHECK(c.sh_dc()[3] == 106.0f);
    CHECK(c.sh_dc()[4] == 110.0f);
    CHECK(c.sh_dc()[5] == 103.0f);
    CHECK(c.opacity_logits()[1] == 101.0f);
    CHECK(c.log_scales()[3] == 108.0f);
    CHECK(c.log_scales()[4] == 104.0f);
    CHECK(c.log_scales()[5] == 111.0f);
    CHECK(c.rotations()[4] == 107.0f);
    CHECK(c.rotations()[5] == 109.0f);
    CHECK(c.rotations()[6] == 112.0f);
    CHECK(c.rotations()[7] == 1.5f);
}

TEST_CASE("elements before and after the vertex element are skipped, list properties included") {
    SUBCASE("binary") {
        std::string before =
            "element camera 2\nproperty float fx\nproperty uchar id\n"
            "element face 2\nproperty list uchar int vertex_indices\n";
        std::string file = header("binary_little_endian", 1, kMinimal, before);
        for (int i = 0; i < 2; ++i) {
            append<float>(file, 500.0f);
            append<std::uint8_t>(file, 1);
        }
        append<std::uint8_t>(file, 3);
        for (int i = 0; i < 3; ++i) append<std::int32_t>(file, i);
        append<std::uint8_t>(file, 0);
        for (std::size_t p = 0; p < kMinimal.size(); ++p) append<float>(file, static_cast<float>(p));
        const PlyReadResult read = read_ply(test::as_bytes(file), "elements.ply");
        CHECK(read.skipped_elements == std::vector<std::string>{"camera", "face"});
        CHECK(read.cloud.positions()[2] == 2.0f);
        CHECK(read.cloud.rotations()[3] == 13.0f);
    }
    SUBCASE("ascii, with an element after the vertices") {
        std::string file =
            "ply\r\nformat ascii 1.0\r\ncomment made by hand\r\nobj_info none\r\n"
            "element face 1\r\nproperty list uchar int vertex_indices\r\nelement vertex 1\r\n";
        for (const std::string& p : kMinimal) file += "property float " + p + "\r\n";
        file += "element extra 1\r\nproperty int value\r\nend_header\r\n";
        file += "3 0 1 2\r\n1 2 3 0 0 0 -1.5 4 5 6 1 0 0 0\r\n7\r\n";
        const PlyReadResult read = read_ply(test::as_bytes(file), "ascii.ply");
        CHECK(read.cloud.size() == 1);
        CHECK(read.cloud.positions()[1] == 2.0f);
        CHECK(read.cloud.opacity_logits()[0] == -1.5f);
        CHECK(read.cloud.log_scales()[2] == 6.0f);
    }
}

TEST_CASE("ASCII numbers: signs, exponents, and integers where floats are declared") {
    const std::string file = header("ascii", 1, kMinimal) + "+1 -2.5e-3 3E2 0 0 0 0 0 0 0 1 0 0 0\n";
    const GaussianCloud c = read_ply(test::as_bytes(file), "numbers.ply").cloud;
    CHECK(c.positions()[0] == 1.0f);
    CHECK(c.positions()[1] == -2.5e-3f);
    CHECK(c.positions()[2] == 300.0f);
}

TEST_CASE("a scene with zero Gaussians is valid") {
    const GaussianCloud empty(0, 2, false);
    const PlyReadResult read = read_ply(encode_ply(empty), "empty-scene.ply");
    CHECK(read.cloud.size() == 0);
    CHECK(read.cloud.sh_degree() == 2);
}

TEST_CASE("a bad PLY header or body is rejected with one line naming the file and the problem") {
    const auto reject = [](const std::string& file, std::initializer_list<std::string_view> pieces) {
        test::check_input_error([&] { read_ply(test::as_bytes(file), "bad.ply"); }, pieces);
    };
    std::string body;
    for (std::size_t p = 0; p < kMinimal.size() * 3; ++p) append<float>(body, 0.5f);
    const std::string good = header("binary_little_endian", 3, kMinimal) + body;
    REQUIRE(read_ply(test::as_bytes(good), "good.ply").cloud.size() == 3);

    SUBCASE("empty file") {
        reject("", {"bad.ply", "empty file"});
    }
    SUBCASE("not a PLY") {
        reject("hello world\n", {"bad.ply", "not a PLY file"});
    }
    SUBCASE("binary garbage") {
        reject(std::string("\x89PNG\r\n\x1a\n", 8), {"not a PLY file"});
    }
    SUBCASE("no end_header") {
        reject("ply\nformat ascii 1.0\nelement vertex 1\n", {"end_header"});
    }
    SUBCASE("no format line") {
        reject("ply\nelement vertex 0\nend_header\n", {"no 'format' line"});
    }
    SUBCASE("big-endian") {
        reject(header("binary_big_endian", 3, kMinimal) + body, {"big-endian", "not supported"});
    }
    SUBCASE("unknown format") {
        reject(header("binary_middle_endian", 3, kMinimal) + body, {"unknown PLY format"});
    }
    SUBCASE("unknown version") {
        reject("ply\nformat ascii 2.0\nelement vertex 0\nend_header\n", {"unsupported PLY version"});
    }
    SUBCASE("control bytes in the header are refused and escaped in the message") {
        reject("ply\nformat ascii 1.0\nelement ver\x01tex 0\nend_header\n", {"non-text byte", "ver\\x01tex"});
        reject("ply\nformat ascii 1.0\nelement vertex 1\r\r\nend_header\n", {"non-text byte", "\\x0D"});
    }
    SUBCASE("unknown keyword") {
        reject("ply\nformat ascii 1.0\nvertices 3\nend_header\n", {"unknown keyword"});
    }
    SUBCASE("bad count") {
        reject("ply\nformat ascii 1.0\nelement vertex -4\nend_header\n", {"invalid count"});
    }
    SUBCASE("property before element") {
        reject("ply\nformat ascii 1.0\nproperty float x\nend_header\n", {"before any 'element'"});
    }
    SUBCASE("unknown type") {
        reject("ply\nformat ascii 1.0\nelement vertex 0\nproperty float128 x\nend_header\n",
               {"unknown type"});
    }
    SUBCASE("no vertex element") {
        reject("ply\nformat ascii 1.0\nelement face 0\nend_header\n", {"no 'vertex' element"});
    }
    SUBCASE("truncated body") {
        reject(good.substr(0, good.size() - 5),
               {"truncated", "3 vertices", "163 bytes", "2 complete vertices"});
    }
    SUBCASE("count larger than the body") {
        reject(header("binary_little_endian", 4, kMinimal) + body, {"truncated", "4 vertices"});
    }
    SUBCASE("count smaller than the body") {
        reject(header("binary_little_endian", 2, kMinimal) + body, {"declares 2 vertices", "trailing data"});
    }
    SUBCASE("absurd count is refused before allocating") {
        reject(header("binary_little_endian", 1ull << 60, kMinimal) + body, {"truncated"});
    }
}

TEST_CASE("bad PLY vertex properties and values are rejected with one line naming the file and the problem") {
    const auto reject = [](const std::string& file, std::initializer_list<std::string_view> pieces) {
        test::check_input_error([&] { read_ply(test::as_bytes(file), "bad.ply"); }, pieces);
    };
    std::string body;
    for (std::size_t p = 0; p < kMinimal.size() * 3; ++p) append<float>(body, 0.5f);
    const std::string good = header("binary_little_endian", 3, kMinimal) + body;
    REQUIRE(read_ply(test::as_bytes(good), "good.ply").cloud.size() == 3);

    SUBCASE("missing required property") {
        std::vector<std::string> properties = kMinimal;
        properties.erase(properties.begin() + 6);  // opacity
        reject(header("ascii", 0, properties), {"missing required vertex property opacity"});
    }
    SUBCASE("a point cloud, not Gaussians") {
        reject(header("ascii", 0, {"x", "y", "z", "uchar red", "uchar green", "uchar blue"}),
               {"missing required vertex properties", "f_dc_0", "looks like a point cloud"});
    }
    SUBCASE("wrong property type") {
        std::vector<std::string> properties = kMinimal;
        properties[0] = "uchar x";
        reject(header("ascii", 0, properties), {"'x' has type uchar", "float or double"});
    }
    SUBCASE("list property in the vertex element") {
        std::vector<std::string> properties = kMinimal;
        properties.push_back("list uchar float weights");
        reject(header("ascii", 0, properties), {"'weights' is a list"});
    }
    SUBCASE("duplicate property") {
        std::vector<std::string> properties = kMinimal;
        properties.push_back("x");
        reject(header("ascii", 0, properties), {"'x' appears twice"});
    }
    SUBCASE("wrong number of SH coefficients") {
        std::vector<std::string> properties = kMinimal;
        for (int j = 0; j < 10; ++j) properties.push_back("f_rest_" + std::to_string(j));
        reject(header("ascii", 0, properties), {"10 f_rest properties", "0, 9, 24 or 45"});
    }
    SUBCASE("a gap in the SH coefficients") {
        std::vector<std::string> properties = kMinimal;
        for (int j = 1; j < 10; ++j) properties.push_back("f_rest_" + std::to_string(j));
        reject(header("ascii", 0, properties), {"f_rest_0 is missing"});
    }
    SUBCASE("property names with signs or junk after the prefix are unknown, not indices") {
        std::vector<std::string> properties = kMinimal;
        properties.insert(properties.end(), {"rot_-1", "scale_+2", "f_dc_0x", "f_rest_00"});
        const PlyReadResult read = read_ply(test::as_bytes(header("ascii", 0, properties)), "names.ply");
        CHECK(read.skipped_properties ==
              std::vector<std::string>{"rot_-1", "scale_+2", "f_dc_0x", "f_rest_00"});
    }
    SUBCASE("time colour: wrong count, or in a 3D scene; a bad time period") {
        std::vector<std::string> properties = kMinimal;
        for (int j = 0; j < 4; ++j) properties.push_back("f_time_" + std::to_string(j));
        reject(header("ascii", 0, properties), {"f_time properties", "not a 4D scene"});
        for (const char* p : {"t", "scale_t", "rot_r_0", "rot_r_1", "rot_r_2", "rot_r_3"})
            properties.push_back(p);
        reject(header("ascii", 0, properties), {"has 4 f_time properties", "expected 3 or 6"});
        std::vector<std::string> ok = kMinimal;
        for (const char* p : {"t", "scale_t", "rot_r_0", "rot_r_1", "rot_r_2", "rot_r_3"}) ok.push_back(p);
        const std::string scene = header("ascii", 0, ok);
        const std::string with_period = scene.substr(0, scene.size() - 11) +
                                        "element glint_scene 1\nproperty float time_period\nend_header\n";
        reject(with_period + "-2\n", {"time period must be positive"});
        reject(with_period + "1\n5\n", {"trailing data"});
        CHECK(read_ply(test::as_bytes(with_period + "4.5\n"), "ok.ply").cloud.time_period() == 4.5f);
    }
    SUBCASE("half of the 4D fields") {
        std::vector<std::string> properties = kMinimal;
        properties.push_back("t");
        reject(header("ascii", 0, properties), {"scale_t", "4D scene"});
    }
    SUBCASE("NaN in the binary body") {
        std::string nan_body = body;
        const float nan = std::nanf("");
        std::memcpy(nan_body.data() + (kMinimal.size() + 6) * 4, &nan, 4);  // vertex 1, opacity
        reject(header("binary_little_endian", 3, kMinimal) + nan_body, {"vertex 1", "'opacity' is NaN"});
    }
    SUBCASE("infinity in the binary body") {
        std::string inf_body = body;
        const float inf = -INFINITY;
        std::memcpy(inf_body.data() + (2 * kMinimal.size() + 1) * 4, &inf, 4);  // vertex 2, y
        reject(header("binary_little_endian", 3, kMinimal) + inf_body, {"vertex 2", "'y' is infinite"});
    }
    SUBCASE("a double too large for a float") {
        std::vector<std::string> properties = kMinimal;
        properties[0] = "double x";
        std::string file = header("binary_little_endian", 1, properties);
        append<double>(file, 1e300);
        for (std::size_t p = 1; p < kMinimal.size(); ++p) append<float>(file, 0.0f);
        reject(file, {"vertex 0", "outside the range of a float"});
    }
    SUBCASE("ASCII: NaN, garbage, too few and too many values") {
        const std::string h = header("ascii", 2, kMinimal);
        const std::string row = "0 0 0 0 0 0 0 0 0 0 1 0 0 0\n";
        reject(h + row + "0 0 nan 0 0 0 0 0 0 0 1 0 0 0\n", {"vertex 1", "'z' is NaN"});
        reject(h + row + "0 0 zero 0 0 0 0 0 0 0 1 0 0 0\n", {"vertex 1", "cannot read 'zero'"});
        reject(h + row + "0 0 0\n", {"truncated", "2 vertices"});  // refused by size, before parsing
        reject(h + row + "0 0 0 0 0 0 0 0 0 0 0 0 0\n", {"truncated", "after 1 of the 2 vertices"});
        reject(h + row + row + row, {"more data than the 2 vertices"});
    }
    SUBCASE("truncated element before the vertices") {
        reject(header("binary_little_endian", 0, kMinimal, "element face 5\nproperty list uchar int idx\n") +
                   "\x03",
               {"truncated inside element 'face'"});
    }
}

TEST_CASE("file-level errors: missing file, directory") {
    test::check_input_error([] { read_ply_file("/nonexistent/scene.ply"); },
                            {"/nonexistent/scene.ply", "no such file"});
    test::TempDir dir;
    std::filesystem::create_directory(dir / "folder.ply");
    test::check_input_error([&] { read_ply_file(dir / "folder.ply"); }, {"folder.ply", "is a directory"});
}

TEST_SUITE_END();
