/* A minimal CLAP host for lemm's tests: loads the plugin, checks entry, factory and
 * descriptor, activates it at 48 kHz / 256 frames, and runs process calls with a playing
 * transport and notes while the lemm bridge sends a stem. It prints one line of results
 * ("key=value ...") and exits non-zero on any failed check. Built with the sanitizers
 * and against lemm's own ABI declarations (plugins/clap/include/lemm_clap_abi.h).
 *
 * usage: host PLUGIN.clap EXPECTED.f32 CHANNELS BLOCKS [MIN_STEMS DUMP]
 *
 * The output of every block played while the first stem is loaded is compared here with
 * EXPECTED. With MIN_STEMS 2 the host prints "ready" once the first stem plays, keeps
 * playing until a second stem (pushed after a regeneration) has replaced it, and writes
 * each block played with the new stem to DUMP (int64 song frame, then 256 left and 256
 * right floats) for the test to compare with the new file. */
#define _POSIX_C_SOURCE 200809L
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lemm_clap_abi.h"

#define RATE 48000
#define FRAMES 256
#define MAX_EVENTS 8

static int failures = 0;
#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "host: check failed line %d: %s\n", __LINE__, #cond); \
            ++failures;                                                    \
        }                                                                  \
    } while (0)

static const void *host_get_extension(const clap_host_t *host, const char *id) {
    (void)host;
    (void)id;
    return NULL;
}
static void host_request(const clap_host_t *host) { (void)host; }

typedef struct event_list {
    const clap_event_header_t *events[MAX_EVENTS];
    uint32_t count;
} event_list;

static uint32_t list_size(const clap_input_events_t *list) { return ((const event_list *)list->ctx)->count; }
static const clap_event_header_t *list_get(const clap_input_events_t *list, uint32_t index) {
    const event_list *l = (const event_list *)list->ctx;
    return index < l->count ? l->events[index] : NULL;
}
static bool out_push(const clap_output_events_t *list, const clap_event_header_t *event) {
    (void)list;
    (void)event;
    return true;
}

static void sleep_us(long us) {
    struct timespec ts = {us / 1000000, (us % 1000000) * 1000};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv) {
    if (argc != 5 && argc != 7) {
        fprintf(stderr, "usage: host PLUGIN.clap EXPECTED.f32 CHANNELS BLOCKS [MIN_STEMS DUMP]\n");
        return 2;
    }
    const uint64_t min_stems = argc == 7 ? (uint64_t)atol(argv[5]) : 1;
    FILE *dump = argc == 7 ? fopen(argv[6], "wb") : NULL;
    if (argc == 7 && !dump) return 2;
    const char *path = argv[1];
    const int channels = atoi(argv[3]);
    const long blocks_wanted = atol(argv[4]);

    /* the stem the bridge will send, to compare the plugin's output with */
    FILE *f = fopen(argv[2], "rb");
    if (!f) return 2;
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fseek(f, 0, SEEK_SET);
    float *expected = (float *)malloc((size_t)bytes);
    if (!expected || fread(expected, 1, (size_t)bytes, f) != (size_t)bytes) return 2;
    fclose(f);
    const long stem_frames = bytes / (long)sizeof(float) / channels;

    /* entry */
    void *lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "host: dlopen: %s\n", dlerror());
        return 3;
    }
    const clap_plugin_entry_t *entry = (const clap_plugin_entry_t *)dlsym(lib, "clap_entry");
    CHECK(entry != NULL);
    if (!entry) return 3;
    CHECK(entry->clap_version.major == 1);
    CHECK(entry->init(path));

    /* factory */
    const clap_plugin_factory_t *factory = (const clap_plugin_factory_t *)entry->get_factory(LEMM_CLAP_PLUGIN_FACTORY_ID);
    CHECK(factory != NULL);
    CHECK(entry->get_factory("not.a.factory") == NULL);
    if (!factory) return 3;
    CHECK(factory->get_plugin_count(factory) == 1);
    CHECK(factory->get_plugin_descriptor(factory, 1) == NULL);

    /* descriptor */
    const clap_plugin_descriptor_t *desc = factory->get_plugin_descriptor(factory, 0);
    CHECK(desc != NULL);
    if (!desc) return 3;
    CHECK(desc->clap_version.major == 1);
    CHECK(desc->id && !strcmp(desc->id, "org.lemm.bridge"));
    CHECK(desc->name && desc->name[0] && desc->version && desc->version[0] && desc->vendor);
    int instrument = 0;
    for (const char *const *feature = desc->features; feature && *feature; ++feature) instrument |= !strcmp(*feature, "instrument");
    CHECK(instrument);

    clap_host_t host = {{1, 2, 0}, NULL, "lemm-test-host", "lemm", "", "0", host_get_extension, host_request, host_request, host_request};
    CHECK(factory->create_plugin(factory, &host, "org.example.other") == NULL);
    const clap_plugin_t *plugin = factory->create_plugin(factory, &host, desc->id);
    CHECK(plugin != NULL);
    if (!plugin) return 3;
    CHECK(plugin->desc == desc);
    CHECK(plugin->init(plugin));

    const clap_plugin_audio_ports_t *ports = (const clap_plugin_audio_ports_t *)plugin->get_extension(plugin, LEMM_CLAP_EXT_AUDIO_PORTS);
    const clap_plugin_note_ports_t *notes = (const clap_plugin_note_ports_t *)plugin->get_extension(plugin, LEMM_CLAP_EXT_NOTE_PORTS);
    const clap_plugin_params_t *params = (const clap_plugin_params_t *)plugin->get_extension(plugin, LEMM_CLAP_EXT_PARAMS);
    const lemm_plugin_state_t *state = (const lemm_plugin_state_t *)plugin->get_extension(plugin, LEMM_EXT_STATE);
    CHECK(ports && notes && params && state);
    CHECK(plugin->get_extension(plugin, "clap.gui") == NULL);
    if (!ports || !notes || !params || !state) return 3;
    clap_audio_port_info_t port;
    CHECK(ports->count(plugin, false) == 1 && ports->count(plugin, true) == 0);
    CHECK(ports->get(plugin, 0, false, &port) && port.channel_count == 2 && !strcmp(port.port_type, LEMM_CLAP_PORT_STEREO));
    clap_note_port_info_t note_port;
    CHECK(notes->count(plugin, true) == 1 && notes->get(plugin, 0, true, &note_port));
    CHECK(note_port.supported_dialects & LEMM_CLAP_NOTE_DIALECT_CLAP);
    clap_param_info_t param;
    double value = -1;
    char text[64];
    CHECK(params->count(plugin) >= 1 && params->get_info(plugin, 0, &param) && (param.flags & LEMM_CLAP_PARAM_IS_READONLY));
    CHECK(params->get_value(plugin, 0, &value) && value == LEMM_CONNECTION_IDLE);
    CHECK(params->value_to_text(plugin, 0, value, text, sizeof text) && !strcmp(text, "idle"));

    /* activate at 48 kHz / 256 frames and play */
    CHECK(plugin->activate(plugin, RATE, FRAMES, FRAMES));
    CHECK(plugin->start_processing(plugin));
    static float left[FRAMES], right[FRAMES];
    float *outs[2] = {left, right};
    clap_audio_buffer_t out = {outs, NULL, 2, 0, 0};
    clap_event_transport_t transport;
    clap_event_note_t note_on, note_off;
    event_list list;
    clap_input_events_t in_events = {&list, list_size, list_get};
    clap_output_events_t out_events = {NULL, out_push};
    clap_process_t process = {0, FRAMES, &transport, NULL, &out, 0, 1, &in_events, &out_events};

    if (blocks_wanted == 0) { /* state mode: play silence until the connection settles, print it as the host shows it */
        for (int i = 0; i < 5000; ++i) {
            list.count = 0;
            memset(&transport, 0, sizeof transport);
            CHECK(plugin->process(plugin, &process) == LEMM_CLAP_PROCESS_CONTINUE);
            int32_t now = state->connection(plugin);
            if (now == LEMM_CONNECTION_REFUSED || now == LEMM_CONNECTION_NO_BRIDGE || now == LEMM_CONNECTION_CONNECTED) break;
            sleep_us(1000);
        }
        CHECK(params->get_value(plugin, 0, &value) && params->value_to_text(plugin, 0, value, text, sizeof text));
        CHECK(left[0] == 0.0f && right[FRAMES - 1] == 0.0f); /* silence without a stem */
        plugin->stop_processing(plugin);
        plugin->deactivate(plugin);
        plugin->destroy(plugin);
        entry->deinit();
        dlclose(lib);
        free(expected);
        printf("connection=%s failures=%d\n", text, failures);
        return failures ? 1 : 0;
    }

    const long loop_frames = stem_frames + 4 * FRAMES; /* play past the end, then loop to 0 */
    long blocks = 0, compared = 0, waited = 0, mismatches = 0, notes_in = 0, connected_seen = 0, dumped = 0;
    double max_diff = 0.0;
    int announced = 0;
    while ((compared < blocks_wanted || state->stems_loaded(plugin) < min_stems || (min_stems > 1 && dumped < 2000)) && waited < 60000 &&
           blocks < 400000) {
        const long position = (blocks * FRAMES) % loop_frames;
        const int has_stem = state->stems_loaded(plugin) == 1; /* notes are sent while the first stem plays */
        memset(&transport, 0, sizeof transport);
        transport.header = (clap_event_header_t){sizeof transport, 0, 0, LEMM_CLAP_EVENT_TRANSPORT, 0};
        transport.flags = LEMM_CLAP_TRANSPORT_HAS_TEMPO | LEMM_CLAP_TRANSPORT_HAS_BEATS_TIMELINE | LEMM_CLAP_TRANSPORT_HAS_SECONDS_TIMELINE |
                          LEMM_CLAP_TRANSPORT_HAS_TIME_SIGNATURE | LEMM_CLAP_TRANSPORT_IS_PLAYING;
        transport.tempo = 123.0;
        transport.song_pos_seconds = llround((double)position / RATE * LEMM_CLAP_TIME_FACTOR);
        transport.song_pos_beats = llround((double)position / RATE * 123.0 / 60.0 * LEMM_CLAP_TIME_FACTOR);
        transport.tsig_num = 3;
        transport.tsig_denom = 4;
        list.count = 0;
        if (has_stem && compared % 50 == 7 && notes_in < 100) { /* a short note on this track */
            note_on = (clap_event_note_t){{sizeof note_on, 10, 0, LEMM_CLAP_EVENT_NOTE_ON, 0}, -1, 0, 0, (int16_t)(60 + notes_in % 12), 0.8};
            note_off = (clap_event_note_t){{sizeof note_off, 110, 0, LEMM_CLAP_EVENT_NOTE_OFF, 0}, -1, 0, 0, (int16_t)(60 + notes_in % 12), 0.0};
            list.events[list.count++] = &note_on.header;
            list.events[list.count++] = &note_off.header;
            printf("note=%ld,%d\n", position + 10, 60 + (int)(notes_in % 12));
            ++notes_in;
        }
        for (int i = 0; i < FRAMES; ++i) left[i] = right[i] = NAN;
        process.steady_time = blocks * FRAMES;
        CHECK(plugin->process(plugin, &process) == LEMM_CLAP_PROCESS_CONTINUE);
        connected_seen |= state->connection(plugin) == LEMM_CONNECTION_CONNECTED;
        /* the plugin takes a new stem at the start of a block: this block played the stem counted now */
        const uint64_t stems_now = state->stems_loaded(plugin);
        if (stems_now == 1 && !announced) {
            printf("ready\n");
            fflush(stdout);
            announced = 1;
        }
        if (stems_now == 1) { /* this block played the first stem: the output must be the stem at this song position */
            for (int c = 0; c < 2; ++c) {
                for (int i = 0; i < FRAMES; ++i) {
                    long frame = position + i;
                    float want = frame < stem_frames ? expected[frame * channels + (c < channels ? c : channels - 1)] : 0.0f;
                    float got = outs[c][i];
                    double diff = isnan(got) ? INFINITY : fabs((double)got - want);
                    if (diff > 0.0) ++mismatches;
                    if (diff > max_diff) max_diff = diff;
                }
            }
            ++compared;
            if (compared % 16 == 0) sleep_us(200); /* let the worker forward transport and notes */
        } else if (stems_now >= 2 && dump) { /* the new stem: checked by the test against the new file */
            int64_t frame = position;
            fwrite(&frame, sizeof frame, 1, dump);
            fwrite(left, sizeof(float), FRAMES, dump);
            fwrite(right, sizeof(float), FRAMES, dump);
            ++dumped;
        } else {
            ++waited;
            sleep_us(1000);
        }
        if (stems_now == 1 && compared >= blocks_wanted && min_stems > 1) sleep_us(1000); /* wait for the regeneration in real time */
        ++blocks;
    }
    CHECK(compared >= blocks_wanted);
    if (dump) fclose(dump);
    sleep_us(300000); /* the worker sends the last notes */
    long notes_sent = (long)state->notes_sent(plugin);
    int64_t allocs = state->audit(plugin, LEMM_AUDIT_ALLOC), locks = state->audit(plugin, LEMM_AUDIT_LOCK),
            syscalls = state->audit(plugin, LEMM_AUDIT_SYSCALL);
    CHECK(params->get_value(plugin, 0, &value) && value == LEMM_CONNECTION_CONNECTED);
    const uint64_t stems_final = state->stems_loaded(plugin);
    plugin->stop_processing(plugin);
    plugin->deactivate(plugin);
    CHECK(state->connection(plugin) == LEMM_CONNECTION_IDLE);
    plugin->destroy(plugin);
    entry->deinit();
    dlclose(lib);
    free(expected);
    printf("blocks=%ld compared=%ld waited=%ld mismatches=%ld max_diff=%g allocs=%lld locks=%lld syscalls=%lld notes_in=%ld notes_sent=%ld "
           "connected=%ld dumped=%ld stems=%llu failures=%d\n",
           blocks, compared, waited, mismatches, max_diff, (long long)allocs, (long long)locks, (long long)syscalls, 2 * notes_in, notes_sent,
           connected_seen, dumped, (unsigned long long)stems_final, failures);
    return failures ? 1 : 0;
}
