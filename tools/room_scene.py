#!/usr/bin/env python3
"""Writes an unbounded-style test scene and its cameras: a textured room (floor, ceiling and four walls
covered by flat opaque Gaussians in random colour cells, and a few boxes) as an ASCII PLY (argv[1]), and a
transforms.json (argv[2]) of N views (argv[3], default 48) taken from inside it looking outward at
W x H (argv[4], argv[5]; default 160 x 120): the kind of capture (a room, a street) where no object sits at
the centre of the cameras. `glint render --cameras transforms.json --index I` then renders the images."""
import json, math, random, sys

random.seed(7)
C0 = 0.28209479177387814
ply, transforms = sys.argv[1], sys.argv[2]
views = int(sys.argv[3]) if len(sys.argv) > 3 else 48
width = int(sys.argv[4]) if len(sys.argv) > 4 else 160
height = int(sys.argv[5]) if len(sys.argv) > 5 else 120
cells = {}


def colour(p):
    key = tuple(int(math.floor(v / 0.3)) for v in p)
    if key not in cells:
        cells[key] = [random.random() for _ in range(3)]
    return [min(1.0, max(0.0, c + random.uniform(-0.06, 0.06))) for c in cells[key]]


rows = []


def add(p, thin_axis):
    s = [math.log(0.05)] * 3
    s[thin_axis] = math.log(0.004)
    rows.append(p + [(v - 0.5) / C0 for v in colour(p)] + [4.0] + s + [1.0, 0.0, 0.0, 0.0])


def plane(count, point, axis):
    for _ in range(count):
        add(point(), axis)


u = random.uniform
plane(14000, lambda: [u(-3, 3), u(-3, 3), 0.0], 2)  # floor
plane(14000, lambda: [u(-3, 3), u(-3, 3), 2.6], 2)  # ceiling
plane(6000, lambda: [3.0, u(-3, 3), u(0, 2.6)], 0)  # walls
plane(6000, lambda: [-3.0, u(-3, 3), u(0, 2.6)], 0)
plane(6000, lambda: [u(-3, 3), 3.0, u(0, 2.6)], 1)
plane(6000, lambda: [u(-3, 3), -3.0, u(0, 2.6)], 1)
for cx, cy, h in [(1.8, 1.5, 0.9), (-1.9, 0.8, 0.6), (0.5, -2.0, 1.2)]:  # boxes 0.8 wide
    plane(800, lambda: [cx + u(-0.4, 0.4), cy + u(-0.4, 0.4), h], 2)
    for side in (-0.4, 0.4):
        plane(600, lambda: [cx + side, cy + u(-0.4, 0.4), u(0, h)], 0)
        plane(600, lambda: [cx + u(-0.4, 0.4), cy + side, u(0, h)], 1)
names = "x y z f_dc_0 f_dc_1 f_dc_2 opacity scale_0 scale_1 scale_2 rot_0 rot_1 rot_2 rot_3".split()
with open(ply, "w") as f:
    f.write("ply\nformat ascii 1.0\nelement vertex %d\n" % len(rows))
    f.writelines("property float %s\n" % n for n in names)
    f.write("end_header\n")
    f.writelines(" ".join("%.6g" % v for v in r) + "\n" for r in rows)


def normalize(v):
    n = math.sqrt(sum(x * x for x in v))
    return [x / n for x in v]


def cross(a, b):
    return [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]


frames = []
for i in range(views):
    # Near the middle of the room, turning round it: yaw spread over the circle, a little pitch.
    r, a = 0.8 * math.sqrt(random.random()), random.uniform(0, 2 * math.pi)
    eye = [r * math.cos(a), r * math.sin(a), random.uniform(1.1, 1.5)]
    yaw, pitch = 2 * math.pi * (i + random.random() * 0.5) / views, random.uniform(-0.25, 0.2)
    forward = [math.cos(yaw) * math.cos(pitch), math.sin(yaw) * math.cos(pitch), math.sin(pitch)]
    right = normalize(cross(forward, [0, 0, 1]))
    up = cross(right, forward)
    c2w = [[right[k], up[k], -forward[k], eye[k]] for k in range(3)] + [[0, 0, 0, 1]]
    frames.append({"file_path": "images/r_%03d.png" % i, "transform_matrix": c2w})
json.dump({"camera_angle_x": math.radians(75), "w": width, "h": height, "frames": frames},
          open(transforms, "w"), indent=1)
