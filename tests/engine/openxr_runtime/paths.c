/* paths.c: path strings and the inputs of each interaction profile */
#include "runtime.h"

static char *paths[MAX_PATHS];
static int path_count;

/* ---- paths ------------------------------------------------------------------------------ */
int well_formed(const char *p) {
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
XrPath intern(const char *p) {
    for (int i = 0; i < path_count; i++)
        if (strcmp(paths[i], p) == 0) return (XrPath)(i + 1);
    if (path_count == MAX_PATHS) return XR_NULL_PATH;
    paths[path_count] = strdup(p);
    return (XrPath)(++path_count);
}
const char *path_text(XrPath path) {
    return path >= 1 && path <= (XrPath)path_count ? paths[path - 1] : NULL;
}

/* Inputs each emulated profile has, per hand ("b" both, "l", "r"). */
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
int split_binding(const char *p, int *hand, char *ident, char *component) {
    const char *rest;
    if (strncmp(p, "/user/hand/left/", 16) == 0) { *hand = 0; rest = p + 16; }
    else if (strncmp(p, "/user/hand/right/", 17) == 0) { *hand = 1; rest = p + 17; }
    else return 0;
    ident[0] = component[0] = 0;
    if (sscanf(rest, "input/%31[^/]/%31s", ident, component) >= 1) return 1;
    if (strcmp(rest, "output/haptic") == 0) { strcpy(ident, "haptic"); return 1; }
    return 0;
}
int profile_has(const Profile *profile, const char *binding) {
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
const Profile *find_profile(const char *name) {
    for (int i = 0; i < PROFILE_COUNT; i++)
        if (strcmp(PROFILES[i].profile, name) == 0) return &PROFILES[i];
    return NULL;
}


void forget_paths(void) {
    for (int i = 0; i < path_count; i++) free(paths[i]);
    path_count = 0;
}
