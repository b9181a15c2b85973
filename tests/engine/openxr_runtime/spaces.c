/* spaces.c: reference and action spaces, and where the eyes are */
#include "runtime.h"

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
int bound_pose(Session *s, Action *a, XrPath subaction, XrPosef *out) {
    int at = 0;
    Source src;
    while (next_source(s, a, &at, &src)) {
        if (subaction && strcmp(path_text(subaction), src.hand ? "/user/hand/right"
                                                               : "/user/hand/left") != 0)
            continue;
        XrPosef held = {{0, 0, 0, 1}, {src.hand ? 0.2f : -0.2f, 1.2f, -0.35f}};
        *out = scripted_pose(src.key, s->frame, held);
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

const Entry space_entries[] = {
    ENTRY(xrEnumerateReferenceSpaces),
    ENTRY(xrCreateReferenceSpace),
    ENTRY(xrGetReferenceSpaceBoundsRect),
    ENTRY(xrCreateActionSpace),
    ENTRY(xrLocateSpace),
    ENTRY(xrDestroySpace),
    ENTRY(xrLocateViews),
    {NULL, NULL},
};
