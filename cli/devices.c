/* devices.c - `lull devices`: the audio outputs PortAudio can see. */
#include "cli.h"

#include <string.h>

static void help(FILE *f)
{
    fprintf(f,
            "usage: lull devices [--help]\n"
            "\n"
            "List the audio outputs lull can play to: number, name, audio system,\n"
            "channels, default rate and low latency.  '*' marks the default.  Give the\n"
            "number or part of the name to 'lull play --device'.\n"
            "Exit status: 0 when there is at least one output, 1 when there is none.\n");
}

static void print_device(void *user, const lull_device_info *d)
{
    (void)user;
    printf("%c %3d  %-36s %-28s %2d ch  %6.0f Hz  %5.1f ms\n", d->is_default ? '*' : ' ', d->index,
           d->name, d->host_api, d->max_output_channels, d->default_rate_hz,
           d->low_latency_sec * 1000.0);
}

int cmd_devices(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
            help(stdout);
            return EXIT_OK;
        }
        cli_error("devices: unexpected '%s' (try 'lull devices --help')", argv[i]);
        return EXIT_USAGE;
    }
    int n = lull_list_devices(print_device, NULL);
    if (n < 0) {
        cli_error("%s", lull_last_error());
        return EXIT_RUNTIME;
    }
    if (n == 0) {
        cli_error("no audio output device found: start a sound server (or JACK) or connect a "
                  "device; 'lull render' writes a session to a file instead");
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
