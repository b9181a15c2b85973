/*
 * runtime.h: what the parts of the scripted runtime share.
 *
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
#ifndef REDHALL_SCRIPTED_RUNTIME_H
#define REDHALL_SCRIPTED_RUNTIME_H
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* ---- the script and the log (script.c) ------------------------------------------------ */
typedef struct { long frame; char key[48]; float v[7]; int n; char text[512]; } ScriptLine;
#define MAX_SCRIPT 4096
extern ScriptLine script[MAX_SCRIPT];
extern int script_count;
extern const char *profile_name;
extern FILE *log_file;
#define START ((XrTime)1000000000LL)
#define PERIOD ((XrDuration)11111111LL) /* 90 Hz */
void say(const char *fmt, ...);
void load_script(void);
void reload_script_if_changed(void);
int capture_due(const char *path);
void forget_captures(void);
int lookup(const char *key, long frame, float *out);

/* ---- poses, OpenXR axes (poses.c) ------------------------------------------------------- */
extern const XrPosef IDENTITY;
XrQuaternionf qmul(XrQuaternionf a, XrQuaternionf b);
XrVector3f rotate(XrQuaternionf q, XrVector3f v);
XrPosef compose(XrPosef a, XrPosef b);
XrPosef invert(XrPosef a);
int pose_valid(XrPosef p);
XrPosef scripted_pose(const char *key, long frame, XrPosef fallback);
XrPosef head_pose(Session *s);

/* ---- paths and interaction profiles (paths.c) ----------------------------------------- */
typedef struct { const char *profile; const char *inputs[40]; } Profile;
int well_formed(const char *p);
XrPath intern(const char *p);
const char *path_text(XrPath path);
void forget_paths(void);
int split_binding(const char *p, int *hand, char *ident, char *component);
int profile_has(const Profile *profile, const char *binding);
const Profile *find_profile(const char *name);

/* ---- the headset (instance.c) ---------------------------------------------------------- */
#define SYSTEM_ID 7
#define EYE_WIDTH 640
#define EYE_HEIGHT 600
#define IPD 0.064f
extern const XrFovf EYE_FOV[2];

/* ---- sessions (session.c), spaces (spaces.c), actions (actions.c) --------------------- */
#define CHECK(type, var, handle, magic_)                                                 \
    type *var = (type *)(uintptr_t)(handle);                                              \
    if (!var || var->magic != magic_) return XR_ERROR_HANDLE_INVALID;
extern Instance *the_instance;
void queue_state(Session *s, XrSessionState state);
void queue_profile_changed(Session *s);
int context_current(Session *s);
void stop(Session *s);
int bound_pose(Session *s, Action *a, XrPath subaction, XrPosef *out);
/* One input bound to an action in the emulated profile: its path, hand (0 left, 1 right),
   identifier and component ("trigger", "value"), and its key in the script ("right.trigger"). */
typedef struct { XrPath path; int hand; char ident[32], component[32], key[80]; } Source;
/* The next source of action A after binding *AT (start at 0); 0 when there are no more. */
int next_source(Session *s, Action *a, int *at, Source *out);
void forget_actions(void);

/* ---- dispatch: each part lists the calls it implements ------------------------------- */
typedef struct { const char *name; PFN_xrVoidFunction function; } Entry;
#define ENTRY(f) {#f, (PFN_xrVoidFunction)f##_}
extern const Entry instance_entries[], session_entries[], space_entries[], frame_entries[],
    action_entries[];

#endif
