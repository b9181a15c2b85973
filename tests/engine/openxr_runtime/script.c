/* script.c: the script that steers the runtime, and its log */
#include "runtime.h"
#include <stdarg.h>
#include <sys/stat.h>

/* ---- global state: paths, script, log ------------------------------------------------ */
ScriptLine script[MAX_SCRIPT];
int script_count;
FILE *log_file;
const char *profile_name = "/interaction_profiles/oculus/touch_controller";

void say(const char *fmt, ...) {
    if (!log_file) return;
    va_list args; va_start(args, fmt); vfprintf(log_file, fmt, args); va_end(args);
    fputc('\n', log_file); fflush(log_file);
}

static struct stat script_seen;

void load_script(void) {
    const char *name = getenv("REDHALL_XR_SCRIPT");
    FILE *file = name ? fopen(name, "r") : NULL;
    char line[600];
    script_count = 0;
    if (file) fstat(fileno(file), &script_seen);
    while (file && fgets(line, sizeof line, file) && script_count < MAX_SCRIPT) {
        char *p = line; while (*p == ' ' || *p == '\t') p++;
        if (*p == '#' || *p == '\n' || *p == 0) continue;
        ScriptLine *s = &script[script_count];
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

void reload_script_if_changed(void) {
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

int capture_due(const char *path) {
    for (int i = 0; i < captured_count; i++)
        if (strcmp(captured[i], path) == 0) return 0;
    if (captured_count < 64) strcpy(captured[captured_count++], path);
    return 1;
}

/* The newest value of KEY at FRAME: the last line for it whose frame has come. */
int lookup(const char *key, long frame, float *out) {
    int found = -1;
    for (int i = 0; i < script_count; i++)
        if (script[i].frame <= frame && strcmp(script[i].key, key) == 0 &&
            (found < 0 || script[i].frame >= script[found].frame))
            found = i;
    if (found < 0) return 0;
    memcpy(out, script[found].v, sizeof script[found].v);
    return script[found].n;
}


void forget_captures(void) { captured_count = 0; }
