/*
 * A scripted OpenXR runtime for tests: a headset and two Touch-style controllers that do
 * what a script says, behind the real OpenXR loader.
 *
 * It implements the OpenXR 1.0 core calls an application makes to show a scene in a
 * headset (instance, system, session lifecycle, reference and action spaces, stereo
 * views, swapchains of OpenGL textures, the frame loop, actions and bindings, haptics)
 * plus XR_KHR_opengl_enable (GLX) and XR_MNDX_egl_enable (EGL). It checks what a
 * runtime checks: call order, session states, handles, path syntax, bindings that the
 * emulated interaction profile has, the GL context being current, layer contents.
 *
 * Environment:
 *   REDHALL_XR_SCRIPT   file of lines "FRAME KEY VALUES...", each holding from FRAME on
 *                       (read again whenever it changes, so a test can steer as it goes):
 *                         head X Y Z QX QY QZ QW           (stage space, OpenXR axes)
 *                         left.aim|right.grip|... X Y Z QX QY QZ QW
 *                         right.trigger V | left.thumbstick X Y | right.a V ...
 *                         capture PATH_PREFIX   (write each submitted view as PREFIX-N.ppm
 *                                                and the layer as PREFIX.txt)
 *                         exit                  (the runtime asks the session to end)
 *   REDHALL_XR_LOG      file the runtime appends its events to (states, frames, haptics)
 *   REDHALL_XR_PROFILE  interaction profile to emulate (default oculus/touch_controller)
 *   REDHALL_XR_HEADSET  "absent": the runtime runs but no headset is connected
 *
 * Frames are not paced: xrWaitFrame returns at once with the next 90 Hz display time.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include <openxr/openxr.h>

/* ---- loader negotiation (openxr_loader_negotiation.h, interface version 1) ---------- */
typedef enum { LOADER_STRUCT_LOADER_INFO = 1, LOADER_STRUCT_RUNTIME_REQUEST = 3 } LoaderStruct;
typedef struct {
    LoaderStruct structType; uint32_t structVersion; size_t structSize;
    uint32_t minInterfaceVersion, maxInterfaceVersion; XrVersion minApiVersion, maxApiVersion;
} NegotiateLoaderInfo;
typedef struct {
    LoaderStruct structType; uint32_t structVersion; size_t structSize;
    uint32_t runtimeInterfaceVersion; XrVersion runtimeApiVersion;
    PFN_xrGetInstanceProcAddr getInstanceProcAddr;
} NegotiateRuntimeRequest;

/* ---- graphics bindings (openxr_platform.h without the window-system headers) ------- */
typedef struct { XrStructureType type; const void *next; void *xDisplay; uint32_t visualid;
                 void *glxFBConfig; unsigned long glxDrawable; void *glxContext; } BindingXlib;
typedef void *(*EglGetProcAddress)(const char *);
typedef struct { XrStructureType type; const void *next; EglGetProcAddress getProcAddress;
                 void *display; void *config; void *context; } BindingEGL;
typedef struct { XrStructureType type; void *next; uint32_t image; } SwapchainImageGL;
typedef struct { XrStructureType type; void *next; XrVersion minApiVersionSupported,
                 maxApiVersionSupported; } GraphicsRequirementsGL;

/* ---- OpenGL, reached through the application's context ----------------------------- */
#define GL_TEXTURE_2D 0x0DE1
#define GL_TEXTURE_BINDING_2D 0x8069
#define GL_PACK_ALIGNMENT 0x0D05
#define GL_PIXEL_PACK_BUFFER 0x88EB
#define GL_PIXEL_PACK_BUFFER_BINDING 0x88ED
#define GL_RGBA 0x1908
#define GL_UNSIGNED_BYTE 0x1401
#define GL_RGBA8 0x8058
#define GL_SRGB8_ALPHA8 0x8C43
typedef struct {
    void (*GenTextures)(int, unsigned *);
    void (*DeleteTextures)(int, const unsigned *);
    void (*BindTexture)(unsigned, unsigned);
    void (*TexStorage2D)(unsigned, int, unsigned, int, int);
    void (*GetIntegerv)(unsigned, int *);
    void (*GetTexImage)(unsigned, int, unsigned, unsigned, void *);
    void (*PixelStorei)(unsigned, int);
    void (*BindBuffer)(unsigned, unsigned);
    void (*Finish)(void);
    void *(*CurrentContext)(void);
} GL;

/* ---- handles ------------------------------------------------------------------------- */
enum { M_INSTANCE = 0x49, M_SESSION, M_SPACE, M_SWAPCHAIN, M_ACTIONSET, M_ACTION };
#define MAX_PATHS 1024
#define MAX_ACTIONS 64
#define MAX_BINDINGS 256
#define MAX_EVENTS 32
#define MAX_SCRIPT 4096
#define IMAGES 3

typedef struct Action Action;
typedef struct ActionSet {
    int magic; char name[XR_MAX_ACTION_SET_NAME_SIZE]; int attached; int active;
} ActionSet;
struct Action {
    int magic; ActionSet *set; char name[XR_MAX_ACTION_NAME_SIZE]; XrActionType type;
    XrPath subactions[4]; uint32_t subaction_count;
    float last[2][2]; XrBool32 changed[2]; XrTime changed_at[2]; XrBool32 active[2];
};
typedef struct { Action *action; XrPath path; XrPath profile; } Binding;

typedef struct Session Session;
typedef struct Instance {
    int magic; int gl_xlib, gl_egl; int requirements_queried; Session *session;
    struct { XrStructureType type; XrSession session; XrSessionState state; XrTime time; }
        events[MAX_EVENTS];
    int event_head, event_count;
} Instance;

typedef struct Swapchain {
    int magic; Session *session; unsigned images[IMAGES]; int width, height; int64_t format;
    int next_image, acquired, waited, released; /* -1 when none */
} Swapchain;

typedef struct Space {
    int magic; Session *session; XrReferenceSpaceType reference; Action *action;
    XrPath subaction; XrPosef offset;
} Space;

struct Session {
    int magic; Instance *instance; XrSessionState state; int running, exit_requested;
    GL gl; void *context; long frame, waited_frame; int frame_begun; XrTime predicted;
    int frames_ended; int profile_bound;
    Binding bindings[MAX_BINDINGS]; int binding_count;
};

/* ---- global state: paths, script, log ------------------------------------------------ */
static char *paths[MAX_PATHS];
static int path_count;
static struct { long frame; char key[48]; float v[7]; int n; char text[512]; } script[MAX_SCRIPT];
static int script_count;
static FILE *log_file;
static const char *profile_name = "/interaction_profiles/oculus/touch_controller";
static const XrTime START = 1000000000LL;
static const XrDuration PERIOD = 11111111LL; /* 90 Hz */

static void say(const char *fmt, ...) {
    if (!log_file) return;
    va_list args; va_start(args, fmt); vfprintf(log_file, fmt, args); va_end(args);
    fputc('\n', log_file); fflush(log_file);
}

static struct stat script_seen;

static void load_script(void) {
    const char *name = getenv("REDHALL_XR_SCRIPT");
    FILE *file = name ? fopen(name, "r") : NULL;
    char line[600];
    script_count = 0;
    if (file) fstat(fileno(file), &script_seen);
    while (file && fgets(line, sizeof line, file) && script_count < MAX_SCRIPT) {
        char *p = line; while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == 0) continue;
        typeof(script[0]) *s = &script[script_count];
        int used = 0;
        if (sscanf(p, "%ld %47s %n", &s->frame, s->key, &used) < 2) continue;
        strncpy(s->text, p + used, sizeof s->text - 1);
        s->text[strcspn(s->text, "\r\n")] = 0;
        s->n = sscanf(s->text, "%f %f %f %f %f %f %f", &s->v[0], &s->v[1], &s->v[2], &s->v[3],
                      &s->v[4], &s->v[5], &s->v[6]);
        if (s->n < 0) s->n = 0;
        script_count++;
    }
    if (file) fclose(file);
}

static void reload_script_if_changed(void) {
    const char *name = getenv("REDHALL_XR_SCRIPT");
    struct stat now;
    if (!name || stat(name, &now) != 0) return;
    if (now.st_size != script_seen.st_size || now.st_mtim.tv_sec != script_seen.st_mtim.tv_sec ||
        now.st_mtim.tv_nsec != script_seen.st_mtim.tv_nsec)
        load_script();
}

/* Captures already written, by path: each is written once. */
static char captured[64][512];
static int captured_count;

static int capture_due(const char *path) {
    for (int i = 0; i < captured_count; i++)
        if (strcmp(captured[i], path) == 0) return 0;
    if (captured_count < 64) strcpy(captured[captured_count++], path);
    return 1;
}

/* The newest value of KEY at FRAME: the last line for it whose frame has come. */
static int lookup(const char *key, long frame, float *out) {
    int found = -1;
    for (int i = 0; i < script_count; i++)
        if (script[i].frame <= frame && strcmp(script[i].key, key) == 0 &&
            (found < 0 || script[i].frame >= script[found].frame))
            found = i;
    if (found < 0) return 0;
    memcpy(out, script[found].v, sizeof script[found].v);
    return script[found].n;
}

/* ---- pose math (OpenXR axes) ---------------------------------------------------------- */
static XrQuaternionf qmul(XrQuaternionf a, XrQuaternionf b) {
    XrQuaternionf r = {
        a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
        a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x,
        a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w,
        a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z};
    return r;
}
static XrVector3f rotate(XrQuaternionf q, XrVector3f v) {
    XrQuaternionf p = {v.x, v.y, v.z, 0}, c = {-q.x, -q.y, -q.z, q.w};
    XrQuaternionf r = qmul(qmul(q, p), c);
    XrVector3f out = {r.x, r.y, r.z};
    return out;
}
static XrPosef compose(XrPosef a, XrPosef b) { /* b expressed in a, into a's parent */
    XrVector3f t = rotate(a.orientation, b.position);
    XrPosef r = {qmul(a.orientation, b.orientation),
                 {a.position.x + t.x, a.position.y + t.y, a.position.z + t.z}};
    return r;
}
static XrPosef invert(XrPosef a) {
    XrQuaternionf c = {-a.orientation.x, -a.orientation.y, -a.orientation.z, a.orientation.w};
    XrVector3f t = rotate(c, a.position);
    XrPosef r = {c, {-t.x, -t.y, -t.z}};
    return r;
}
static int pose_valid(XrPosef p) {
    XrQuaternionf q = p.orientation;
    float n = q.x * q.x + q.y * q.y + q.z * q.z + q.w * q.w;
    return fabsf(n - 1.0f) < 0.01f && !isnan(p.position.x) && !isnan(p.position.y) &&
           !isnan(p.position.z);
}
static XrPosef scripted_pose(const char *key, long frame, XrPosef fallback) {
    float v[7];
    if (lookup(key, frame, v) < 7) return fallback;
    XrPosef p = {{v[3], v[4], v[5], v[6]}, {v[0], v[1], v[2]}};
    return p;
}
static const XrPosef IDENTITY = {{0, 0, 0, 1}, {0, 0, 0}};
static XrPosef head_pose(Session *s) {
    XrPosef standing = {{0, 0, 0, 1}, {0, 1.6f, 0}};
    return scripted_pose("head", s->frame, standing);
}

/* ---- paths ------------------------------------------------------------------------------ */
static int well_formed(const char *p) {
    size_t n = strlen(p);
    if (n < 2 || p[0] != '/' || p[n - 1] == '/') return 0;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c == '/' && p[i + 1] == '/') return 0;
        if (c == '/' && p[i + 1] == '.') return 0;
        if (!(c == '/' || c == '-' || c == '_' || c == '.' || (c >= 'a' && c <= 'z') ||
              (c >= '0' && c <= '9')))
            return 0;
    }
    return 1;
}
static XrPath intern(const char *p) {
    for (int i = 0; i < path_count; i++)
        if (strcmp(paths[i], p) == 0) return (XrPath)(i + 1);
    if (path_count == MAX_PATHS) return XR_NULL_PATH;
    paths[path_count] = strdup(p);
    return (XrPath)(++path_count);
}
static const char *path_text(XrPath path) {
    return path >= 1 && path <= (XrPath)path_count ? paths[path - 1] : NULL;
}

/* Inputs each emulated profile has, per hand ("b" both, "l", "r"). */
typedef struct { const char *profile; const char *inputs[40]; } Profile;
static const Profile PROFILES[] = {
    {"/interaction_profiles/oculus/touch_controller",
     {"l/input/x/click", "l/input/x/touch", "l/input/y/click", "l/input/y/touch",
      "l/input/menu/click", "r/input/a/click", "r/input/a/touch", "r/input/b/click",
      "r/input/b/touch", "r/input/system/click", "b/input/squeeze/value",
      "b/input/trigger/value", "b/input/trigger/touch", "b/input/thumbstick",
      "b/input/thumbstick/x", "b/input/thumbstick/y", "b/input/thumbstick/click",
      "b/input/thumbstick/touch", "b/input/thumbrest/touch", "b/input/grip/pose",
      "b/input/aim/pose", "b/output/haptic", NULL}},
    {"/interaction_profiles/khr/simple_controller",
     {"b/input/select/click", "b/input/menu/click", "b/input/grip/pose", "b/input/aim/pose",
      "b/output/haptic", NULL}},
    {"/interaction_profiles/valve/index_controller",
     {"b/input/system/click", "b/input/system/touch", "b/input/a/click", "b/input/a/touch",
      "b/input/b/click", "b/input/b/touch", "b/input/squeeze/value", "b/input/squeeze/force",
      "b/input/trigger/click", "b/input/trigger/value", "b/input/trigger/touch",
      "b/input/thumbstick", "b/input/thumbstick/x", "b/input/thumbstick/y",
      "b/input/thumbstick/click", "b/input/thumbstick/touch", "b/input/trackpad",
      "b/input/trackpad/x", "b/input/trackpad/y", "b/input/trackpad/force",
      "b/input/trackpad/touch", "b/input/grip/pose", "b/input/aim/pose", "b/output/haptic",
      NULL}},
    {"/interaction_profiles/htc/vive_controller",
     {"b/input/system/click", "b/input/squeeze/click", "b/input/menu/click",
      "b/input/trigger/click", "b/input/trigger/value", "b/input/trackpad",
      "b/input/trackpad/x", "b/input/trackpad/y", "b/input/trackpad/click",
      "b/input/trackpad/touch", "b/input/grip/pose", "b/input/aim/pose", "b/output/haptic",
      NULL}},
    {"/interaction_profiles/microsoft/motion_controller",
     {"b/input/menu/click", "b/input/squeeze/click", "b/input/trigger/value",
      "b/input/thumbstick", "b/input/thumbstick/x", "b/input/thumbstick/y",
      "b/input/thumbstick/click", "b/input/trackpad", "b/input/trackpad/x",
      "b/input/trackpad/y", "b/input/trackpad/click", "b/input/trackpad/touch",
      "b/input/grip/pose", "b/input/aim/pose", "b/output/haptic", NULL}},
};
#define PROFILE_COUNT (int)(sizeof PROFILES / sizeof PROFILES[0])

/* Splits "/user/hand/right/input/trigger/value" into hand 1, "trigger", "value". */
static int split_binding(const char *p, int *hand, char *ident, char *component) {
    const char *rest;
    if (strncmp(p, "/user/hand/left/", 16) == 0) { *hand = 0; rest = p + 16; }
    else if (strncmp(p, "/user/hand/right/", 17) == 0) { *hand = 1; rest = p + 17; }
    else return 0;
    ident[0] = component[0] = 0;
    if (sscanf(rest, "input/%31[^/]/%31s", ident, component) >= 1) return 1;
    if (strcmp(rest, "output/haptic") == 0) { strcpy(ident, "haptic"); return 1; }
    return 0;
}
static int profile_has(const Profile *profile, const char *binding) {
    int hand; char ident[32], component[32];
    if (!split_binding(binding, &hand, ident, component)) return 0;
    const char *rest = binding + (hand ? 17 : 16);
    for (int i = 0; profile->inputs[i]; i++) {
        const char *in = profile->inputs[i];
        if (in[0] != 'b' && in[0] != (hand ? 'r' : 'l')) continue;
        if (strcmp(in + 2, rest) == 0) return 1;
        /* an identifier alone binds to its default component */
        size_t n = strlen(rest);
        if (!component[0] && strncmp(in + 2, rest, n) == 0 && in[2 + n] == '/') return 1;
    }
    return 0;
}
static const Profile *find_profile(const char *name) {
    for (int i = 0; i < PROFILE_COUNT; i++)
        if (strcmp(PROFILES[i].profile, name) == 0) return &PROFILES[i];
    return NULL;
}

/* ---- handle checks ---------------------------------------------------------------------- */
#define CHECK(type, var, handle, magic_)                                                 \
    type *var = (type *)(uintptr_t)(handle);                                              \
    if (!var || var->magic != magic_) return XR_ERROR_HANDLE_INVALID;

static Instance *the_instance;

static void queue_state(Session *s, XrSessionState state) {
    Instance *in = s->instance;
    s->state = state;
    static const char *NAMES[] = {"UNKNOWN", "IDLE", "READY", "SYNCHRONIZED", "VISIBLE",
                                  "FOCUSED", "STOPPING", "LOSS_PENDING", "EXITING"};
    say("state %s frame %ld", NAMES[state <= 8 ? state : 0], s->frame);
    if (in->event_count == MAX_EVENTS) return;
    int slot = (in->event_head + in->event_count++) % MAX_EVENTS;
    in->events[slot].type = XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED;
    in->events[slot].session = (XrSession)(uintptr_t)s;
    in->events[slot].state = state;
    in->events[slot].time = s->predicted;
}
static void queue_profile_changed(Session *s) {
    Instance *in = s->instance;
    if (in->event_count == MAX_EVENTS) return;
    int slot = (in->event_head + in->event_count++) % MAX_EVENTS;
    in->events[slot].type = XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED;
    in->events[slot].session = (XrSession)(uintptr_t)s;
}

static int context_current(Session *s) {
    return s->gl.CurrentContext && s->gl.CurrentContext() == s->context;
}

/* ---- instance ------------------------------------------------------------------------- */
static const char *EXTENSIONS[] = {"XR_KHR_opengl_enable", "XR_MNDX_egl_enable"};

static XrResult xrEnumerateInstanceExtensionProperties_(const char *layer, uint32_t capacity,
                                                        uint32_t *count,
                                                        XrExtensionProperties *props) {
    if (layer && layer[0]) return XR_ERROR_API_LAYER_NOT_PRESENT;
    *count = 2;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < 2) return XR_ERROR_SIZE_INSUFFICIENT;
    for (int i = 0; i < 2; i++) {
        strcpy(props[i].extensionName, EXTENSIONS[i]);
        props[i].extensionVersion = i == 0 ? 10 : 1;
    }
    return XR_SUCCESS;
}

static XrResult xrEnumerateApiLayerProperties_(uint32_t capacity, uint32_t *count,
                                               XrApiLayerProperties *props) {
    (void)capacity; (void)props;
    *count = 0;
    return XR_SUCCESS;
}

static XrResult xrCreateInstance_(const XrInstanceCreateInfo *info, XrInstance *out) {
    if (!info || info->type != XR_TYPE_INSTANCE_CREATE_INFO) return XR_ERROR_VALIDATION_FAILURE;
    if (XR_VERSION_MAJOR(info->applicationInfo.apiVersion) != 1)
        return XR_ERROR_API_VERSION_UNSUPPORTED;
    if (!info->applicationInfo.applicationName[0]) return XR_ERROR_NAME_INVALID;
    if (the_instance) return XR_ERROR_LIMIT_REACHED;
    Instance *in = calloc(1, sizeof *in);
    in->magic = M_INSTANCE;
    for (uint32_t i = 0; i < info->enabledExtensionCount; i++) {
        const char *name = info->enabledExtensionNames[i];
        if (strcmp(name, EXTENSIONS[0]) == 0) in->gl_xlib = 1;
        else if (strcmp(name, EXTENSIONS[1]) == 0) in->gl_egl = 1;
        else { free(in); return XR_ERROR_EXTENSION_NOT_PRESENT; }
    }
    const char *log_name = getenv("REDHALL_XR_LOG");
    if (log_name) log_file = fopen(log_name, "a");
    if (getenv("REDHALL_XR_PROFILE")) profile_name = getenv("REDHALL_XR_PROFILE");
    load_script();
    say("instance %s api %u.%u", info->applicationInfo.applicationName,
        XR_VERSION_MAJOR(info->applicationInfo.apiVersion),
        XR_VERSION_MINOR(info->applicationInfo.apiVersion));
    the_instance = in;
    *out = (XrInstance)(uintptr_t)in;
    return XR_SUCCESS;
}

static void forget_instance_objects(void);

static XrResult xrDestroyInstance_(XrInstance instance) {
    CHECK(Instance, in, instance, M_INSTANCE);
    say("instance destroyed");
    in->magic = 0;
    free(in);
    the_instance = NULL;
    forget_instance_objects();
    if (log_file) { fclose(log_file); log_file = NULL; }
    return XR_SUCCESS;
}

static XrResult xrGetInstanceProperties_(XrInstance instance, XrInstanceProperties *props) {
    CHECK(Instance, in, instance, M_INSTANCE);
    (void)in;
    props->runtimeVersion = XR_MAKE_VERSION(1, 0, 0);
    strcpy(props->runtimeName, "RedHall scripted test runtime");
    return XR_SUCCESS;
}

static XrResult xrPollEvent_(XrInstance instance, XrEventDataBuffer *buffer) {
    CHECK(Instance, in, instance, M_INSTANCE);
    if (!buffer || buffer->type != XR_TYPE_EVENT_DATA_BUFFER) return XR_ERROR_VALIDATION_FAILURE;
    if (in->event_count == 0) return XR_EVENT_UNAVAILABLE;
    typeof(in->events[0]) *e = &in->events[in->event_head];
    in->event_head = (in->event_head + 1) % MAX_EVENTS;
    in->event_count--;
    if (e->type == XR_TYPE_EVENT_DATA_SESSION_STATE_CHANGED) {
        XrEventDataSessionStateChanged *out = (XrEventDataSessionStateChanged *)buffer;
        out->type = e->type; out->next = NULL;
        out->session = e->session; out->state = e->state; out->time = e->time;
    } else {
        XrEventDataInteractionProfileChanged *out = (XrEventDataInteractionProfileChanged *)buffer;
        out->type = e->type; out->next = NULL; out->session = e->session;
    }
    return XR_SUCCESS;
}

static XrResult xrResultToString_(XrInstance instance, XrResult value, char *buffer) {
    (void)instance;
    switch (value) {
#define NAME(r) case r: strcpy(buffer, #r); break;
        NAME(XR_SUCCESS) NAME(XR_EVENT_UNAVAILABLE) NAME(XR_SESSION_NOT_FOCUSED)
        NAME(XR_FRAME_DISCARDED) NAME(XR_ERROR_VALIDATION_FAILURE)
        NAME(XR_ERROR_HANDLE_INVALID) NAME(XR_ERROR_CALL_ORDER_INVALID)
        NAME(XR_ERROR_SESSION_NOT_RUNNING) NAME(XR_ERROR_SESSION_NOT_READY)
        NAME(XR_ERROR_SESSION_NOT_STOPPING) NAME(XR_ERROR_SESSION_RUNNING)
        NAME(XR_ERROR_PATH_UNSUPPORTED) NAME(XR_ERROR_PATH_FORMAT_INVALID)
        NAME(XR_ERROR_ACTIONSET_NOT_ATTACHED) NAME(XR_ERROR_ACTIONSETS_ALREADY_ATTACHED)
        NAME(XR_ERROR_ACTION_TYPE_MISMATCH) NAME(XR_ERROR_GRAPHICS_DEVICE_INVALID)
        NAME(XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING) NAME(XR_ERROR_TIME_INVALID)
        NAME(XR_ERROR_LAYER_INVALID) NAME(XR_ERROR_SWAPCHAIN_RECT_INVALID)
        NAME(XR_ERROR_POSE_INVALID) NAME(XR_ERROR_NAME_INVALID) NAME(XR_ERROR_NAME_DUPLICATED)
        NAME(XR_ERROR_FUNCTION_UNSUPPORTED) NAME(XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED)
        NAME(XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED) NAME(XR_ERROR_SIZE_INSUFFICIENT)
#undef NAME
        default: sprintf(buffer, value < 0 ? "XR_UNKNOWN_FAILURE_%d" : "XR_UNKNOWN_SUCCESS_%d",
                         (int)value);
    }
    return XR_SUCCESS;
}

static XrResult xrStructureTypeToString_(XrInstance instance, XrStructureType value,
                                         char *buffer) {
    (void)instance;
    sprintf(buffer, "XR_UNKNOWN_STRUCTURE_TYPE_%d", (int)value);
    return XR_SUCCESS;
}

/* ---- system ------------------------------------------------------------------------------ */
#define SYSTEM_ID 7
#define EYE_WIDTH 640
#define EYE_HEIGHT 600
#define IPD 0.064f
/* Each eye sees farther outward than inward, and not the same as the engine's simulation,
   so an application that ignores the runtime's field of view draws the wrong picture. */
static const XrFovf EYE_FOV[2] = {{-0.96f, 0.74f, 0.83f, -0.90f},
                                  {-0.74f, 0.96f, 0.83f, -0.90f}};

static XrResult xrGetSystem_(XrInstance instance, const XrSystemGetInfo *info, XrSystemId *id) {
    CHECK(Instance, in, instance, M_INSTANCE);
    (void)in;
    if (info->formFactor != XR_FORM_FACTOR_HEAD_MOUNTED_DISPLAY)
        return XR_ERROR_FORM_FACTOR_UNSUPPORTED;
    const char *headset = getenv("REDHALL_XR_HEADSET");
    if (headset && strcmp(headset, "absent") == 0) return XR_ERROR_FORM_FACTOR_UNAVAILABLE;
    *id = SYSTEM_ID;
    return XR_SUCCESS;
}

static XrResult xrGetSystemProperties_(XrInstance instance, XrSystemId id,
                                       XrSystemProperties *props) {
    CHECK(Instance, in, instance, M_INSTANCE);
    (void)in;
    if (id != SYSTEM_ID) return XR_ERROR_SYSTEM_INVALID;
    props->systemId = id;
    props->vendorId = 0;
    strcpy(props->systemName, "RedHall scripted headset");
    props->graphicsProperties.maxSwapchainImageWidth = 4096;
    props->graphicsProperties.maxSwapchainImageHeight = 4096;
    props->graphicsProperties.maxLayerCount = 16;
    props->trackingProperties.orientationTracking = XR_TRUE;
    props->trackingProperties.positionTracking = XR_TRUE;
    return XR_SUCCESS;
}

static XrResult xrEnumerateViewConfigurations_(XrInstance instance, XrSystemId id,
                                               uint32_t capacity, uint32_t *count,
                                               XrViewConfigurationType *types) {
    (void)instance;
    if (id != SYSTEM_ID) return XR_ERROR_SYSTEM_INVALID;
    *count = 1;
    if (capacity >= 1) types[0] = XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO;
    return XR_SUCCESS;
}

static XrResult xrGetViewConfigurationProperties_(XrInstance instance, XrSystemId id,
                                                  XrViewConfigurationType type,
                                                  XrViewConfigurationProperties *props) {
    (void)instance;
    if (id != SYSTEM_ID) return XR_ERROR_SYSTEM_INVALID;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    props->viewConfigurationType = type;
    props->fovMutable = XR_TRUE;
    return XR_SUCCESS;
}

static XrResult xrEnumerateViewConfigurationViews_(XrInstance instance, XrSystemId id,
                                                   XrViewConfigurationType type,
                                                   uint32_t capacity, uint32_t *count,
                                                   XrViewConfigurationView *views) {
    (void)instance;
    if (id != SYSTEM_ID) return XR_ERROR_SYSTEM_INVALID;
    if (type != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    *count = 2;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < 2) return XR_ERROR_SIZE_INSUFFICIENT;
    for (int i = 0; i < 2; i++) {
        views[i].recommendedImageRectWidth = EYE_WIDTH;
        views[i].recommendedImageRectHeight = EYE_HEIGHT;
        views[i].maxImageRectWidth = views[i].maxImageRectHeight = 4096;
        views[i].recommendedSwapchainSampleCount = 1;
        views[i].maxSwapchainSampleCount = 1;
    }
    return XR_SUCCESS;
}

static XrResult xrEnumerateEnvironmentBlendModes_(XrInstance instance, XrSystemId id,
                                                  XrViewConfigurationType type,
                                                  uint32_t capacity, uint32_t *count,
                                                  XrEnvironmentBlendMode *modes) {
    (void)instance; (void)type;
    if (id != SYSTEM_ID) return XR_ERROR_SYSTEM_INVALID;
    *count = 1;
    if (capacity >= 1) modes[0] = XR_ENVIRONMENT_BLEND_MODE_OPAQUE;
    return XR_SUCCESS;
}

static XrResult xrGetOpenGLGraphicsRequirementsKHR_(XrInstance instance, XrSystemId id,
                                                    GraphicsRequirementsGL *req) {
    CHECK(Instance, in, instance, M_INSTANCE);
    if (id != SYSTEM_ID) return XR_ERROR_SYSTEM_INVALID;
    req->minApiVersionSupported = XR_MAKE_VERSION(3, 3, 0);
    req->maxApiVersionSupported = XR_MAKE_VERSION(4, 6, 0);
    in->requirements_queried = 1;
    return XR_SUCCESS;
}

/* ---- session ------------------------------------------------------------------------------ */
static void *gl_proc(EglGetProcAddress get, void *lib, const char *name) {
    void *f = get ? get(name) : NULL;
    return f ? f : dlsym(lib, name);
}

static int bind_gl(Session *s, const XrSessionCreateInfo *info) {
    for (const XrBaseInStructure *b = info->next; b; b = b->next) {
        if (b->type == XR_TYPE_GRAPHICS_BINDING_OPENGL_XLIB_KHR && s->instance->gl_xlib) {
            const BindingXlib *x = (const BindingXlib *)b;
            void *lib = dlopen("libGL.so.1", RTLD_NOW | RTLD_GLOBAL);
            if (!lib || !x->xDisplay || !x->glxContext) return 0;
            EglGetProcAddress get = (EglGetProcAddress)dlsym(lib, "glXGetProcAddressARB");
            s->context = x->glxContext;
            s->gl.CurrentContext = (void *(*)(void))dlsym(lib, "glXGetCurrentContext");
#define LOAD(f) *(void **)&s->gl.f = gl_proc(get, lib, "gl" #f)
            LOAD(GenTextures); LOAD(DeleteTextures); LOAD(BindTexture); LOAD(TexStorage2D);
            LOAD(GetIntegerv); LOAD(GetTexImage); LOAD(PixelStorei); LOAD(BindBuffer);
            LOAD(Finish);
            say("graphics glx");
            return 1;
        }
        if (b->type == XR_TYPE_GRAPHICS_BINDING_EGL_MNDX && s->instance->gl_egl) {
            const BindingEGL *e = (const BindingEGL *)b;
            void *egl = dlopen("libEGL.so.1", RTLD_NOW | RTLD_GLOBAL);
            void *lib = dlopen("libOpenGL.so.0", RTLD_NOW | RTLD_GLOBAL);
            if (!lib) lib = dlopen("libGL.so.1", RTLD_NOW | RTLD_GLOBAL);
            if (!egl || !e->getProcAddress || !e->display || !e->context) return 0;
            s->context = e->context;
            s->gl.CurrentContext = (void *(*)(void))dlsym(egl, "eglGetCurrentContext");
            EglGetProcAddress get = e->getProcAddress;
            LOAD(GenTextures); LOAD(DeleteTextures); LOAD(BindTexture); LOAD(TexStorage2D);
            LOAD(GetIntegerv); LOAD(GetTexImage); LOAD(PixelStorei); LOAD(BindBuffer);
            LOAD(Finish);
#undef LOAD
            say("graphics egl");
            return 1;
        }
    }
    return 0;
}

static XrResult xrCreateSession_(XrInstance instance, const XrSessionCreateInfo *info,
                                 XrSession *out) {
    CHECK(Instance, in, instance, M_INSTANCE);
    if (info->systemId != SYSTEM_ID) return XR_ERROR_SYSTEM_INVALID;
    if (!in->requirements_queried) return XR_ERROR_GRAPHICS_REQUIREMENTS_CALL_MISSING;
    if (in->session) return XR_ERROR_LIMIT_REACHED;
    Session *s = calloc(1, sizeof *s);
    s->magic = M_SESSION;
    s->instance = in;
    s->waited_frame = -1;
    if (!bind_gl(s, info)) { free(s); return XR_ERROR_GRAPHICS_DEVICE_INVALID; }
    if (!context_current(s)) { free(s); return XR_ERROR_GRAPHICS_DEVICE_INVALID; }
    in->session = s;
    s->predicted = START;
    queue_state(s, XR_SESSION_STATE_IDLE);
    queue_state(s, XR_SESSION_STATE_READY);
    *out = (XrSession)(uintptr_t)s;
    return XR_SUCCESS;
}

static XrResult xrDestroySession_(XrSession session) {
    CHECK(Session, s, session, M_SESSION);
    say("session destroyed");
    s->instance->session = NULL;
    s->magic = 0;
    free(s);
    return XR_SUCCESS;
}

static XrResult xrBeginSession_(XrSession session, const XrSessionBeginInfo *info) {
    CHECK(Session, s, session, M_SESSION);
    if (s->running) return XR_ERROR_SESSION_RUNNING;
    if (s->state != XR_SESSION_STATE_READY) return XR_ERROR_SESSION_NOT_READY;
    if (info->primaryViewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    s->running = 1;
    say("session begun");
    return XR_SUCCESS;
}

static void stop(Session *s) {
    if (s->exit_requested) return;
    s->exit_requested = 1;
    if (s->state == XR_SESSION_STATE_FOCUSED) queue_state(s, XR_SESSION_STATE_VISIBLE);
    if (s->state == XR_SESSION_STATE_VISIBLE) queue_state(s, XR_SESSION_STATE_SYNCHRONIZED);
    queue_state(s, XR_SESSION_STATE_STOPPING);
}

static XrResult xrRequestExitSession_(XrSession session) {
    CHECK(Session, s, session, M_SESSION);
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    say("exit requested by application");
    stop(s);
    return XR_SUCCESS;
}

static XrResult xrEndSession_(XrSession session) {
    CHECK(Session, s, session, M_SESSION);
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->state != XR_SESSION_STATE_STOPPING) return XR_ERROR_SESSION_NOT_STOPPING;
    s->running = 0;
    say("session ended");
    queue_state(s, XR_SESSION_STATE_IDLE);
    queue_state(s, XR_SESSION_STATE_EXITING);
    return XR_SUCCESS;
}

/* ---- spaces --------------------------------------------------------------------------------- */
static XrResult xrEnumerateReferenceSpaces_(XrSession session, uint32_t capacity,
                                            uint32_t *count, XrReferenceSpaceType *types) {
    CHECK(Session, s, session, M_SESSION);
    (void)s;
    *count = 3;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < 3) return XR_ERROR_SIZE_INSUFFICIENT;
    types[0] = XR_REFERENCE_SPACE_TYPE_VIEW;
    types[1] = XR_REFERENCE_SPACE_TYPE_LOCAL;
    types[2] = XR_REFERENCE_SPACE_TYPE_STAGE;
    return XR_SUCCESS;
}

static XrResult xrCreateReferenceSpace_(XrSession session, const XrReferenceSpaceCreateInfo *info,
                                        XrSpace *out) {
    CHECK(Session, s, session, M_SESSION);
    XrReferenceSpaceType t = info->referenceSpaceType;
    if (t != XR_REFERENCE_SPACE_TYPE_VIEW && t != XR_REFERENCE_SPACE_TYPE_LOCAL &&
        t != XR_REFERENCE_SPACE_TYPE_STAGE)
        return XR_ERROR_REFERENCE_SPACE_UNSUPPORTED;
    if (!pose_valid(info->poseInReferenceSpace)) return XR_ERROR_POSE_INVALID;
    Space *sp = calloc(1, sizeof *sp);
    *sp = (Space){M_SPACE, s, t, NULL, XR_NULL_PATH, info->poseInReferenceSpace};
    *out = (XrSpace)(uintptr_t)sp;
    return XR_SUCCESS;
}

static XrResult xrGetReferenceSpaceBoundsRect_(XrSession session, XrReferenceSpaceType t,
                                               XrExtent2Df *bounds) {
    CHECK(Session, s, session, M_SESSION);
    (void)s;
    if (t != XR_REFERENCE_SPACE_TYPE_STAGE) { bounds->width = bounds->height = 0; return XR_SPACE_BOUNDS_UNAVAILABLE; }
    bounds->width = 3.0f; bounds->height = 3.0f;
    return XR_SUCCESS;
}

static XrResult xrCreateActionSpace_(XrSession session, const XrActionSpaceCreateInfo *info,
                                     XrSpace *out) {
    CHECK(Session, s, session, M_SESSION);
    CHECK(Action, a, info->action, M_ACTION);
    if (a->type != XR_ACTION_TYPE_POSE_INPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (!pose_valid(info->poseInActionSpace)) return XR_ERROR_POSE_INVALID;
    Space *sp = calloc(1, sizeof *sp);
    *sp = (Space){M_SPACE, s, 0, a, info->subactionPath, info->poseInActionSpace};
    *out = (XrSpace)(uintptr_t)sp;
    return XR_SUCCESS;
}

static XrResult xrDestroySpace_(XrSpace space) {
    CHECK(Space, sp, space, M_SPACE);
    sp->magic = 0;
    free(sp);
    return XR_SUCCESS;
}

/* Where a bound pose input is, in stage space, or 0 when the action is not bound. */
static int bound_pose(Session *s, Action *a, XrPath subaction, XrPosef *out) {
    for (int i = 0; i < s->binding_count; i++) {
        Binding *b = &s->bindings[i];
        if (b->action != a || strcmp(path_text(b->profile), profile_name) != 0) continue;
        int hand; char ident[32], component[32], key[80];
        split_binding(path_text(b->path), &hand, ident, component);
        if (subaction && strcmp(path_text(subaction), hand ? "/user/hand/right"
                                                           : "/user/hand/left") != 0)
            continue;
        XrPosef held = {{0, 0, 0, 1}, {hand ? 0.2f : -0.2f, 1.2f, -0.35f}};
        snprintf(key, sizeof key, "%s.%s", hand ? "right" : "left", ident);
        *out = scripted_pose(key, s->frame, held);
        return 1;
    }
    return 0;
}

/* A space's pose in stage space; 0 when it cannot be located. */
static int stage_pose(Space *sp, XrPosef *out) {
    Session *s = sp->session;
    XrPosef origin = IDENTITY;
    if (sp->action) {
        if (!s->profile_bound || !bound_pose(s, sp->action, sp->subaction, &origin)) return 0;
    } else if (sp->reference == XR_REFERENCE_SPACE_TYPE_VIEW) {
        origin = head_pose(s);
    } else if (sp->reference == XR_REFERENCE_SPACE_TYPE_LOCAL) {
        origin.position.y = 1.6f; /* the head's height when the session began */
    }
    *out = compose(origin, sp->offset);
    return 1;
}

static XrResult xrLocateSpace_(XrSpace space, XrSpace base, XrTime time,
                               XrSpaceLocation *location) {
    CHECK(Space, sp, space, M_SPACE);
    CHECK(Space, bs, base, M_SPACE);
    if (time <= 0) return XR_ERROR_TIME_INVALID;
    XrPosef a, b;
    location->locationFlags = 0;
    if (!stage_pose(sp, &a) || !stage_pose(bs, &b)) return XR_SUCCESS;
    location->pose = compose(invert(b), a);
    location->locationFlags = XR_SPACE_LOCATION_ORIENTATION_VALID_BIT |
                              XR_SPACE_LOCATION_POSITION_VALID_BIT |
                              XR_SPACE_LOCATION_ORIENTATION_TRACKED_BIT |
                              XR_SPACE_LOCATION_POSITION_TRACKED_BIT;
    return XR_SUCCESS;
}

static XrResult xrLocateViews_(XrSession session, const XrViewLocateInfo *info,
                               XrViewState *state, uint32_t capacity, uint32_t *count,
                               XrView *views) {
    CHECK(Session, s, session, M_SESSION);
    CHECK(Space, sp, info->space, M_SPACE);
    if (info->viewConfigurationType != XR_VIEW_CONFIGURATION_TYPE_PRIMARY_STEREO)
        return XR_ERROR_VIEW_CONFIGURATION_TYPE_UNSUPPORTED;
    if (info->displayTime <= 0) return XR_ERROR_TIME_INVALID;
    *count = 2;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < 2) return XR_ERROR_SIZE_INSUFFICIENT;
    XrPosef base;
    state->viewStateFlags = 0;
    if (!stage_pose(sp, &base)) return XR_SUCCESS;
    XrPosef head = head_pose(s), to_base = invert(base);
    for (int i = 0; i < 2; i++) {
        XrPosef eye = {{0, 0, 0, 1}, {i ? IPD / 2 : -IPD / 2, 0, 0}};
        views[i].pose = compose(to_base, compose(head, eye));
        views[i].fov = EYE_FOV[i];
    }
    state->viewStateFlags = XR_VIEW_STATE_ORIENTATION_VALID_BIT |
                            XR_VIEW_STATE_POSITION_VALID_BIT |
                            XR_VIEW_STATE_ORIENTATION_TRACKED_BIT |
                            XR_VIEW_STATE_POSITION_TRACKED_BIT;
    return XR_SUCCESS;
}

/* ---- swapchains ------------------------------------------------------------------------------ */
static const int64_t FORMATS[] = {GL_SRGB8_ALPHA8, GL_RGBA8};

static XrResult xrEnumerateSwapchainFormats_(XrSession session, uint32_t capacity,
                                             uint32_t *count, int64_t *formats) {
    CHECK(Session, s, session, M_SESSION);
    (void)s;
    *count = 2;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < 2) return XR_ERROR_SIZE_INSUFFICIENT;
    memcpy(formats, FORMATS, sizeof FORMATS);
    return XR_SUCCESS;
}

static XrResult xrCreateSwapchain_(XrSession session, const XrSwapchainCreateInfo *info,
                                   XrSwapchain *out) {
    CHECK(Session, s, session, M_SESSION);
    if (info->format != FORMATS[0] && info->format != FORMATS[1])
        return XR_ERROR_SWAPCHAIN_FORMAT_UNSUPPORTED;
    if (info->sampleCount != 1 || info->faceCount != 1 || info->arraySize != 1 ||
        info->mipCount != 1 || info->width == 0 || info->height == 0 ||
        info->width > 4096 || info->height > 4096)
        return XR_ERROR_VALIDATION_FAILURE;
    if (!context_current(s)) return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    Swapchain *sc = calloc(1, sizeof *sc);
    *sc = (Swapchain){M_SWAPCHAIN, s, {0}, (int)info->width, (int)info->height, info->format,
                      0, -1, -1, -1};
    int previous = 0;
    s->gl.GetIntegerv(GL_TEXTURE_BINDING_2D, &previous);
    s->gl.GenTextures(IMAGES, sc->images);
    for (int i = 0; i < IMAGES; i++) {
        s->gl.BindTexture(GL_TEXTURE_2D, sc->images[i]);
        s->gl.TexStorage2D(GL_TEXTURE_2D, 1, (unsigned)info->format, sc->width, sc->height);
    }
    s->gl.BindTexture(GL_TEXTURE_2D, (unsigned)previous);
    say("swapchain %dx%d format 0x%lx", sc->width, sc->height, (long)info->format);
    *out = (XrSwapchain)(uintptr_t)sc;
    return XR_SUCCESS;
}

static XrResult xrDestroySwapchain_(XrSwapchain swapchain) {
    CHECK(Swapchain, sc, swapchain, M_SWAPCHAIN);
    if (sc->session->magic == M_SESSION && context_current(sc->session))
        sc->session->gl.DeleteTextures(IMAGES, sc->images);
    sc->magic = 0;
    free(sc);
    return XR_SUCCESS;
}

static XrResult xrEnumerateSwapchainImages_(XrSwapchain swapchain, uint32_t capacity,
                                            uint32_t *count, XrSwapchainImageBaseHeader *out) {
    CHECK(Swapchain, sc, swapchain, M_SWAPCHAIN);
    *count = IMAGES;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < IMAGES) return XR_ERROR_SIZE_INSUFFICIENT;
    SwapchainImageGL *images = (SwapchainImageGL *)out;
    for (int i = 0; i < IMAGES; i++) {
        if (images[i].type != XR_TYPE_SWAPCHAIN_IMAGE_OPENGL_KHR)
            return XR_ERROR_VALIDATION_FAILURE;
        images[i].image = sc->images[i];
    }
    return XR_SUCCESS;
}

static XrResult xrAcquireSwapchainImage_(XrSwapchain swapchain,
                                         const XrSwapchainImageAcquireInfo *info,
                                         uint32_t *index) {
    (void)info;
    CHECK(Swapchain, sc, swapchain, M_SWAPCHAIN);
    if (sc->acquired >= 0) return XR_ERROR_CALL_ORDER_INVALID;
    sc->acquired = sc->next_image;
    sc->next_image = (sc->next_image + 1) % IMAGES;
    *index = (uint32_t)sc->acquired;
    return XR_SUCCESS;
}

static XrResult xrWaitSwapchainImage_(XrSwapchain swapchain,
                                      const XrSwapchainImageWaitInfo *info) {
    (void)info;
    CHECK(Swapchain, sc, swapchain, M_SWAPCHAIN);
    if (sc->acquired < 0 || sc->waited >= 0) return XR_ERROR_CALL_ORDER_INVALID;
    sc->waited = sc->acquired;
    return XR_SUCCESS;
}

static XrResult xrReleaseSwapchainImage_(XrSwapchain swapchain,
                                         const XrSwapchainImageReleaseInfo *info) {
    (void)info;
    CHECK(Swapchain, sc, swapchain, M_SWAPCHAIN);
    if (sc->waited < 0) return XR_ERROR_CALL_ORDER_INVALID;
    if (!context_current(sc->session)) return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    sc->released = sc->waited;
    sc->acquired = sc->waited = -1;
    return XR_SUCCESS;
}

/* ---- frames ------------------------------------------------------------------------------------ */
static void run_script_events(Session *s) {
    reload_script_if_changed();
    for (int i = 0; i < script_count; i++)
        if (script[i].frame <= s->frame && strcmp(script[i].key, "exit") == 0 &&
            !s->exit_requested) {
            say("exit requested by script");
            stop(s);
        }
}

static XrResult xrWaitFrame_(XrSession session, const XrFrameWaitInfo *info, XrFrameState *state) {
    (void)info;
    CHECK(Session, s, session, M_SESSION);
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    s->frame = s->waited_frame + 1;
    s->waited_frame = s->frame;
    s->predicted = START + (s->frame + 1) * PERIOD;
    run_script_events(s);
    state->predictedDisplayTime = s->predicted;
    state->predictedDisplayPeriod = PERIOD;
    state->shouldRender = s->state == XR_SESSION_STATE_VISIBLE ||
                          s->state == XR_SESSION_STATE_FOCUSED;
    return XR_SUCCESS;
}

static XrResult xrBeginFrame_(XrSession session, const XrFrameBeginInfo *info) {
    (void)info;
    CHECK(Session, s, session, M_SESSION);
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (s->waited_frame < 0) return XR_ERROR_CALL_ORDER_INVALID;
    if (s->frame_begun) return XR_FRAME_DISCARDED;
    s->frame_begun = 1;
    return XR_SUCCESS;
}

static void capture(Session *s, const XrCompositionLayerProjection *layer, const char *prefix) {
    char name[600];
    snprintf(name, sizeof name, "%s.txt", prefix);
    FILE *meta = fopen(name, "w");
    for (uint32_t v = 0; v < layer->viewCount; v++) {
        const XrCompositionLayerProjectionView *view = &layer->views[v];
        Swapchain *sc = (Swapchain *)(uintptr_t)view->subImage.swapchain;
        const XrPosef *p = &view->pose;
        const XrRect2Di *r = &view->subImage.imageRect;
        if (meta)
            fprintf(meta, "view %u pose %f %f %f %f %f %f %f fov %f %f %f %f rect %d %d %d %d\n",
                    v, p->position.x, p->position.y, p->position.z, p->orientation.x,
                    p->orientation.y, p->orientation.z, p->orientation.w, view->fov.angleLeft,
                    view->fov.angleRight, view->fov.angleUp, view->fov.angleDown, r->offset.x,
                    r->offset.y, r->extent.width, r->extent.height);
        unsigned char *pixels = malloc((size_t)sc->width * sc->height * 4);
        int texture = 0, pack = 0, align = 4;
        s->gl.Finish();
        s->gl.GetIntegerv(GL_TEXTURE_BINDING_2D, &texture);
        s->gl.GetIntegerv(GL_PIXEL_PACK_BUFFER_BINDING, &pack);
        s->gl.GetIntegerv(GL_PACK_ALIGNMENT, &align);
        s->gl.BindBuffer(GL_PIXEL_PACK_BUFFER, 0);
        s->gl.PixelStorei(GL_PACK_ALIGNMENT, 4);
        s->gl.BindTexture(GL_TEXTURE_2D, sc->images[sc->released]);
        s->gl.GetTexImage(GL_TEXTURE_2D, 0, GL_RGBA, GL_UNSIGNED_BYTE, pixels);
        s->gl.BindTexture(GL_TEXTURE_2D, (unsigned)texture);
        s->gl.PixelStorei(GL_PACK_ALIGNMENT, align);
        s->gl.BindBuffer(GL_PIXEL_PACK_BUFFER, (unsigned)pack);
        snprintf(name, sizeof name, "%s-%u.ppm", prefix, v);
        FILE *image = fopen(name, "wb");
        if (image) {
            fprintf(image, "P6\n%d %d\n255\n", sc->width, sc->height);
            for (int y = sc->height - 1; y >= 0; y--) /* GL rows run bottom up */
                for (int x = 0; x < sc->width; x++)
                    fwrite(pixels + ((size_t)y * sc->width + x) * 4, 1, 3, image);
            fclose(image);
        }
        free(pixels);
    }
    if (meta) fclose(meta);
    say("captured %s", prefix);
}

static XrResult check_projection(Session *s, const XrCompositionLayerProjection *layer) {
    CHECK(Space, sp, layer->space, M_SPACE);
    (void)sp;
    if (layer->viewCount != 2) return XR_ERROR_VALIDATION_FAILURE;
    for (uint32_t v = 0; v < 2; v++) {
        const XrCompositionLayerProjectionView *view = &layer->views[v];
        if (view->type != XR_TYPE_COMPOSITION_LAYER_PROJECTION_VIEW)
            return XR_ERROR_VALIDATION_FAILURE;
        CHECK(Swapchain, sc, view->subImage.swapchain, M_SWAPCHAIN);
        if (sc->session != s || sc->released < 0) return XR_ERROR_LAYER_INVALID;
        const XrRect2Di *r = &view->subImage.imageRect;
        if (r->offset.x < 0 || r->offset.y < 0 || r->extent.width <= 0 ||
            r->extent.height <= 0 || r->offset.x + r->extent.width > sc->width ||
            r->offset.y + r->extent.height > sc->height)
            return XR_ERROR_SWAPCHAIN_RECT_INVALID;
        if (!pose_valid(view->pose)) return XR_ERROR_POSE_INVALID;
        if (!(view->fov.angleLeft < view->fov.angleRight) ||
            !(view->fov.angleDown < view->fov.angleUp))
            return XR_ERROR_VALIDATION_FAILURE;
    }
    return XR_SUCCESS;
}

static XrResult xrEndFrame_(XrSession session, const XrFrameEndInfo *info) {
    CHECK(Session, s, session, M_SESSION);
    if (!s->running) return XR_ERROR_SESSION_NOT_RUNNING;
    if (!s->frame_begun) return XR_ERROR_CALL_ORDER_INVALID;
    if (info->displayTime != s->predicted) return XR_ERROR_TIME_INVALID;
    if (info->environmentBlendMode != XR_ENVIRONMENT_BLEND_MODE_OPAQUE)
        return XR_ERROR_ENVIRONMENT_BLEND_MODE_UNSUPPORTED;
    const XrCompositionLayerProjection *projection = NULL;
    for (uint32_t i = 0; i < info->layerCount; i++) {
        const XrCompositionLayerBaseHeader *layer = info->layers[i];
        if (!layer) return XR_ERROR_LAYER_INVALID;
        if (layer->type != XR_TYPE_COMPOSITION_LAYER_PROJECTION) return XR_ERROR_LAYER_INVALID;
        projection = (const XrCompositionLayerProjection *)layer;
        XrResult r = check_projection(s, projection);
        if (r != XR_SUCCESS) return r;
    }
    if (info->layerCount && !context_current(s)) return XR_ERROR_GRAPHICS_DEVICE_INVALID;
    s->frame_begun = 0;
    say("frame %ld layers %u", s->frame, info->layerCount);
    for (int i = 0; projection && i < script_count; i++)
        if (script[i].frame <= s->frame && strcmp(script[i].key, "capture") == 0 &&
            script[i].text[0] && capture_due(script[i].text))
            capture(s, projection, script[i].text);
    if (++s->frames_ended == 1 && !s->exit_requested) {
        queue_state(s, XR_SESSION_STATE_SYNCHRONIZED);
        queue_state(s, XR_SESSION_STATE_VISIBLE);
        queue_state(s, XR_SESSION_STATE_FOCUSED);
    }
    return XR_SUCCESS;
}

/* ---- paths and actions --------------------------------------------------------------------------- */
static XrResult xrStringToPath_(XrInstance instance, const char *text, XrPath *path) {
    CHECK(Instance, in, instance, M_INSTANCE);
    (void)in;
    if (!well_formed(text)) return XR_ERROR_PATH_FORMAT_INVALID;
    *path = intern(text);
    return *path ? XR_SUCCESS : XR_ERROR_PATH_COUNT_EXCEEDED;
}

static XrResult xrPathToString_(XrInstance instance, XrPath path, uint32_t capacity,
                                uint32_t *count, char *buffer) {
    (void)instance;
    const char *text = path_text(path);
    if (!text) return XR_ERROR_PATH_INVALID;
    *count = (uint32_t)strlen(text) + 1;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < *count) return XR_ERROR_SIZE_INSUFFICIENT;
    strcpy(buffer, text);
    return XR_SUCCESS;
}

static int name_ok(const char *name) {
    if (!name[0]) return 0;
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
              *c == '.'))
            return 0;
    return 1;
}

static XrResult xrCreateActionSet_(XrInstance instance, const XrActionSetCreateInfo *info,
                                   XrActionSet *out) {
    CHECK(Instance, in, instance, M_INSTANCE);
    (void)in;
    if (!name_ok(info->actionSetName)) return XR_ERROR_NAME_INVALID;
    if (!info->localizedActionSetName[0]) return XR_ERROR_LOCALIZED_NAME_INVALID;
    ActionSet *set = calloc(1, sizeof *set);
    set->magic = M_ACTIONSET;
    strcpy(set->name, info->actionSetName);
    *out = (XrActionSet)(uintptr_t)set;
    return XR_SUCCESS;
}

static XrResult xrDestroyActionSet_(XrActionSet actionSet) {
    CHECK(ActionSet, set, actionSet, M_ACTIONSET);
    set->magic = 0;
    free(set);
    return XR_SUCCESS;
}

static Action *all_actions[MAX_ACTIONS];
static int action_count;

static XrResult xrCreateAction_(XrActionSet actionSet, const XrActionCreateInfo *info,
                                XrAction *out) {
    CHECK(ActionSet, set, actionSet, M_ACTIONSET);
    if (set->attached) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    if (!name_ok(info->actionName)) return XR_ERROR_NAME_INVALID;
    if (!info->localizedActionName[0]) return XR_ERROR_LOCALIZED_NAME_INVALID;
    for (int i = 0; i < action_count; i++)
        if (all_actions[i] && all_actions[i]->set == set &&
            strcmp(all_actions[i]->name, info->actionName) == 0)
            return XR_ERROR_NAME_DUPLICATED;
    if (info->countSubactionPaths > 4 || action_count == MAX_ACTIONS)
        return XR_ERROR_LIMIT_REACHED;
    for (uint32_t i = 0; i < info->countSubactionPaths; i++) {
        const char *p = path_text(info->subactionPaths[i]);
        if (!p || (strcmp(p, "/user/hand/left") && strcmp(p, "/user/hand/right") &&
                   strcmp(p, "/user/head") && strcmp(p, "/user/gamepad")))
            return XR_ERROR_PATH_UNSUPPORTED;
    }
    Action *a = calloc(1, sizeof *a);
    a->magic = M_ACTION;
    a->set = set;
    strcpy(a->name, info->actionName);
    a->type = info->actionType;
    a->subaction_count = info->countSubactionPaths;
    memcpy(a->subactions, info->subactionPaths, info->countSubactionPaths * sizeof(XrPath));
    all_actions[action_count++] = a;
    *out = (XrAction)(uintptr_t)a;
    return XR_SUCCESS;
}

static XrResult xrDestroyAction_(XrAction action) {
    CHECK(Action, a, action, M_ACTION);
    for (int i = 0; i < action_count; i++)
        if (all_actions[i] == a) all_actions[i] = NULL;
    a->magic = 0;
    free(a);
    return XR_SUCCESS;
}

/* Suggested bindings live on the instance until a session attaches; one table serves both. */
static Binding suggestions[MAX_BINDINGS];
static int suggestion_count;
static int attached_anywhere;

static XrResult xrSuggestInteractionProfileBindings_(
    XrInstance instance, const XrInteractionProfileSuggestedBinding *info) {
    CHECK(Instance, in, instance, M_INSTANCE);
    (void)in;
    if (attached_anywhere) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    const char *name = path_text(info->interactionProfile);
    const Profile *profile = name ? find_profile(name) : NULL;
    if (!profile) return XR_ERROR_PATH_UNSUPPORTED;
    if (info->countSuggestedBindings == 0) return XR_ERROR_VALIDATION_FAILURE;
    for (uint32_t i = 0; i < info->countSuggestedBindings; i++) {
        CHECK(Action, a, info->suggestedBindings[i].action, M_ACTION);
        (void)a;
        const char *binding = path_text(info->suggestedBindings[i].binding);
        if (!binding || !profile_has(profile, binding)) {
            say("binding refused %s %s", name, binding ? binding : "?");
            return XR_ERROR_PATH_UNSUPPORTED;
        }
    }
    /* a later suggestion for the same profile replaces the earlier one */
    int kept = 0;
    for (int i = 0; i < suggestion_count; i++)
        if (suggestions[i].profile != info->interactionProfile) suggestions[kept++] = suggestions[i];
    suggestion_count = kept;
    for (uint32_t i = 0; i < info->countSuggestedBindings && suggestion_count < MAX_BINDINGS; i++)
        suggestions[suggestion_count++] =
            (Binding){(Action *)(uintptr_t)info->suggestedBindings[i].action,
                      info->suggestedBindings[i].binding, info->interactionProfile};
    say("bindings %s %u", name, info->countSuggestedBindings);
    return XR_SUCCESS;
}

static XrResult xrAttachSessionActionSets_(XrSession session,
                                           const XrSessionActionSetsAttachInfo *info) {
    CHECK(Session, s, session, M_SESSION);
    if (attached_anywhere) return XR_ERROR_ACTIONSETS_ALREADY_ATTACHED;
    for (uint32_t i = 0; i < info->countActionSets; i++) {
        CHECK(ActionSet, set, info->actionSets[i], M_ACTIONSET);
        set->attached = 1;
    }
    attached_anywhere = 1;
    memcpy(s->bindings, suggestions, sizeof suggestions);
    s->binding_count = suggestion_count;
    for (int i = 0; i < s->binding_count; i++)
        if (strcmp(path_text(s->bindings[i].profile), profile_name) == 0) s->profile_bound = 1;
    say("attached %u action sets, %s %s", info->countActionSets, profile_name,
        s->profile_bound ? "bound" : "unbound");
    if (s->profile_bound) queue_profile_changed(s);
    return XR_SUCCESS;
}

static XrResult xrGetCurrentInteractionProfile_(XrSession session, XrPath topLevel,
                                                XrInteractionProfileState *state) {
    CHECK(Session, s, session, M_SESSION);
    if (!attached_anywhere) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    const char *user = path_text(topLevel);
    if (!user) return XR_ERROR_PATH_INVALID;
    int hand = strcmp(user, "/user/hand/left") == 0 || strcmp(user, "/user/hand/right") == 0;
    state->interactionProfile = hand && s->profile_bound ? intern(profile_name) : XR_NULL_PATH;
    return XR_SUCCESS;
}

/* The input's value for ACTION on HAND from the script: v[0..1], with how many it has. */
static int read_input(Session *s, Action *a, int hand, float *v) {
    int found = 0;
    v[0] = v[1] = 0;
    for (int i = 0; i < s->binding_count; i++) {
        Binding *b = &s->bindings[i];
        if (b->action != a || strcmp(path_text(b->profile), profile_name) != 0) continue;
        int h; char ident[32], component[32], key[80];
        split_binding(path_text(b->path), &h, ident, component);
        if (h != hand) continue;
        float in[7] = {0};
        snprintf(key, sizeof key, "%s.%s", hand ? "right" : "left", ident);
        int n = lookup(key, s->frame, in);
        float value = n > 0 ? in[0] : 0;
        if (strcmp(component, "y") == 0) value = n > 1 ? in[1] : 0;
        if (a->type == XR_ACTION_TYPE_VECTOR2F_INPUT) {
            if (component[0]) continue; /* a vector binds to the whole stick */
            if (hypotf(in[0], in[1]) >= hypotf(v[0], v[1])) { v[0] = in[0]; v[1] = in[1]; }
        } else if (a->type == XR_ACTION_TYPE_BOOLEAN_INPUT) {
            int pressed = strcmp(component, "touch") == 0 ? value > 0 : value >= 0.5f;
            v[0] = v[0] > 0 || pressed;
        } else if (fabsf(value) > fabsf(v[0])) {
            v[0] = value;
        }
        found = 1;
    }
    return found;
}

static int subaction_hand(Action *a, XrPath subaction, int *hand) {
    if (subaction == XR_NULL_PATH) { *hand = -1; return 1; }
    int declared = 0;
    for (uint32_t i = 0; i < a->subaction_count; i++) declared |= a->subactions[i] == subaction;
    if (!declared) return 0;
    const char *p = path_text(subaction);
    *hand = strcmp(p, "/user/hand/right") == 0 ? 1 : strcmp(p, "/user/hand/left") == 0 ? 0 : -2;
    return 1;
}

static XrResult xrSyncActions_(XrSession session, const XrActionsSyncInfo *info) {
    CHECK(Session, s, session, M_SESSION);
    for (uint32_t i = 0; i < info->countActiveActionSets; i++) {
        CHECK(ActionSet, set, info->activeActionSets[i].actionSet, M_ACTIONSET);
        if (!set->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    }
    if (s->state != XR_SESSION_STATE_FOCUSED) {
        for (int i = 0; i < action_count; i++)
            if (all_actions[i]) all_actions[i]->active[0] = all_actions[i]->active[1] = 0;
        return XR_SESSION_NOT_FOCUSED;
    }
    for (int i = 0; i < action_count; i++) {
        Action *a = all_actions[i];
        if (!a) continue;
        int synced = 0;
        for (uint32_t k = 0; k < info->countActiveActionSets; k++)
            synced |= (XrActionSet)(uintptr_t)a->set == info->activeActionSets[k].actionSet;
        for (int hand = 0; hand < 2; hand++) {
            float v[2];
            int bound = synced && s->profile_bound && read_input(s, a, hand, v);
            a->active[hand] = bound;
            if (!bound) { v[0] = v[1] = 0; }
            a->changed[hand] = bound && (v[0] != a->last[hand][0] || v[1] != a->last[hand][1]);
            if (a->changed[hand]) a->changed_at[hand] = s->predicted;
            a->last[hand][0] = v[0];
            a->last[hand][1] = v[1];
        }
    }
    return XR_SUCCESS;
}

/* The state of ACTION for the asked subaction: one hand, or both combined. */
static XrResult action_state(XrSession session, const XrActionStateGetInfo *info,
                             XrActionType type, float *v, XrBool32 *changed, XrTime *when,
                             XrBool32 *active) {
    CHECK(Session, s, session, M_SESSION);
    (void)s;
    CHECK(Action, a, info->action, M_ACTION);
    if (!a->set->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    if (a->type != type) return XR_ERROR_ACTION_TYPE_MISMATCH;
    int hand;
    if (!subaction_hand(a, info->subactionPath, &hand)) return XR_ERROR_PATH_UNSUPPORTED;
    v[0] = v[1] = 0; *changed = 0; *when = 0; *active = 0;
    for (int h = 0; h < 2; h++) {
        if ((hand >= 0 && h != hand) || hand == -2 || !a->active[h]) continue;
        float m = hypotf(a->last[h][0], a->last[h][1]);
        if (!*active || m > hypotf(v[0], v[1])) { v[0] = a->last[h][0]; v[1] = a->last[h][1]; }
        *changed |= a->changed[h];
        if (a->changed_at[h] > *when) *when = a->changed_at[h];
        *active = 1;
    }
    return XR_SUCCESS;
}

static XrResult xrGetActionStateBoolean_(XrSession session, const XrActionStateGetInfo *info,
                                         XrActionStateBoolean *state) {
    float v[2];
    XrResult r = action_state(session, info, XR_ACTION_TYPE_BOOLEAN_INPUT, v,
                              &state->changedSinceLastSync, &state->lastChangeTime,
                              &state->isActive);
    state->currentState = v[0] > 0;
    return r;
}

static XrResult xrGetActionStateFloat_(XrSession session, const XrActionStateGetInfo *info,
                                       XrActionStateFloat *state) {
    float v[2];
    XrResult r = action_state(session, info, XR_ACTION_TYPE_FLOAT_INPUT, v,
                              &state->changedSinceLastSync, &state->lastChangeTime,
                              &state->isActive);
    state->currentState = v[0];
    return r;
}

static XrResult xrGetActionStateVector2f_(XrSession session, const XrActionStateGetInfo *info,
                                          XrActionStateVector2f *state) {
    float v[2];
    XrResult r = action_state(session, info, XR_ACTION_TYPE_VECTOR2F_INPUT, v,
                              &state->changedSinceLastSync, &state->lastChangeTime,
                              &state->isActive);
    state->currentState.x = v[0];
    state->currentState.y = v[1];
    return r;
}

static XrResult xrGetActionStatePose_(XrSession session, const XrActionStateGetInfo *info,
                                      XrActionStatePose *state) {
    CHECK(Session, s, session, M_SESSION);
    CHECK(Action, a, info->action, M_ACTION);
    if (!a->set->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    if (a->type != XR_ACTION_TYPE_POSE_INPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    int hand;
    if (!subaction_hand(a, info->subactionPath, &hand)) return XR_ERROR_PATH_UNSUPPORTED;
    XrPosef unused;
    state->isActive = s->state == XR_SESSION_STATE_FOCUSED && s->profile_bound &&
                      bound_pose(s, a, info->subactionPath, &unused);
    return XR_SUCCESS;
}

static XrResult xrEnumerateBoundSourcesForAction_(XrSession session,
                                                  const XrBoundSourcesForActionEnumerateInfo *info,
                                                  uint32_t capacity, uint32_t *count,
                                                  XrPath *sources) {
    CHECK(Session, s, session, M_SESSION);
    CHECK(Action, a, info->action, M_ACTION);
    if (!a->set->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    uint32_t n = 0;
    for (int i = 0; i < s->binding_count; i++) {
        Binding *b = &s->bindings[i];
        if (b->action != a || strcmp(path_text(b->profile), profile_name) != 0) continue;
        if (capacity && n < capacity) sources[n] = b->path;
        n++;
    }
    *count = n;
    return capacity && capacity < n ? XR_ERROR_SIZE_INSUFFICIENT : XR_SUCCESS;
}

static XrResult xrGetInputSourceLocalizedName_(XrSession session,
                                               const XrInputSourceLocalizedNameGetInfo *info,
                                               uint32_t capacity, uint32_t *count, char *buffer) {
    CHECK(Session, s, session, M_SESSION);
    (void)s;
    const char *text = path_text(info->sourcePath);
    if (!text) return XR_ERROR_PATH_INVALID;
    *count = (uint32_t)strlen(text) + 1;
    if (capacity == 0) return XR_SUCCESS;
    if (capacity < *count) return XR_ERROR_SIZE_INSUFFICIENT;
    strcpy(buffer, text);
    return XR_SUCCESS;
}

static XrResult xrApplyHapticFeedback_(XrSession session, const XrHapticActionInfo *info,
                                       const XrHapticBaseHeader *haptic) {
    CHECK(Session, s, session, M_SESSION);
    CHECK(Action, a, info->action, M_ACTION);
    if (a->type != XR_ACTION_TYPE_VIBRATION_OUTPUT) return XR_ERROR_ACTION_TYPE_MISMATCH;
    if (!a->set->attached) return XR_ERROR_ACTIONSET_NOT_ATTACHED;
    int hand;
    if (!subaction_hand(a, info->subactionPath, &hand)) return XR_ERROR_PATH_UNSUPPORTED;
    if (haptic->type != XR_TYPE_HAPTIC_VIBRATION) return XR_ERROR_VALIDATION_FAILURE;
    const XrHapticVibration *v = (const XrHapticVibration *)haptic;
    say("haptic %s amplitude %.2f duration %lld frame %ld",
        hand == 1 ? "right" : hand == 0 ? "left" : "both", v->amplitude,
        (long long)v->duration, s->frame);
    return XR_SUCCESS;
}

static XrResult xrStopHapticFeedback_(XrSession session, const XrHapticActionInfo *info) {
    CHECK(Session, s, session, M_SESSION);
    (void)s;
    CHECK(Action, a, info->action, M_ACTION);
    return a->type == XR_ACTION_TYPE_VIBRATION_OUTPUT ? XR_SUCCESS
                                                      : XR_ERROR_ACTION_TYPE_MISMATCH;
}

/* Destroying an instance destroys what was made from it: a next instance starts afresh. */
static void forget_instance_objects(void) {
    for (int i = 0; i < action_count; i++)
        if (all_actions[i]) { all_actions[i]->magic = 0; free(all_actions[i]); }
    action_count = suggestion_count = attached_anywhere = captured_count = 0;
    for (int i = 0; i < path_count; i++) free(paths[i]);
    path_count = 0;
}

/* ---- dispatch ---------------------------------------------------------------------------------- */
static XrResult xrGetInstanceProcAddr_(XrInstance instance, const char *name,
                                       PFN_xrVoidFunction *function);

#define ENTRY(f) {#f, (PFN_xrVoidFunction)f##_}
static const struct { const char *name; PFN_xrVoidFunction function; } ENTRIES[] = {
    ENTRY(xrGetInstanceProcAddr), ENTRY(xrEnumerateInstanceExtensionProperties),
    ENTRY(xrEnumerateApiLayerProperties), ENTRY(xrCreateInstance), ENTRY(xrDestroyInstance),
    ENTRY(xrGetInstanceProperties), ENTRY(xrPollEvent), ENTRY(xrResultToString),
    ENTRY(xrStructureTypeToString), ENTRY(xrGetSystem), ENTRY(xrGetSystemProperties),
    ENTRY(xrEnumerateViewConfigurations), ENTRY(xrGetViewConfigurationProperties),
    ENTRY(xrEnumerateViewConfigurationViews), ENTRY(xrEnumerateEnvironmentBlendModes),
    ENTRY(xrCreateSession), ENTRY(xrDestroySession), ENTRY(xrBeginSession),
    ENTRY(xrEndSession), ENTRY(xrRequestExitSession), ENTRY(xrEnumerateReferenceSpaces),
    ENTRY(xrCreateReferenceSpace), ENTRY(xrGetReferenceSpaceBoundsRect),
    ENTRY(xrCreateActionSpace), ENTRY(xrLocateSpace), ENTRY(xrDestroySpace),
    ENTRY(xrLocateViews), ENTRY(xrEnumerateSwapchainFormats), ENTRY(xrCreateSwapchain),
    ENTRY(xrDestroySwapchain), ENTRY(xrEnumerateSwapchainImages),
    ENTRY(xrAcquireSwapchainImage), ENTRY(xrWaitSwapchainImage),
    ENTRY(xrReleaseSwapchainImage), ENTRY(xrWaitFrame), ENTRY(xrBeginFrame),
    ENTRY(xrEndFrame), ENTRY(xrStringToPath), ENTRY(xrPathToString), ENTRY(xrCreateActionSet),
    ENTRY(xrDestroyActionSet), ENTRY(xrCreateAction), ENTRY(xrDestroyAction),
    ENTRY(xrSuggestInteractionProfileBindings), ENTRY(xrAttachSessionActionSets),
    ENTRY(xrGetCurrentInteractionProfile), ENTRY(xrGetActionStateBoolean),
    ENTRY(xrGetActionStateFloat), ENTRY(xrGetActionStateVector2f),
    ENTRY(xrGetActionStatePose), ENTRY(xrSyncActions), ENTRY(xrEnumerateBoundSourcesForAction),
    ENTRY(xrGetInputSourceLocalizedName), ENTRY(xrApplyHapticFeedback),
    ENTRY(xrStopHapticFeedback),
};

static XrResult xrGetInstanceProcAddr_(XrInstance instance, const char *name,
                                       PFN_xrVoidFunction *function) {
    *function = NULL;
    if (strcmp(name, "xrGetOpenGLGraphicsRequirementsKHR") == 0) {
        Instance *in = (Instance *)(uintptr_t)instance;
        if (!in || in->magic != M_INSTANCE) return XR_ERROR_HANDLE_INVALID;
        if (!in->gl_xlib && !in->gl_egl) return XR_ERROR_FUNCTION_UNSUPPORTED;
        *function = (PFN_xrVoidFunction)xrGetOpenGLGraphicsRequirementsKHR_;
        return XR_SUCCESS;
    }
    for (size_t i = 0; i < sizeof ENTRIES / sizeof ENTRIES[0]; i++)
        if (strcmp(ENTRIES[i].name, name) == 0) {
            int preinstance = strcmp(name, "xrEnumerateInstanceExtensionProperties") == 0 ||
                              strcmp(name, "xrEnumerateApiLayerProperties") == 0 ||
                              strcmp(name, "xrCreateInstance") == 0 ||
                              strcmp(name, "xrGetInstanceProcAddr") == 0;
            if (instance == XR_NULL_HANDLE && !preinstance) return XR_ERROR_HANDLE_INVALID;
            *function = ENTRIES[i].function;
            return XR_SUCCESS;
        }
    return XR_ERROR_FUNCTION_UNSUPPORTED;
}

__attribute__((visibility("default"))) XrResult xrNegotiateLoaderRuntimeInterface(
    const NegotiateLoaderInfo *loader, NegotiateRuntimeRequest *request) {
    if (!loader || loader->structType != LOADER_STRUCT_LOADER_INFO || !request ||
        request->structType != LOADER_STRUCT_RUNTIME_REQUEST)
        return XR_ERROR_INITIALIZATION_FAILED;
    if (loader->minInterfaceVersion > 1 || loader->maxInterfaceVersion < 1)
        return XR_ERROR_INITIALIZATION_FAILED;
    request->runtimeInterfaceVersion = 1;
    request->runtimeApiVersion = XR_MAKE_VERSION(1, 0, 34);
    request->getInstanceProcAddr = xrGetInstanceProcAddr_;
    return XR_SUCCESS;
}
