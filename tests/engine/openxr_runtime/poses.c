/* poses.c: pose arithmetic in OpenXR axes (Y up, -Z ahead) */
#include "runtime.h"

/* ---- pose math (OpenXR axes) ---------------------------------------------------------- */
XrQuaternionf qmul(XrQuaternionf a, XrQuaternionf b) {
    XrQuaternionf r = {
        a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
        a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
        a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
        a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z};
    return r;
}
XrVector3f rotate(XrQuaternionf q, XrVector3f v) {
    XrQuaternionf p = {v.x, v.y, v.z, 0}, c = {-q.x, -q.y, -q.z, q.w};
    XrQuaternionf r = qmul(qmul(q, p), c);
    XrVector3f out = {r.x, r.y, r.z};
    return out;
}
XrPosef compose(XrPosef a, XrPosef b) { /* b expressed in a, into a's parent */
    XrVector3f t = rotate(a.orientation, b.position);
    XrPosef r = {qmul(a.orientation, b.orientation),
                 {a.position.x + t.x, a.position.y + t.y, a.position.z + t.z}};
    return r;
}
XrPosef invert(XrPosef a) {
    XrQuaternionf c = {-a.orientation.x, -a.orientation.y, -a.orientation.z, a.orientation.w};
    XrVector3f t = rotate(c, a.position);
    XrPosef r = {c, {-t.x, -t.y, -t.z}};
    return r;
}
int pose_valid(XrPosef p) {
    XrQuaternionf q = p.orientation;
    float n = q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w;
    return fabsf(n - 1.0f) < 0.01f && !isnan(p.position.x) && !isnan(p.position.y) &&
           !isnan(p.position.z);
}
XrPosef scripted_pose(const char *key, long frame, XrPosef fallback) {
    float v[7];
    if (lookup(key, frame, v) < 7) return fallback;
    XrPosef p = {{v[3], v[4], v[5], v[6]}, {v[0], v[1], v[2]}};
    return p;
}
const XrPosef IDENTITY = {{0, 0, 0, 1}, {0, 0, 0}};
XrPosef head_pose(Session *s) {
    XrPosef standing = {{0, 0, 0, 1}, {0, 1.6f, 0}};
    return scripted_pose("head", s->frame, standing);
}
