#!/usr/bin/env python3
"""Writes the textured test scene of the COLMAP fixtures as an ASCII PLY (argv[1]): flat opaque Gaussians
covering a ground square and a box, coloured in random cells, so rendered views have corners for SIFT."""
import math, random, sys
random.seed(11)
C0 = 0.28209479177387814
cell_colour = {}
def colour(p):
    key = tuple(int(math.floor(v / 0.18)) for v in p)
    if key not in cell_colour:
        cell_colour[key] = [random.random() for _ in range(3)]
    return [min(1.0, max(0.0, c + random.uniform(-0.05, 0.05))) for c in cell_colour[key]]
rows = []
def add(p, thin_axis):
    s = [math.log(0.022)] * 3
    s[thin_axis] = math.log(0.002)
    c = colour(p)
    rows.append(p + [(v - 0.5) / C0 for v in c] + [4.0] + s + [1.0, 0.0, 0.0, 0.0])
for _ in range(26000):  # ground square z = 0
    add([random.uniform(-2, 2), random.uniform(-2, 2), 0.0], 2)
for _ in range(14000):  # box [-0.7, 0.7]^2 x [0, 1.4], five faces
    face = random.randrange(5)
    u, v = random.uniform(-0.7, 0.7), random.uniform(0.0, 1.4)
    if face == 0: add([0.7, u, v], 0)
    elif face == 1: add([-0.7, u, v], 0)
    elif face == 2: add([u, 0.7, v], 1)
    elif face == 3: add([u, -0.7, v], 1)
    else: add([u, random.uniform(-0.7, 0.7), 1.4], 2)
names = "x y z f_dc_0 f_dc_1 f_dc_2 opacity scale_0 scale_1 scale_2 rot_0 rot_1 rot_2 rot_3".split()
with open(sys.argv[1], "w") as f:
    f.write("ply\nformat ascii 1.0\nelement vertex %d\n" % len(rows))
    f.writelines("property float %s\n" % n for n in names)
    f.write("end_header\n")
    f.writelines(" ".join("%.6g" % v for v in r) + "\n" for r in rows)
