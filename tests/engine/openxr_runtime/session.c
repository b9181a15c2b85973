/* session.c: the session's lifecycle and its OpenGL context */
#include "runtime.h"
#include <dlfcn.h>

/* ---- handle checks ---------------------------------------------------------------------- */

Instance *the_instance;

void queue_state(Session *s, XrSessionState state) {
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
void queue_profile_changed(Session *s) {
    Instance *in = s->instance;
    if (in->event_count == MAX_EVENTS) return;
    int slot = (in->event_head + in->event_count++) % MAX_EVENTS;
    in->events[slot].type = XR_TYPE_EVENT_DATA_INTERACTION_PROFILE_CHANGED;
    in->events[slot].session = (XrSession)(uintptr_t)s;
}

int context_current(Session *s) {
    return s->gl.CurrentContext && s->gl.CurrentContext() == s->context;
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

void stop(Session *s) {
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

const Entry session_entries[] = {
    ENTRY(xrCreateSession),
    ENTRY(xrDestroySession),
    ENTRY(xrBeginSession),
    ENTRY(xrEndSession),
    ENTRY(xrRequestExitSession),
    {NULL, NULL},
};
