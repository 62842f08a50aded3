/* main.c - the `lull` command: dispatch to subcommands. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: lull [--help] [--version] COMMAND [ARGS]\n"
            "\n"
            "lull plays and renders guided relaxation sessions: binaural tones,\n"
            "coloured noise and narration, driven by a session script (.lull, or an\n"
            "SBaGen schedule, .sbg).\n"
            "\n"
            "commands:\n"
            "  render SESSION -o OUT   render to WAV, FLAC or Ogg (by OUT's extension)\n"
            "  check SESSION           validate a script; print its length, sections, voices\n"
            "  play SESSION            play on the audio output (keys: space, n, p, +, -, q)\n"
            "  convert FILE.sbg -o F   translate an SBaGen schedule into a lull script\n"
            "  devices                 list the audio outputs\n"
            "  info SESSION            describe a session (--json for programs)\n"
            "  plot SESSION -o SVG     draw the session's timeline as an SVG picture\n"
            "\n"
            "Run 'lull COMMAND --help' for a command's options.\n"
            "Exit status: 0 ok, 1 runtime failure, 2 usage or script error.\n"
            "The script language: scripts/README.md.  lull is not a medical treatment;\n"
            "do not listen to binaural audio while driving.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V")) {
        printf("lull %s (script language %d)\n", lull_version(), LULL_LANGUAGE_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(cmd, "render"))
        return cmd_render(argc - 1, argv + 1);
    if (!strcmp(cmd, "check"))
        return cmd_check(argc - 1, argv + 1);
    if (!strcmp(cmd, "play"))
        return cmd_play(argc - 1, argv + 1);
    if (!strcmp(cmd, "convert"))
        return cmd_convert(argc - 1, argv + 1);
    if (!strcmp(cmd, "devices"))
        return cmd_devices(argc - 1, argv + 1);
    if (!strcmp(cmd, "info"))
        return cmd_info(argc - 1, argv + 1);
    if (!strcmp(cmd, "plot"))
        return cmd_plot(argc - 1, argv + 1);
    if (cmd[0] == '-')
        cli_error("unknown option '%s' (try 'lull --help')", cmd);
    else
        cli_error("unknown command '%s' (try 'lull --help')", cmd);
    return EXIT_USAGE;
}
