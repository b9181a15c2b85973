/* actions.c: paths by name, actions, suggested bindings, input states and haptics */
#include "runtime.h"

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
int next_source(Session *s, Action *a, int *at, Source *out) {
    while (*at < s->binding_count) {
        Binding *b = &s->bindings[(*at)++];
        if (b->action != a || strcmp(path_text(b->profile), profile_name) != 0) continue;
        out->path = b->path;
        split_binding(path_text(b->path), &out->hand, out->ident, out->component);
        snprintf(out->key, sizeof out->key, "%s.%s", out->hand ? "right" : "left", out->ident);
        return 1;
    }
    return 0;
}

static int read_input(Session *s, Action *a, int hand, float *v) {
    int found = 0, at = 0;
    Source src;
    v[0] = v[1] = 0;
    while (next_source(s, a, &at, &src)) {
        if (src.hand != hand) continue;
        float in[7] = {0};
        int n = lookup(src.key, s->frame, in);
        float value = n > 0 ? in[0] : 0;
        if (strcmp(src.component, "y") == 0) value = n > 1 ? in[1] : 0;
        if (a->type == XR_ACTION_TYPE_VECTOR2F_INPUT) {
            if (src.component[0]) continue; /* a vector binds to the whole stick */
            if (hypotf(in[0], in[1]) >= hypotf(v[0], v[1])) { v[0] = in[0]; v[1] = in[1]; }
        } else if (a->type == XR_ACTION_TYPE_BOOLEAN_INPUT) {
            int pressed = strcmp(src.component, "touch") == 0 ? value > 0 : value >= 0.5f;
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
    int at = 0;
    Source src;
    while (next_source(s, a, &at, &src)) {
        if (capacity && n < capacity) sources[n] = src.path;
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
void forget_actions(void) {
    for (int i = 0; i < action_count; i++)
        if (all_actions[i]) { all_actions[i]->magic = 0; free(all_actions[i]); }
    action_count = suggestion_count = attached_anywhere = 0;
}

const Entry action_entries[] = {
    ENTRY(xrStringToPath),
    ENTRY(xrPathToString),
    ENTRY(xrCreateActionSet),
    ENTRY(xrDestroyActionSet),
    ENTRY(xrCreateAction),
    ENTRY(xrDestroyAction),
    ENTRY(xrSuggestInteractionProfileBindings),
    ENTRY(xrAttachSessionActionSets),
    ENTRY(xrGetCurrentInteractionProfile),
    ENTRY(xrGetActionStateBoolean),
    ENTRY(xrGetActionStateFloat),
    ENTRY(xrGetActionStateVector2f),
    ENTRY(xrGetActionStatePose),
    ENTRY(xrSyncActions),
    ENTRY(xrEnumerateBoundSourcesForAction),
    ENTRY(xrGetInputSourceLocalizedName),
    ENTRY(xrApplyHapticFeedback),
    ENTRY(xrStopHapticFeedback),
    {NULL, NULL},
};
