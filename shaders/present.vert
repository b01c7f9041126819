// A triangle that covers the viewport; the presenter draws the shown image with it.
#version 450

layout(location = 0) out vec2 v_uv;

void main() {
    // Vertices (-1,-1), (3,-1), (-1,3): one triangle whose inside covers the clip square.
    const vec2 corner = vec2((gl_VertexIndex << 1) & 2, gl_VertexIndex & 2);
    v_uv = corner;
    gl_Position = vec4(corner * 2.0 - 1.0, 0.0, 1.0);
}
