#!/usr/bin/env python3
"""Independent check of `glint render` against the reference 3DGS rasterizer's formulation.

Written from the reference CUDA rasterizer's algorithm, not from glint's code: cameras from a NeRF
transforms.json through a full projection matrix (znear 0.01, zfar 100) and ndc2Pix, pixels at integer
coordinates, Sigma = R S S^T R^T, the 1.3x FOV-clamped Jacobian, the 0.3 dilation, 3-sigma radius and
getRect with 16x16 tiles, SH degree 0, depth sort, front-to-back blending with alpha = min(0.99, o e^p),
skip below 1/255, stop before T < 1e-4, black background. Pure Python (no numpy), so it renders a small
image. Exits 1 when glint's PNG differs by more than 2/255 anywhere (8-bit quantization is 0.5/255).
"""
import argparse, json, math, os, struct, subprocess, sys, tempfile, zlib

SH_C0 = 0.28209479177387814


def read_ply(path):
    data = open(path, "rb").read()
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode().split("\n")
    assert "format binary_little_endian 1.0" in header, "binary little-endian PLY expected"
    names = [line.split()[2] for line in header if line.startswith("property float")]
    count = int([line for line in header if line.startswith("element vertex")][0].split()[2])
    index = {name: i for i, name in enumerate(names)}
    rows = [struct.unpack_from("<%df" % len(names), data, end + 4 * len(names) * i) for i in range(count)]
    return rows, index


def matmul(a, b):
    return [[sum(a[i][k] * b[k][j] for k in range(len(b))) for j in range(len(b[0]))] for i in range(len(a))]


def transpose(a):
    return [list(r) for r in zip(*a)]


def camera_from_transforms(path):
    meta = json.load(open(path))
    frame = meta["frames"][0]
    c2w = [row[:] for row in frame["transform_matrix"]]
    for r in range(3):  # OpenGL (y up, z back) -> COLMAP/OpenCV: flip the y and z axes
        c2w[r][1] *= -1.0
        c2w[r][2] *= -1.0
    rot = [[c2w[r][c] for c in range(3)] for r in range(3)]
    pos = [c2w[r][3] for r in range(3)]
    r_w2c = transpose(rot)
    t_w2c = [-sum(r_w2c[i][k] * pos[k] for k in range(3)) for i in range(3)]
    width, height = meta["w"], meta["h"]
    fov_x = meta["camera_angle_x"]
    focal = 0.5 * width / math.tan(0.5 * fov_x)
    fov_y = 2.0 * math.atan(0.5 * height / focal)
    view = [r_w2c[0] + [t_w2c[0]], r_w2c[1] + [t_w2c[1]], r_w2c[2] + [t_w2c[2]], [0.0, 0.0, 0.0, 1.0]]
    znear, zfar = 0.01, 100.0
    top, right = math.tan(fov_y / 2) * znear, math.tan(fov_x / 2) * znear
    proj = [[2 * znear / (2 * right), 0, 0, 0], [0, 2 * znear / (2 * top), 0, 0],
            [0, 0, zfar / (zfar - znear), -(zfar * znear) / (zfar - znear)], [0, 0, 1, 0]]
    return view, matmul(proj, view), width, height, math.tan(fov_x / 2), math.tan(fov_y / 2), pos


def render(rows, index, camera):
    view, full, width, height, tan_x, tan_y, campos = camera
    focal_x, focal_y = width / (2 * tan_x), height / (2 * tan_y)
    grid_x, grid_y = (width + 15) // 16, (height + 15) // 16
    splats = []
    for row in rows:
        p = [row[index["x"]], row[index["y"]], row[index["z"]], 1.0]
        pv = [sum(view[i][k] * p[k] for k in range(4)) for i in range(3)]
        if pv[2] <= 0.2:
            continue
        ph = [sum(full[i][k] * p[k] for k in range(4)) for i in range(4)]
        w = 1.0 / (ph[3] + 1e-7)
        ndc = [ph[0] * w, ph[1] * w]
        s = [math.exp(row[index["scale_%d" % k]]) for k in range(3)]
        q = [row[index["rot_%d" % k]] for k in range(4)]
        n = math.sqrt(sum(v * v for v in q))
        qw, qx, qy, qz = (v / n for v in q)
        rot = [[1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qw * qz), 2 * (qx * qz + qw * qy)],
               [2 * (qx * qy + qw * qz), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qw * qx)],
               [2 * (qx * qz - qw * qy), 2 * (qy * qz + qw * qx), 1 - 2 * (qx * qx + qy * qy)]]
        m = [[rot[i][j] * s[j] for j in range(3)] for i in range(3)]
        sigma = matmul(m, transpose(m))
        tx, ty, tz = pv
        limx, limy = 1.3 * tan_x, 1.3 * tan_y
        tx = min(limx, max(-limx, tx / tz)) * tz
        ty = min(limy, max(-limy, ty / tz)) * tz
        jac = [[focal_x / tz, 0.0, -(focal_x * tx) / (tz * tz)], [0.0, focal_y / tz, -(focal_y * ty) / (tz * tz)]]
        t = matmul(jac, [r[:3] for r in view[:3]])
        cov = matmul(matmul(t, sigma), transpose(t))
        a, b, c = cov[0][0] + 0.3, cov[0][1], cov[1][1] + 0.3
        det = a * c - b * b
        if det == 0.0:
            continue
        conic = (c / det, -b / det, a / det)
        mid = 0.5 * (a + c)
        lam = mid + math.sqrt(max(0.1, mid * mid - det))
        radius = math.ceil(3.0 * math.sqrt(lam))
        px, py = ((ndc[0] + 1.0) * width - 1.0) * 0.5, ((ndc[1] + 1.0) * height - 1.0) * 0.5
        rect = (min(grid_x, max(0, int((px - radius) / 16))), min(grid_y, max(0, int((py - radius) / 16))),
                min(grid_x, max(0, int((px + radius + 15) / 16))), min(grid_y, max(0, int((py + radius + 15) / 16))))
        if (rect[2] - rect[0]) * (rect[3] - rect[1]) == 0:
            continue
        color = [max(SH_C0 * row[index["f_dc_%d" % k]] + 0.5, 0.0) for k in range(3)]
        opacity = 1.0 / (1.0 + math.exp(-row[index["opacity"]]))
        splats.append((pv[2], px, py, conic, opacity, color, rect))
    splats.sort(key=lambda sp: sp[0])
    tiles = {}
    for sp in splats:
        x0, y0, x1, y1 = sp[6]
        for ty_ in range(y0, y1):
            for tx_ in range(x0, x1):
                tiles.setdefault((tx_, ty_), []).append(sp)
    image = [[0.0, 0.0, 0.0] for _ in range(width * height)]
    for y in range(height):
        for x in range(width):
            T, out = 1.0, [0.0, 0.0, 0.0]
            for _, px, py, (ca, cb, cc), opacity, color, _ in tiles.get((x // 16, y // 16), []):
                dx, dy = px - x, py - y
                power = -0.5 * (ca * dx * dx + cc * dy * dy) - cb * dx * dy
                if power > 0.0:
                    continue
                alpha = min(0.99, opacity * math.exp(power))
                if alpha < 1.0 / 255.0:
                    continue
                test_t = T * (1.0 - alpha)
                if test_t < 0.0001:
                    break
                for k in range(3):
                    out[k] += color[k] * alpha * T
                T = test_t
            image[y * width + x] = out
    return image


def read_png_rgb(path):
    data = open(path, "rb").read()
    pos, idat = 8, b""
    while pos < len(data):
        n = struct.unpack(">I", data[pos:pos + 4])[0]
        kind, chunk = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height = struct.unpack(">II", chunk[:8])
            assert chunk[8] == 8 and chunk[9] == 2, "8-bit RGB PNG expected"
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + n
    raw, stride, rows, prev, i = zlib.decompress(idat), width * 3, [], bytearray(width * 3), 0
    for _ in range(height):
        kind, line = raw[i], bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - 3] if x >= 3 else 0
            b, c = prev[x], (prev[x - 3] if x >= 3 else 0)
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + ((a + b) >> 1)) & 255
            elif kind == 4:
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else (b if pb <= pc else c))) & 255
        rows.append(bytes(line))
        prev = line
    return width, height, rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--glint", required=True)
    parser.add_argument("--ply", required=True)
    args = parser.parse_args()
    rows, index = read_ply(args.ply)
    xs, ys, zs = ([r[index[a]] for r in rows] for a in "xyz")
    centre = [sum(v) / len(v) for v in (xs, ys, zs)]
    eye = [centre[0] + 0.05, centre[1] - 0.2, centre[2] + 0.18]  # above and in front of the object
    # OpenGL camera-to-world looking at the centre, z up.
    back = [eye[k] - centre[k] for k in range(3)]
    n = math.sqrt(sum(v * v for v in back))
    back = [v / n for v in back]
    right = [0.0 * back[2] - 1.0 * back[1], 1.0 * back[0] - 0.0 * back[2], 0.0]
    n = math.sqrt(sum(v * v for v in right))
    right = [v / n for v in right]
    up = [back[1] * right[2] - back[2] * right[1], back[2] * right[0] - back[0] * right[2],
          back[0] * right[1] - back[1] * right[0]]
    matrix = [[right[r], up[r], back[r], eye[r]] for r in range(3)] + [[0, 0, 0, 1]]
    with tempfile.TemporaryDirectory() as folder:
        transforms = os.path.join(folder, "transforms.json")
        json.dump({"camera_angle_x": 0.9, "w": 72, "h": 56,
                   "frames": [{"file_path": "view", "transform_matrix": matrix}]}, open(transforms, "w"))
        output = os.path.join(folder, "glint.png")
        subprocess.run([args.glint, "-q", "render", args.ply, "--cameras", transforms, "--backend", "cpu",
                        "-o", output], check=True)
        width, height, glint_rows = read_png_rgb(output)
        reference = render(rows, index, camera_from_transforms(transforms))
    worst, squared, covered = 0.0, 0.0, 0
    for y in range(height):
        for x in range(width):
            ref = reference[y * width + x]
            covered += max(ref) > 0.05
            for k in range(3):
                ours = glint_rows[y][3 * x + k] / 255.0
                expected = min(max(ref[k], 0.0), 1.0)
                worst = max(worst, abs(ours - expected))
                squared += (ours - expected) ** 2
    mse = squared / (width * height * 3)
    psnr = 10 * math.log10(1.0 / mse) if mse > 0 else float("inf")
    print("reference check: %dx%d, %d of %d pixels covered, max difference %.4f (%.2f/255), PSNR %.1f dB"
          % (width, height, covered, width * height, worst, worst * 255, psnr))
    if covered < width * height // 10:
        print("the object covers too little of the image for a meaningful comparison", file=sys.stderr)
        return 1
    return 0 if worst <= 2.0 / 255.0 else 1


if __name__ == "__main__":
    sys.exit(main())
