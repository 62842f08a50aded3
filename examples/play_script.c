/*
 * play_script.c - play a session through lull's own player.
 *
 *     play_script SESSION.lull [SECONDS]
 *
 * lull opens the default output with PortAudio and runs the engine in the
 * audio callback; this program only loads the script, starts the player,
 * prints each section as it begins (the player calls on_notice on a thread
 * of its own, never the audio thread, so printing there is fine) and, when
 * SECONDS is given, fades out after that long.
 *
 * Build: cc play_script.c -llull
 */
#include <lull.h>

#include <stdio.h>
#include <stdlib.h>

static const lull_script *script;

static void on_notice(void *user, const lull_notice *n)
{
    (void)user;
    if (n->kind == LULL_NOTICE_SECTION)
        printf("section: %s\n", lull_script_section_name(script, n->section));
    else if (n->kind == LULL_NOTICE_END)
        printf("the session ended\n");
    else if (n->kind == LULL_NOTICE_DEVICE_LOST)
        printf("the output device went away\n");
    fflush(stdout);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: play_script SESSION.lull [SECONDS]\n");
        return 2;
    }
    lull_script *s = NULL;
    if (lull_script_load_file(argv[1], NULL, &s) != LULL_OK) {
        fprintf(stderr, "cannot load %s: %s\n", argv[1], lull_last_error());
        return 2;
    }
    script = s;

    lull_player_config cfg = lull_player_config_init();
    cfg.on_notice = on_notice;
    if (argc > 2) {
        cfg.stop_after_sec = atof(argv[2]); /* the player's sleep timer */
        cfg.stop_fade_sec = 0.5;
    }
    lull_player *p = NULL;
    if (lull_player_open(s, &cfg, &p) != LULL_OK) {
        fprintf(stderr, "%s\n", lull_last_error()); /* says what to do */
        lull_script_free(&s);
        return 1;
    }
    printf("playing '%s' on %s\n", lull_script_title(s), lull_player_device_name(p));
    lull_player_start(p);
    lull_player_wait(p, -1.0); /* until the end, the timer, or a lost device */

    lull_player_stats st;
    lull_player_get_stats(p, &st);
    printf("played %.2f s, %lld late callbacks\n", (double)st.frames_out / st.rate_hz,
           (long long)st.xruns);
    lull_player_close(&p);
    lull_script_free(&s);
    return st.device_lost ? 1 : 0;
}
