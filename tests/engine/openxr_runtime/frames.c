/* frames.c: swapchains of OpenGL textures and the frame loop; captures of what was shown */
#include "runtime.h"

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

const Entry frame_entries[] = {
    ENTRY(xrEnumerateSwapchainFormats),
    ENTRY(xrCreateSwapchain),
    ENTRY(xrDestroySwapchain),
    ENTRY(xrEnumerateSwapchainImages),
    ENTRY(xrAcquireSwapchainImage),
    ENTRY(xrWaitSwapchainImage),
    ENTRY(xrReleaseSwapchainImage),
    ENTRY(xrWaitFrame),
    ENTRY(xrBeginFrame),
    ENTRY(xrEndFrame),
    {NULL, NULL},
};
