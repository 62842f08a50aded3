/*
 * voices.c - the registry of voice kinds compiled into the engine.
 * To add a kind: write voices/KIND.c (start from voices/binaural.c), declare
 * its class in lull_voice.h and list it here.
 */
#include "lull_voice.h"

#include <pthread.h>
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

/* Built once, under pthread_once, so two threads asking for it first at the
 * same moment (two scripts loading with errors) never see it half written. */
static char kind_list[256];
static pthread_once_t kind_list_once = PTHREAD_ONCE_INIT;

static void build_kind_list(void)
{
    for (int i = 0; i < N_KINDS; i++) {
        if (i)
            strncat(kind_list, ", ", sizeof kind_list - strlen(kind_list) - 1);
        strncat(kind_list, registry[i]->kind, sizeof kind_list - strlen(kind_list) - 1);
    }
}

const char *lull_voice_kind_list(void)
{
    pthread_once(&kind_list_once, build_kind_list);
    return kind_list;
}
