/*
 * clips.c - the narration clips of a session, for `lull info` and `lull
 * plot`: where each starts, its voice, and how long it really is.
 * From lull_script_clip_count() / lull_script_clip_info().
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

int cli_clips_get(const lull_script *s, cli_clip_list *out)
{
    memset(out, 0, sizeof *out);
    int n = lull_script_clip_count(s);
    if (n <= 0)
        return 0;
    out->items = calloc((size_t)n, sizeof *out->items);
    if (!out->items)
        return -1;
    for (int i = 0; i < n; i++) {
        lull_clip_desc d;
        if (lull_script_clip_info(s, i, &d) != LULL_OK)
            continue;
        cli_clip *c = &out->items[out->n++];
        c->file = d.file;
        c->voice = lull_script_voice_name(s, d.voice);
        c->start_sec = d.start_sec;
        c->duration_sec = d.duration_sec;
        c->loop = d.loop;
        out->total_sec += d.duration_sec;
    }
    return 0;
}

void cli_clips_free(cli_clip_list *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}
