#include "glint/splatting/spz_format.h"

#include <zlib.h>
#include <zstd.h>

#include <tbb/parallel_for.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <thread>

#include "glint/core/atomic_file.h"
#include "glint/core/error.h"
#include "glint/core/text.h"
#include "glint/splatting/activation.h"

namespace glint::splatting {
namespace {

constexpr std::uint32_t kMagic = 0x5053474e;  // "NGSP", little-endian
constexpr std::size_t kHeaderBytes = 16;      // versions 2 and 3
constexpr std::size_t kHeaderBytesV4 = 32;
constexpr float kColorScale = 0.15f;  // the reference's: f_dc * 0.15 + 0.5 fits wide colours in a byte
constexpr std::uint8_t kFlagAntialiased = 0x1, kFlagExtensions = 0x2;
constexpr float kSqrtHalf = 0.70710678118654752f;
constexpr std::uint32_t kNineBits = (1u << 9) - 1;
constexpr int kSh1Bucket = 1 << (8 - 5), kShRestBucket = 1 << (8 - 4);  // 5 and 4 bits
constexpr std::uint32_t kMaxPoints = 1u << 28;

std::uint32_t u32(const std::byte* p) {
    std::uint32_t v;
    std::memcpy(&v, p, 4);
    return v;
}
std::uint64_t u64(const std::byte* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
void put32(std::vector<std::byte>& out, std::uint32_t v) {
    const auto* b = reinterpret_cast<const std::byte*>(&v);
    out.insert(out.end(), b, b + 4);
}
void put64(std::vector<std::byte>& out, std::uint64_t v) {
    const auto* b = reinterpret_cast<const std::byte*>(&v);
    out.insert(out.end(), b, b + 8);
}

std::uint8_t to_byte(float x) {  // rounded to nearest (halves up), clamped to [0, 255]
    return static_cast<std::uint8_t>(std::clamp(x, 0.0f, 255.0f) + 0.5f);
}

std::vector<std::byte> gunzip(std::span<const std::byte> in, std::string_view name) {
    z_stream stream{};
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    stream.avail_in = static_cast<uInt>(in.size());
    if (inflateInit2(&stream, 16 + MAX_WBITS) != Z_OK) throw InputError(cat(name, ": cannot start gzip"));
    std::vector<std::byte> out;
    std::array<std::byte, 1 << 16> buffer;
    int result = Z_OK;
    while (result == Z_OK) {
        stream.next_out = reinterpret_cast<Bytef*>(buffer.data());
        stream.avail_out = static_cast<uInt>(buffer.size());
        result = inflate(&stream, Z_NO_FLUSH);
        out.insert(out.end(), buffer.data(), buffer.data() + (buffer.size() - stream.avail_out));
        if (out.size() > (std::size_t{1} << 34)) result = Z_MEM_ERROR;
    }
    inflateEnd(&stream);
    if (result != Z_STREAM_END)
        throw InputError(
            cat(name, ": the gzip stream is ",
                result == Z_BUF_ERROR ? "truncated" : "corrupt (zlib error " + std::to_string(result) + ")"));
    return out;
}

std::vector<std::byte> gzip(std::span<const std::byte> in) {
    z_stream stream{};
    if (deflateInit2(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 16 + MAX_WBITS, 9, Z_DEFAULT_STRATEGY) !=
        Z_OK)
        throw Error("spz: cannot start gzip");
    std::vector<std::byte> out(deflateBound(&stream, static_cast<uLong>(in.size())) + 64);
    stream.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    stream.avail_in = static_cast<uInt>(in.size());
    stream.next_out = reinterpret_cast<Bytef*>(out.data());
    stream.avail_out = static_cast<uInt>(out.size());
    const int result = deflate(&stream, Z_FINISH);
    out.resize(stream.total_out);
    deflateEnd(&stream);
    if (result != Z_STREAM_END) throw Error("spz: gzip failed");
    return out;
}

// The arrays of `count` Gaussians, as stored (versions 3 and 4: four rotation bytes; 2: three).
struct Packed {
    std::vector<std::uint8_t> positions, alphas, colors, scales, rotations, sh;
};

std::size_t sh_bytes_per_point(int degree) {
    return static_cast<std::size_t>(sh_rest_count(degree)) * 3;
}

void decode_smallest_three(std::uint32_t packed, float q[4]) {  // q: w, x, y, z (glint's order)
    float xyzw[4];
    const unsigned largest = packed >> 30;
    float sum = 0.0f;
    for (int i = 3; i >= 0; --i) {
        if (static_cast<unsigned>(i) == largest) continue;
        const std::uint32_t magnitude = packed & kNineBits;
        const bool negative = ((packed >> 9) & 1u) != 0;
        packed >>= 10;
        xyzw[i] = kSqrtHalf * static_cast<float>(magnitude) / static_cast<float>(kNineBits);
        if (negative) xyzw[i] = -xyzw[i];
        sum += xyzw[i] * xyzw[i];
    }
    xyzw[largest] = std::sqrt(std::max(0.0f, 1.0f - sum));
    q[0] = xyzw[3], q[1] = xyzw[0], q[2] = xyzw[1], q[3] = xyzw[2];
}

std::uint32_t encode_smallest_three(const float q_wxyz[4]) {
    float q[4] = {q_wxyz[1], q_wxyz[2], q_wxyz[3], q_wxyz[0]};  // x, y, z, w as stored
    const float norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    if (!(norm > 0.0f))
        q[0] = q[1] = q[2] = 0.0f, q[3] = 1.0f;
    else
        for (float& c : q) c /= norm;
    unsigned largest = 0;
    for (unsigned i = 1; i < 4; ++i)
        if (std::fabs(q[i]) > std::fabs(q[largest])) largest = i;
    const bool negate = q[largest] < 0.0f;  // -q is the same rotation: the largest is stored positive
    std::uint32_t packed = largest;
    for (unsigned i = 0; i < 4; ++i) {
        if (i == largest) continue;
        const std::uint32_t sign = static_cast<std::uint32_t>((q[i] < 0.0f) != negate);
        const auto magnitude = static_cast<std::uint32_t>(
            std::min(static_cast<float>(kNineBits),
                     static_cast<float>(kNineBits) * std::fabs(q[i]) / kSqrtHalf + 0.5f));
        packed = (packed << 10) | (sign << 9) | magnitude;
    }
    return packed;
}

// SPZ's axes are RUB (x right, y up, z back); glint holds the reference PLY's (x right, y down, z
// forward). The change is a half turn about x: positions (x, -y, -z), quaternions (w, x, -y, -z), and SH
// coefficients whose basis functions are odd in (y, z) change sign. Its own inverse; applied as values
// are unpacked and packed.
constexpr float kShFlip[15] = {-1, -1, 1,                  // degree 1: y, z, x
                               -1, 1,  1,  -1, 1,          // degree 2: xy, yz, 3zz - 1, xz, xx - yy
                               -1, 1,  -1, -1, 1, -1, 1};  // degree 3

// Decodes the arrays into glint's axes (change_axes folded in).
GaussianCloud unpack(const Packed& p, std::size_t count, int degree, int fractional_bits, int version) {
    GaussianCloud cloud;
    cloud.resize_for_overwrite(count, degree, false);
    const float position_scale = 1.0f / static_cast<float>(1u << fractional_bits);
    const std::size_t rest = sh_bytes_per_point(degree);
    auto positions = cloud.positions();
    auto log_scales = cloud.log_scales();
    auto rotations = cloud.rotations();
    auto opacity = cloud.opacity_logits();
    auto dc = cloud.sh_dc();
    auto sh_rest = cloud.sh_rest();
    constexpr float kLow = 0.5f / 255.0f;
    tbb::parallel_for(std::size_t{0}, count, [&](std::size_t i) {
        for (int k = 0; k < 3; ++k) {
            const std::uint8_t* b = &p.positions[9 * i + 3 * static_cast<std::size_t>(k)];
            std::int32_t fixed = b[0] | (b[1] << 8) | (b[2] << 16);
            if ((fixed & 0x800000) != 0) fixed -= 0x1000000;  // sign of 24 bits
            positions[3 * i + k] = (k == 0 ? 1.0f : -1.0f) * static_cast<float>(fixed) * position_scale;
            log_scales[3 * i + k] = static_cast<float>(p.scales[3 * i + k]) / 16.0f - 10.0f;
            dc[3 * i + k] = (static_cast<float>(p.colors[3 * i + k]) / 255.0f - 0.5f) / kColorScale;
        }
        opacity[i] = logit(std::clamp(static_cast<float>(p.alphas[i]) / 255.0f, kLow, 1.0f - kLow));
        float* q = &rotations[4 * i];
        if (version == 2) {
            const std::uint8_t* r = &p.rotations[3 * i];
            float xyz[3], sum = 0.0f;
            for (int k = 0; k < 3; ++k)
                xyz[k] = static_cast<float>(r[k]) / 127.5f - 1.0f, sum += xyz[k] * xyz[k];
            q[0] = std::sqrt(std::max(0.0f, 1.0f - sum)), q[1] = xyz[0], q[2] = xyz[1], q[3] = xyz[2];
        } else {
            const std::uint8_t* r = &p.rotations[4 * i];
            decode_smallest_three(static_cast<std::uint32_t>(r[0]) | (static_cast<std::uint32_t>(r[1]) << 8) |
                                      (static_cast<std::uint32_t>(r[2]) << 16) |
                                      (static_cast<std::uint32_t>(r[3]) << 24),
                                  q);
        }
        q[2] = -q[2], q[3] = -q[3];
        for (std::size_t j = 0; j < rest; ++j)
            sh_rest[i * rest + j] =
                kShFlip[j / 3] * (static_cast<float>(p.sh[i * rest + j]) - 128.0f) / 128.0f;
    });
    return cloud;
}

// Splits `data` (the arrays one after the other) into a Packed; the sizes were checked.
Packed split(std::span<const std::byte> data, std::size_t count, int degree, int version) {
    Packed p;
    std::size_t at = 0;
    const auto take = [&](std::vector<std::uint8_t>& out, std::size_t bytes) {
        out.resize(bytes);
        if (bytes > 0) std::memcpy(out.data(), data.data() + at, bytes);
        at += bytes;
    };
    take(p.positions, 9 * count);
    take(p.alphas, count);
    take(p.colors, 3 * count);
    take(p.scales, 3 * count);
    take(p.rotations, (version == 2 ? 3 : 4) * count);
    take(p.sh, sh_bytes_per_point(degree) * count);
    return p;
}

struct Header {
    std::uint32_t version = 0, count = 0;
    int degree = 0, fractional_bits = 0;
    std::uint8_t flags = 0, byte15 = 0;
};

Header read_header(std::span<const std::byte> bytes, std::string_view name) {
    if (bytes.size() < kHeaderBytes)
        throw InputError(cat(name, ": truncated .spz header (", bytes.size(), " bytes)"));
    if (u32(bytes.data()) != kMagic) throw InputError(cat(name, ": not a .spz file (no NGSP magic)"));
    Header h;
    h.version = u32(bytes.data() + 4);
    h.count = u32(bytes.data() + 8);
    h.degree = static_cast<int>(bytes[12]);
    h.fractional_bits = static_cast<int>(bytes[13]);
    h.flags = static_cast<std::uint8_t>(bytes[14]);
    h.byte15 = static_cast<std::uint8_t>(bytes[15]);
    if (h.version == 1)
        throw InputError(cat(name, ": .spz version 1 (float16 positions, never released) is not supported"));
    if (h.version < 2 || h.version > 4)
        throw InputError(cat(name, ": .spz version ", h.version, " is not supported (2, 3 and 4 are)"));
    if (h.degree > kMaxShDegree)
        throw InputError(cat(name, ": SH degree ", h.degree, " (glint renders up to ", kMaxShDegree, ")"));
    if (h.fractional_bits > 23)
        throw InputError(cat(name, ": ", h.fractional_bits, " fractional bits do not fit 24-bit positions"));
    if ((h.flags & kFlagExtensions) != 0)
        throw InputError(cat(name, ": .spz extensions (flag 0x2) are not supported"));
    if (h.count > kMaxPoints)
        throw InputError(cat(name, ": ", h.count, " Gaussians is more than glint reads"));
    return h;
}

}  // namespace

GaussianCloud read_spz(std::span<const std::byte> bytes, std::string_view name, SpzInfo* info) {
    const bool gzipped = bytes.size() >= 2 && bytes[0] == std::byte{0x1f} && bytes[1] == std::byte{0x8b};
    std::vector<std::byte> plain;
    std::span<const std::byte> data = bytes;
    if (gzipped) {
        plain = gunzip(bytes, name);
        data = plain;
    }
    const Header h = read_header(data, name);
    const std::size_t n = h.count;
    const std::size_t rotation_bytes = h.version == 2 ? 3 : 4;
    const std::array<std::size_t, 6> sizes{
        9 * n, n, 3 * n, 3 * n, rotation_bytes * n, sh_bytes_per_point(h.degree) * n};
    Packed packed;
    if (h.version <= 3) {
        // Without the gzip wrapper (some tools write it so) the layout is the same.
        std::size_t total = 0;
        for (const std::size_t s : sizes) total += s;
        if (data.size() - kHeaderBytes < total)
            throw InputError(cat(name, ": truncated: ", n, " Gaussians need ", total,
                                 " bytes after the header, ", data.size() - kHeaderBytes, " are there"));
        packed = split(data.subspan(kHeaderBytes), n, h.degree, static_cast<int>(h.version));
    } else {
        if (gzipped)
            throw InputError(cat(name, ": a version 4 .spz inside gzip (version 4 compresses each array)"));
        if (data.size() < kHeaderBytesV4) throw InputError(cat(name, ": truncated .spz version 4 header"));
        const std::size_t streams = h.byte15;
        const std::size_t expected = h.degree > 0 ? 6 : 5;
        if (streams != expected)
            throw InputError(
                cat(name, ": ", streams, " streams where SH degree ", h.degree, " needs ", expected));
        const std::size_t table = u32(data.data() + 16);
        if (table < kHeaderBytesV4 || table > data.size() || (data.size() - table) / 16 < streams)
            throw InputError(cat(name, ": the stream table (at byte ", table, ") lies outside the file"));
        std::size_t at = table + 16 * streams;
        std::array<std::vector<std::uint8_t>*, 6> out{&packed.positions, &packed.alphas,    &packed.colors,
                                                      &packed.scales,    &packed.rotations, &packed.sh};
        static constexpr const char* kNames[6] = {"positions", "opacities", "colours",
                                                  "scales",    "rotations", "SH"};
        // Sizes first, then the streams decompressed in parallel.
        std::array<std::size_t, 6> offsets{}, packed_sizes{};
        for (std::size_t s = 0; s < streams; ++s) {
            const std::uint64_t compressed = u64(data.data() + table + 16 * s);
            const std::uint64_t plain_size = u64(data.data() + table + 16 * s + 8);
            if (plain_size != sizes[s])
                throw InputError(cat(name, ": the ", kNames[s], " stream says ", plain_size, " bytes; ", n,
                                     " Gaussians need ", sizes[s]));
            if (compressed > data.size() - at)
                throw InputError(cat(name, ": truncated: the ", kNames[s], " stream needs ", compressed,
                                     " bytes, ", data.size() - at, " are left"));
            offsets[s] = at;
            packed_sizes[s] = compressed;
            out[s]->resize(plain_size);
            at += compressed;
        }
        std::array<std::size_t, 6> got{};
        tbb::parallel_for(std::size_t{0}, streams, [&](std::size_t s) {
            got[s] =
                ZSTD_decompress(out[s]->data(), out[s]->size(), data.data() + offsets[s], packed_sizes[s]);
        });
        for (std::size_t s = 0; s < streams; ++s)
            if (ZSTD_isError(got[s]) || got[s] != sizes[s])
                throw InputError(cat(name, ": the ", kNames[s], " stream does not decompress (",
                                     ZSTD_isError(got[s]) ? ZSTD_getErrorName(got[s]) : "wrong size", ")"));
    }
    if (info != nullptr) {
        info->version = static_cast<int>(h.version);
        info->fractional_bits = h.fractional_bits;
        info->antialiased = (h.flags & kFlagAntialiased) != 0;
        info->compression = h.version == 4 ? "zstd streams" : gzipped ? "gzip" : "uncompressed";
    }
    // Every value is decoded from bytes through finite maps (the opacity's logit from a clamped
    // fraction), so no NaN or infinity can come out: no check needed.
    return unpack(packed, n, h.degree, h.fractional_bits, static_cast<int>(h.version));
}

std::vector<std::byte> encode_spz(const GaussianCloud& in, int version) {
    if (version != 3 && version != 4)
        throw InputError(cat(".spz version ", version, " is not written (3 or 4)"));
    if (in.is_4d()) throw InputError(".spz stores 3D Gaussians; this scene is 4D (write .ply)");
    const GaussianCloud& cloud = in;
    const std::size_t n = cloud.size();
    if (n > kMaxPoints) throw InputError(cat(n, " Gaussians is more than a .spz file holds here"));
    // Fractional bits: 12 (the reference's) unless the largest coordinate needs fewer to fit 24 bits.
    float largest = 0.0f;
    for (const float p : cloud.positions()) largest = std::max(largest, std::fabs(p));
    int fractional_bits = 12;
    while (fractional_bits > 0 && largest * static_cast<float>(1u << fractional_bits) > 8388607.0f)
        --fractional_bits;
    if (largest > 8388607.0f)
        throw InputError(cat("a coordinate of ", largest, " does not fit .spz's 24-bit positions"));
    const int degree = cloud.sh_degree();
    const std::size_t rest = sh_bytes_per_point(degree);
    Packed p;
    p.positions.resize(9 * n);
    p.alphas.resize(n);
    p.colors.resize(3 * n);
    p.scales.resize(3 * n);
    p.rotations.resize(4 * n);
    p.sh.resize(rest * n);
    const float position_scale = static_cast<float>(1u << fractional_bits);
    const GaussianCloud& c = cloud;
    // Into SPZ's axes as the values are packed (change_axes folded in).
    tbb::parallel_for(std::size_t{0}, n, [&](std::size_t i) {
        float q_spz[4] = {c.rotations()[4 * i], c.rotations()[4 * i + 1], -c.rotations()[4 * i + 2],
                          -c.rotations()[4 * i + 3]};
        for (int k = 0; k < 3; ++k) {
            const auto fixed = static_cast<std::int32_t>(
                std::round((k == 0 ? 1.0f : -1.0f) * c.positions()[3 * i + k] * position_scale));
            std::uint8_t* b = &p.positions[9 * i + 3 * static_cast<std::size_t>(k)];
            b[0] = static_cast<std::uint8_t>(fixed & 0xff);
            b[1] = static_cast<std::uint8_t>((fixed >> 8) & 0xff);
            b[2] = static_cast<std::uint8_t>((fixed >> 16) & 0xff);
            p.scales[3 * i + k] = to_byte((c.log_scales()[3 * i + k] + 10.0f) * 16.0f);
            p.colors[3 * i + k] = to_byte((c.sh_dc()[3 * i + k] * kColorScale + 0.5f) * 255.0f);
        }
        p.alphas[i] = to_byte(sigmoid(c.opacity_logits()[i]) * 255.0f);
        const std::uint32_t q = encode_smallest_three(q_spz);
        for (int k = 0; k < 4; ++k) p.rotations[4 * i + k] = static_cast<std::uint8_t>((q >> (8 * k)) & 0xff);
        for (std::size_t j = 0; j < rest; ++j) {
            const int bucket = j < 9 ? kSh1Bucket : kShRestBucket;  // the first three coefficients: degree 1
            int q8 = static_cast<int>(std::round(kShFlip[j / 3] * c.sh_rest()[i * rest + j] * 128.0f)) + 128;
            q8 = (q8 + bucket / 2) / bucket * bucket;
            p.sh[i * rest + j] = static_cast<std::uint8_t>(std::clamp(q8, 0, 255));
        }
    });
    std::vector<std::byte> header;
    put32(header, kMagic);
    put32(header, static_cast<std::uint32_t>(version));
    put32(header, static_cast<std::uint32_t>(n));
    header.push_back(static_cast<std::byte>(degree));
    header.push_back(static_cast<std::byte>(fractional_bits));
    header.push_back(std::byte{0});  // flags: no anti-aliasing claim, no extensions
    const std::array<const std::vector<std::uint8_t>*, 6> arrays{&p.positions, &p.alphas,    &p.colors,
                                                                 &p.scales,    &p.rotations, &p.sh};
    const std::size_t streams = degree > 0 ? 6 : 5;
    if (version == 3) {
        header.push_back(std::byte{0});
        for (const auto* a : arrays) {
            const auto* b = reinterpret_cast<const std::byte*>(a->data());
            header.insert(header.end(), b, b + a->size());
        }
        return gzip(header);
    }
    header.push_back(static_cast<std::byte>(streams));
    put32(header, static_cast<std::uint32_t>(kHeaderBytesV4));
    header.resize(kHeaderBytesV4, std::byte{0});
    std::vector<std::vector<std::byte>> compressed(streams);
    std::vector<std::size_t> packed_sizes(streams);
    // The streams in parallel, and each large one over zstd's own workers (one frame still).
    const int workers = std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
    tbb::parallel_for(std::size_t{0}, streams, [&](std::size_t s) {
        compressed[s].resize(ZSTD_compressBound(arrays[s]->size()));
        ZSTD_CCtx* context = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, ZSTD_CLEVEL_DEFAULT);
        if (arrays[s]->size() > (std::size_t{4} << 20))
            ZSTD_CCtx_setParameter(context, ZSTD_c_nbWorkers, workers);
        packed_sizes[s] = ZSTD_compress2(context, compressed[s].data(), compressed[s].size(),
                                         arrays[s]->data(), arrays[s]->size());
        ZSTD_freeCCtx(context);
    });
    for (std::size_t s = 0; s < streams; ++s) {
        if (ZSTD_isError(packed_sizes[s]))
            throw Error(cat("spz: zstd failed: ", ZSTD_getErrorName(packed_sizes[s])));
        compressed[s].resize(packed_sizes[s]);
        put64(header, packed_sizes[s]);
        put64(header, arrays[s]->size());
    }
    for (const auto& stream : compressed) header.insert(header.end(), stream.begin(), stream.end());
    return header;
}

void write_spz(const GaussianCloud& cloud, const std::filesystem::path& path, int version) {
    const std::vector<std::byte> bytes = encode_spz(cloud, version);
    AtomicFile file(path);
    file.write(bytes);
    file.commit();
}

}  // namespace glint::splatting
