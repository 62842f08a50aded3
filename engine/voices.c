/*
 * voices.c - the registry of voice kinds compiled into the engine.
 * To add a kind: write voices/KIND.c (start from voices/binaural.c), declare
 * its class in lull_voice.h and list it here.
 */
#include "lull_voice.h"

#include <string.h>

static const lull_voice_class *const registry[] = {
    &lull_voice_binaural,
    &lull_voice_noise,
    &lull_voice_monaural,
    &lull_voice_isochronic,
    &lull_voice_pacer,
    &lull_voice_tone,
    &lull_voice_bell,
    &lull_voice_spin,
    &lull_voice_clip,
};

#define N_KINDS ((int)(sizeof registry / sizeof registry[0]))

int lull_voice_kind_count(void) { return N_KINDS; }

const lull_voice_class *lull_voice_kind_at(int i)
{
    return i >= 0 && i < N_KINDS ? registry[i] : NULL;
}

const lull_voice_class *lull_voice_find(const char *kind)
{
    for (int i = 0; i < N_KINDS; i++)
        if (strcmp(registry[i]->kind, kind) == 0)
            return registry[i];
    return NULL;
}

int lull_voice_param_index(const lull_voice_class *vc, const char *name)
{
    for (int i = 0; i < vc->n_params; i++)
        if (strcmp(vc->params[i].name, name) == 0)
            return i;
    return -1;
}

const char *lull_voice_kind_list(void)
{
    static char list[256];
    if (!list[0]) {
        for (int i = 0; i < N_KINDS; i++) {
            if (i)
                strncat(list, ", ", sizeof list - strlen(list) - 1);
            strncat(list, registry[i]->kind, sizeof list - strlen(list) - 1);
        }
    }
    return list;
}
