// Shows the presenter's image in the viewport: exact texels when the sizes match, bilinear otherwise.
#version 450

layout(location = 0) in vec2 v_uv;
layout(location = 0) out vec4 out_color;

layout(set = 0, binding = 0) uniform sampler2D u_image;

layout(push_constant) uniform Push {
    vec2 origin;  // the viewport's top-left corner in framebuffer pixels
    int exact;    // 1 when the image has the viewport's size: texelFetch, no filtering
} u_push;

void main() {
    if (u_push.exact == 1) {
        out_color = texelFetch(u_image, ivec2(gl_FragCoord.xy - u_push.origin), 0);
    } else {
        out_color = texture(u_image, v_uv);
    }
}
