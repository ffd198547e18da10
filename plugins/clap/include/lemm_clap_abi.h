/* The part of the CLAP 1.x ABI that the lemm plugin uses, declared from the published
 * specification (https://github.com/free-audio/clap, MIT). These are lemm's own
 * declarations, not the upstream headers; _Static_assert checks pin every size and
 * field offset the plugin relies on to the x86_64 System V layout, so a mistake here
 * fails the build instead of corrupting memory in a host. */
#ifndef LEMM_CLAP_ABI_H
#define LEMM_CLAP_ABI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LEMM_CLAP_VERSION_MAJOR 1u
#define LEMM_CLAP_VERSION_MINOR 2u
#define LEMM_CLAP_VERSION_REVISION 0u

#define LEMM_CLAP_NAME_SIZE 256
#define LEMM_CLAP_PATH_SIZE 1024

typedef uint32_t clap_id;
#define LEMM_CLAP_INVALID_ID UINT32_MAX

/* Fixed-point song positions: value = round(x * 2^31). */
typedef int64_t clap_beattime;
typedef int64_t clap_sectime;
#define LEMM_CLAP_TIME_FACTOR ((int64_t)1 << 31)

typedef struct clap_version {
    uint32_t major;
    uint32_t minor;
    uint32_t revision;
} clap_version_t;

/* ---- host ----------------------------------------------------------------------- */
typedef struct clap_host {
    clap_version_t clap_version;
    void *host_data;
    const char *name;
    const char *vendor;
    const char *url;
    const char *version;
    const void *(*get_extension)(const struct clap_host *host, const char *extension_id);
    void (*request_restart)(const struct clap_host *host);
    void (*request_process)(const struct clap_host *host);
    void (*request_callback)(const struct clap_host *host);
} clap_host_t;

/* ---- events --------------------------------------------------------------------- */
typedef struct clap_event_header {
    uint32_t size;     /* bytes of the whole event */
    uint32_t time;     /* frame offset in the block */
    uint16_t space_id; /* 0: the core space */
    uint16_t type;
    uint32_t flags;
} clap_event_header_t;

enum {
    LEMM_CLAP_EVENT_NOTE_ON = 0,
    LEMM_CLAP_EVENT_NOTE_OFF = 1,
    LEMM_CLAP_EVENT_NOTE_CHOKE = 2,
    LEMM_CLAP_EVENT_NOTE_END = 3,
    LEMM_CLAP_EVENT_TRANSPORT = 9,
    LEMM_CLAP_EVENT_MIDI = 10,
};
#define LEMM_CLAP_CORE_EVENT_SPACE_ID 0

typedef struct clap_event_note {
    clap_event_header_t header;
    int32_t note_id;
    int16_t port_index;
    int16_t channel;
    int16_t key;
    double velocity; /* 0..1 */
} clap_event_note_t;

enum {
    LEMM_CLAP_TRANSPORT_HAS_TEMPO = 1 << 0,
    LEMM_CLAP_TRANSPORT_HAS_BEATS_TIMELINE = 1 << 1,
    LEMM_CLAP_TRANSPORT_HAS_SECONDS_TIMELINE = 1 << 2,
    LEMM_CLAP_TRANSPORT_HAS_TIME_SIGNATURE = 1 << 3,
    LEMM_CLAP_TRANSPORT_IS_PLAYING = 1 << 4,
};

typedef struct clap_event_transport {
    clap_event_header_t header;
    uint32_t flags;
    clap_beattime song_pos_beats;
    clap_sectime song_pos_seconds;
    double tempo;
    double tempo_inc;
    clap_beattime loop_start_beats;
    clap_beattime loop_end_beats;
    clap_sectime loop_start_seconds;
    clap_sectime loop_end_seconds;
    clap_beattime bar_start;
    int32_t bar_number;
    uint16_t tsig_num;
    uint16_t tsig_denom;
} clap_event_transport_t;

typedef struct clap_event_midi {
    clap_event_header_t header;
    uint16_t port_index;
    uint8_t data[3];
} clap_event_midi_t;

typedef struct clap_input_events {
    void *ctx;
    uint32_t (*size)(const struct clap_input_events *list);
    const clap_event_header_t *(*get)(const struct clap_input_events *list, uint32_t index);
} clap_input_events_t;

typedef struct clap_output_events {
    void *ctx;
    bool (*try_push)(const struct clap_output_events *list, const clap_event_header_t *event);
} clap_output_events_t;

/* ---- audio buffers and process --------------------------------------------------- */
typedef struct clap_audio_buffer {
    float **data32;
    double **data64;
    uint32_t channel_count;
    uint32_t latency;
    uint64_t constant_mask;
} clap_audio_buffer_t;

typedef struct clap_process {
    int64_t steady_time;
    uint32_t frames_count;
    const clap_event_transport_t *transport;
    const clap_audio_buffer_t *audio_inputs;
    clap_audio_buffer_t *audio_outputs;
    uint32_t audio_inputs_count;
    uint32_t audio_outputs_count;
    const clap_input_events_t *in_events;
    const clap_output_events_t *out_events;
} clap_process_t;

enum {
    LEMM_CLAP_PROCESS_ERROR = 0,
    LEMM_CLAP_PROCESS_CONTINUE = 1,
    LEMM_CLAP_PROCESS_CONTINUE_IF_NOT_QUIET = 2,
    LEMM_CLAP_PROCESS_TAIL = 3,
    LEMM_CLAP_PROCESS_SLEEP = 4,
};
typedef int32_t clap_process_status;

/* ---- plugin ------------------------------------------------------------------------ */
typedef struct clap_plugin_descriptor {
    clap_version_t clap_version;
    const char *id;
    const char *name;
    const char *vendor;
    const char *url;
    const char *manual_url;
    const char *support_url;
    const char *version;
    const char *description;
    const char *const *features; /* NULL-terminated */
} clap_plugin_descriptor_t;

typedef struct clap_plugin {
    const clap_plugin_descriptor_t *desc;
    void *plugin_data;
    bool (*init)(const struct clap_plugin *plugin);
    void (*destroy)(const struct clap_plugin *plugin);
    bool (*activate)(const struct clap_plugin *plugin, double sample_rate, uint32_t min_frames_count, uint32_t max_frames_count);
    void (*deactivate)(const struct clap_plugin *plugin);
    bool (*start_processing)(const struct clap_plugin *plugin);
    void (*stop_processing)(const struct clap_plugin *plugin);
    void (*reset)(const struct clap_plugin *plugin);
    clap_process_status (*process)(const struct clap_plugin *plugin, const clap_process_t *process);
    const void *(*get_extension)(const struct clap_plugin *plugin, const char *id);
    void (*on_main_thread)(const struct clap_plugin *plugin);
} clap_plugin_t;

/* ---- factory and entry --------------------------------------------------------------- */
#define LEMM_CLAP_PLUGIN_FACTORY_ID "clap.plugin-factory"

typedef struct clap_plugin_factory {
    uint32_t (*get_plugin_count)(const struct clap_plugin_factory *factory);
    const clap_plugin_descriptor_t *(*get_plugin_descriptor)(const struct clap_plugin_factory *factory, uint32_t index);
    const clap_plugin_t *(*create_plugin)(const struct clap_plugin_factory *factory, const clap_host_t *host, const char *plugin_id);
} clap_plugin_factory_t;

typedef struct clap_plugin_entry {
    clap_version_t clap_version;
    bool (*init)(const char *plugin_path);
    void (*deinit)(void);
    const void *(*get_factory)(const char *factory_id);
} clap_plugin_entry_t;

/* ---- extensions: audio ports, note ports, params ------------------------------------ */
#define LEMM_CLAP_EXT_AUDIO_PORTS "clap.audio-ports"
#define LEMM_CLAP_PORT_STEREO "stereo"
#define LEMM_CLAP_AUDIO_PORT_IS_MAIN 1u

typedef struct clap_audio_port_info {
    clap_id id;
    char name[LEMM_CLAP_NAME_SIZE];
    uint32_t flags;
    uint32_t channel_count;
    const char *port_type;
    clap_id in_place_pair;
} clap_audio_port_info_t;

typedef struct clap_plugin_audio_ports {
    uint32_t (*count)(const clap_plugin_t *plugin, bool is_input);
    bool (*get)(const clap_plugin_t *plugin, uint32_t index, bool is_input, clap_audio_port_info_t *info);
} clap_plugin_audio_ports_t;

#define LEMM_CLAP_EXT_NOTE_PORTS "clap.note-ports"
enum { LEMM_CLAP_NOTE_DIALECT_CLAP = 1 << 0, LEMM_CLAP_NOTE_DIALECT_MIDI = 1 << 1 };

typedef struct clap_note_port_info {
    clap_id id;
    uint32_t supported_dialects;
    uint32_t preferred_dialect;
    char name[LEMM_CLAP_NAME_SIZE];
} clap_note_port_info_t;

typedef struct clap_plugin_note_ports {
    uint32_t (*count)(const clap_plugin_t *plugin, bool is_input);
    bool (*get)(const clap_plugin_t *plugin, uint32_t index, bool is_input, clap_note_port_info_t *info);
} clap_plugin_note_ports_t;

#define LEMM_CLAP_EXT_PARAMS "clap.params"
enum { LEMM_CLAP_PARAM_IS_STEPPED = 1 << 0, LEMM_CLAP_PARAM_IS_READONLY = 1 << 3 };

typedef struct clap_param_info {
    clap_id id;
    uint32_t flags;
    void *cookie;
    char name[LEMM_CLAP_NAME_SIZE];
    char module[LEMM_CLAP_PATH_SIZE];
    double min_value;
    double max_value;
    double default_value;
} clap_param_info_t;

typedef struct clap_plugin_params {
    uint32_t (*count)(const clap_plugin_t *plugin);
    bool (*get_info)(const clap_plugin_t *plugin, uint32_t param_index, clap_param_info_t *param_info);
    bool (*get_value)(const clap_plugin_t *plugin, clap_id param_id, double *out_value);
    bool (*value_to_text)(const clap_plugin_t *plugin, clap_id param_id, double value, char *out_buffer, uint32_t out_buffer_capacity);
    bool (*text_to_value)(const clap_plugin_t *plugin, clap_id param_id, const char *param_value_text, double *out_value);
    void (*flush)(const clap_plugin_t *plugin, const clap_input_events_t *in, const clap_output_events_t *out);
} clap_plugin_params_t;

/* ---- layout checks (x86_64 System V) -------------------------------------------------- */
#if defined(__x86_64__)
#define LEMM_CHECK_SIZE(T, n) _Static_assert(sizeof(T) == (n), "CLAP ABI: size of " #T)
#define LEMM_CHECK_AT(T, f, n) _Static_assert(offsetof(T, f) == (n), "CLAP ABI: offset of " #T "." #f)
LEMM_CHECK_SIZE(clap_version_t, 12);
LEMM_CHECK_SIZE(clap_host_t, 88);
LEMM_CHECK_AT(clap_host_t, host_data, 16);
LEMM_CHECK_AT(clap_host_t, get_extension, 56);
LEMM_CHECK_AT(clap_host_t, request_callback, 80);
LEMM_CHECK_SIZE(clap_event_header_t, 16);
LEMM_CHECK_AT(clap_event_header_t, space_id, 8);
LEMM_CHECK_AT(clap_event_header_t, type, 10);
LEMM_CHECK_SIZE(clap_event_note_t, 40);
LEMM_CHECK_AT(clap_event_note_t, note_id, 16);
LEMM_CHECK_AT(clap_event_note_t, port_index, 20);
LEMM_CHECK_AT(clap_event_note_t, channel, 22);
LEMM_CHECK_AT(clap_event_note_t, key, 24);
LEMM_CHECK_AT(clap_event_note_t, velocity, 32);
LEMM_CHECK_SIZE(clap_event_transport_t, 104);
LEMM_CHECK_AT(clap_event_transport_t, flags, 16);
LEMM_CHECK_AT(clap_event_transport_t, song_pos_beats, 24);
LEMM_CHECK_AT(clap_event_transport_t, song_pos_seconds, 32);
LEMM_CHECK_AT(clap_event_transport_t, tempo, 40);
LEMM_CHECK_AT(clap_event_transport_t, bar_start, 88);
LEMM_CHECK_AT(clap_event_transport_t, bar_number, 96);
LEMM_CHECK_AT(clap_event_transport_t, tsig_num, 100);
LEMM_CHECK_AT(clap_event_transport_t, tsig_denom, 102);
LEMM_CHECK_SIZE(clap_event_midi_t, 24);
LEMM_CHECK_AT(clap_event_midi_t, data, 18);
LEMM_CHECK_SIZE(clap_input_events_t, 24);
LEMM_CHECK_SIZE(clap_output_events_t, 16);
LEMM_CHECK_SIZE(clap_audio_buffer_t, 32);
LEMM_CHECK_AT(clap_audio_buffer_t, channel_count, 16);
LEMM_CHECK_AT(clap_audio_buffer_t, constant_mask, 24);
LEMM_CHECK_SIZE(clap_process_t, 64);
LEMM_CHECK_AT(clap_process_t, frames_count, 8);
LEMM_CHECK_AT(clap_process_t, transport, 16);
LEMM_CHECK_AT(clap_process_t, audio_outputs, 32);
LEMM_CHECK_AT(clap_process_t, audio_inputs_count, 40);
LEMM_CHECK_AT(clap_process_t, in_events, 48);
LEMM_CHECK_AT(clap_process_t, out_events, 56);
LEMM_CHECK_SIZE(clap_plugin_descriptor_t, 88);
LEMM_CHECK_AT(clap_plugin_descriptor_t, id, 16);
LEMM_CHECK_AT(clap_plugin_descriptor_t, features, 80);
LEMM_CHECK_SIZE(clap_plugin_t, 96);
LEMM_CHECK_AT(clap_plugin_t, activate, 32);
LEMM_CHECK_AT(clap_plugin_t, reset, 64);
LEMM_CHECK_AT(clap_plugin_t, process, 72);
LEMM_CHECK_AT(clap_plugin_t, on_main_thread, 88);
LEMM_CHECK_SIZE(clap_plugin_factory_t, 24);
LEMM_CHECK_SIZE(clap_plugin_entry_t, 40);
LEMM_CHECK_AT(clap_plugin_entry_t, init, 16);
LEMM_CHECK_AT(clap_plugin_entry_t, get_factory, 32);
LEMM_CHECK_SIZE(clap_audio_port_info_t, 288);
LEMM_CHECK_AT(clap_audio_port_info_t, flags, 260);
LEMM_CHECK_AT(clap_audio_port_info_t, port_type, 272);
LEMM_CHECK_AT(clap_audio_port_info_t, in_place_pair, 280);
LEMM_CHECK_SIZE(clap_plugin_audio_ports_t, 16);
LEMM_CHECK_SIZE(clap_note_port_info_t, 268);
LEMM_CHECK_AT(clap_note_port_info_t, name, 12);
LEMM_CHECK_SIZE(clap_param_info_t, 1320);
LEMM_CHECK_AT(clap_param_info_t, cookie, 8);
LEMM_CHECK_AT(clap_param_info_t, name, 16);
LEMM_CHECK_AT(clap_param_info_t, module, 272);
LEMM_CHECK_AT(clap_param_info_t, min_value, 1296);
LEMM_CHECK_SIZE(clap_plugin_params_t, 48);
#undef LEMM_CHECK_SIZE
#undef LEMM_CHECK_AT
#endif

/* ---- lemm's own extension: connection state and audio-thread audit ------------------ */
#define LEMM_EXT_STATE "org.lemm.bridge-state"

enum lemm_connection {
    LEMM_CONNECTION_IDLE = 0,       /* not activated */
    LEMM_CONNECTION_CONNECTING = 1, /* looking for the bridge */
    LEMM_CONNECTION_CONNECTED = 2,  /* hello accepted */
    LEMM_CONNECTION_REFUSED = 3,    /* the bridge refused the token or version */
    LEMM_CONNECTION_NO_BRIDGE = 4,  /* no token file / nothing listening (retrying) */
};

enum lemm_audit_counter {
    LEMM_AUDIT_ALLOC = 0,  /* malloc/calloc/realloc/free on the audio thread */
    LEMM_AUDIT_LOCK = 1,   /* pthread mutex lock / cond wait on the audio thread */
    LEMM_AUDIT_SYSCALL = 2, /* socket I/O, poll, sleeps on the audio thread */
    LEMM_AUDIT_COUNTERS = 3
};

typedef struct lemm_plugin_state {
    int32_t (*connection)(const clap_plugin_t *plugin);                 /* enum lemm_connection */
    uint64_t (*stems_loaded)(const clap_plugin_t *plugin);              /* stems the audio thread has taken */
    uint64_t (*notes_sent)(const clap_plugin_t *plugin);                /* note events the worker sent */
    int64_t (*audit)(const clap_plugin_t *plugin, int32_t counter);     /* -1 unless built with LEMM_CLAP_AUDIT */
} lemm_plugin_state_t;

#endif
