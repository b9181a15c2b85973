/* instance.c: the instance, the system (a stereo headset) and the loader entry point */
#include "runtime.h"
#include <dlfcn.h>

static XrResult xrGetInstanceProcAddr_(XrInstance instance, const char *name,
                                       PFN_xrVoidFunction *function);

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

static XrResult xrDestroyInstance_(XrInstance instance) {
    CHECK(Instance, in, instance, M_INSTANCE);
    say("instance destroyed");
    in->magic = 0;
    free(in);
    the_instance = NULL;
    forget_actions();
    forget_paths();
    forget_captures();
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
/* Each eye sees farther outward than inward, and not the same as the engine's simulation,
   so an application that ignores the runtime's field of view draws the wrong picture. */
const XrFovf EYE_FOV[2] = {{-0.96f, 0.74f, 0.83f, -0.90f},
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


/* ---- dispatch ------------------------------------------------------------------------- */
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
    static const Entry *const parts[] = {instance_entries, session_entries, space_entries,
                                         frame_entries, action_entries};
    for (size_t p = 0; p < sizeof parts / sizeof parts[0]; p++)
        for (const Entry *e = parts[p]; e->name; e++) {
            if (strcmp(e->name, name) != 0) continue;
            int preinstance = strcmp(name, "xrEnumerateInstanceExtensionProperties") == 0 ||
                              strcmp(name, "xrEnumerateApiLayerProperties") == 0 ||
                              strcmp(name, "xrCreateInstance") == 0 ||
                              strcmp(name, "xrGetInstanceProcAddr") == 0;
            if (instance == XR_NULL_HANDLE && !preinstance) return XR_ERROR_HANDLE_INVALID;
            *function = e->function;
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

const Entry instance_entries[] = {
    ENTRY(xrGetInstanceProcAddr),
    ENTRY(xrEnumerateInstanceExtensionProperties),
    ENTRY(xrEnumerateApiLayerProperties),
    ENTRY(xrCreateInstance),
    ENTRY(xrDestroyInstance),
    ENTRY(xrGetInstanceProperties),
    ENTRY(xrPollEvent),
    ENTRY(xrResultToString),
    ENTRY(xrStructureTypeToString),
    ENTRY(xrGetSystem),
    ENTRY(xrGetSystemProperties),
    ENTRY(xrEnumerateViewConfigurations),
    ENTRY(xrGetViewConfigurationProperties),
    ENTRY(xrEnumerateViewConfigurationViews),
    ENTRY(xrEnumerateEnvironmentBlendModes),
    {NULL, NULL},
};
