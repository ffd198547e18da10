/* The lemm CLAP plugin: forwards the host's transport and the notes on its track to the
 * lemm bridge, and plays the stems lemm sends back in sync with the transport.
 *
 * Threads: the host's main thread (create, activate, deactivate, destroy), the audio
 * thread (process: no allocation, no lock, no system call; it talks to the worker only
 * through the SPSC rings of plugin.h, preallocated at activate) and one worker thread
 * per activation (worker.c: networking, allocation of received stems). */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "plugin.h"

#define LEMM_EXPORT __attribute__((visibility("default")))

enum { PARAM_CONNECTION = 0, PARAM_STEMS = 1, PARAM_COUNT = 2 };

static const char *const features[] = {"instrument", "note-effect", "stereo", "utility", NULL};

static const clap_plugin_descriptor_t descriptor = {
    .clap_version = {LEMM_CLAP_VERSION_MAJOR, LEMM_CLAP_VERSION_MINOR, LEMM_CLAP_VERSION_REVISION},
    .id = LEMM_PLUGIN_ID,
    .name = "lemm bridge",
    .vendor = "lemm",
    .url = "https://github.com/lemm",
    .manual_url = "",
    .support_url = "",
    .version = LEMM_PLUGIN_VERSION,
    .description = "Sends the DAW's transport and this track's notes to lemm; plays the stems lemm sends back.",
    .features = features,
};

static lemm_plugin *self_of(const clap_plugin_t *plugin) { return (lemm_plugin *)plugin->plugin_data; }

/* ---- audio ports: one stereo output ------------------------------------------------ */
static uint32_t audio_ports_count(const clap_plugin_t *plugin, bool is_input) {
    (void)plugin;
    return is_input ? 0 : 1;
}

static bool audio_ports_get(const clap_plugin_t *plugin, uint32_t index, bool is_input, clap_audio_port_info_t *info) {
    (void)plugin;
    if (is_input || index != 0) return false;
    memset(info, 0, sizeof *info);
    info->id = 0;
    snprintf(info->name, sizeof info->name, "%s", "lemm stem");
    info->flags = LEMM_CLAP_AUDIO_PORT_IS_MAIN;
    info->channel_count = 2;
    info->port_type = LEMM_CLAP_PORT_STEREO;
    info->in_place_pair = LEMM_CLAP_INVALID_ID;
    return true;
}

static const clap_plugin_audio_ports_t audio_ports = {audio_ports_count, audio_ports_get};

/* ---- note ports: one input, CLAP notes or MIDI -------------------------------------- */
static uint32_t note_ports_count(const clap_plugin_t *plugin, bool is_input) {
    (void)plugin;
    return is_input ? 1 : 0;
}

static bool note_ports_get(const clap_plugin_t *plugin, uint32_t index, bool is_input, clap_note_port_info_t *info) {
    (void)plugin;
    if (!is_input || index != 0) return false;
    memset(info, 0, sizeof *info);
    info->id = 0;
    info->supported_dialects = LEMM_CLAP_NOTE_DIALECT_CLAP | LEMM_CLAP_NOTE_DIALECT_MIDI;
    info->preferred_dialect = LEMM_CLAP_NOTE_DIALECT_CLAP;
    snprintf(info->name, sizeof info->name, "%s", "notes to lemm");
    return true;
}

static const clap_plugin_note_ports_t note_ports = {note_ports_count, note_ports_get};

/* ---- params: read-only connection state and stems received ------------------------- */
static uint32_t params_count(const clap_plugin_t *plugin) {
    (void)plugin;
    return PARAM_COUNT;
}

static bool params_get_info(const clap_plugin_t *plugin, uint32_t index, clap_param_info_t *info) {
    (void)plugin;
    if (index >= PARAM_COUNT) return false;
    memset(info, 0, sizeof *info);
    info->id = index;
    info->flags = LEMM_CLAP_PARAM_IS_STEPPED | LEMM_CLAP_PARAM_IS_READONLY;
    snprintf(info->module, sizeof info->module, "%s", "lemm");
    if (index == PARAM_CONNECTION) {
        snprintf(info->name, sizeof info->name, "%s", "Connection");
        info->max_value = LEMM_CONNECTION_NO_BRIDGE;
    } else {
        snprintf(info->name, sizeof info->name, "%s", "Stems received");
        info->max_value = 1e9;
    }
    return true;
}

static bool params_get_value(const clap_plugin_t *plugin, clap_id id, double *value) {
    lemm_plugin *self = self_of(plugin);
    if (id == PARAM_CONNECTION) *value = atomic_load(&self->connection);
    else if (id == PARAM_STEMS) *value = (double)atomic_load(&self->stems_loaded);
    else return false;
    return true;
}

static const char *const connection_names[] = {"idle", "connecting", "connected", "refused", "no bridge"};

static bool params_value_to_text(const clap_plugin_t *plugin, clap_id id, double value, char *out, uint32_t capacity) {
    (void)plugin;
    if (capacity == 0) return false;
    if (id == PARAM_CONNECTION && value >= 0 && value <= LEMM_CONNECTION_NO_BRIDGE) {
        snprintf(out, capacity, "%s", connection_names[(int)value]);
    } else if (id == PARAM_STEMS) {
        snprintf(out, capacity, "%.0f", value);
    } else {
        return false;
    }
    return true;
}

static bool params_text_to_value(const clap_plugin_t *plugin, clap_id id, const char *text, double *value) {
    (void)plugin;
    (void)id;
    (void)text;
    (void)value;
    return false; /* read-only */
}

static void params_flush(const clap_plugin_t *plugin, const clap_input_events_t *in, const clap_output_events_t *out) {
    (void)plugin;
    (void)in;
    (void)out;
}

static const clap_plugin_params_t params = {params_count, params_get_info, params_get_value, params_value_to_text, params_text_to_value,
                                            params_flush};

/* ---- lemm state extension -------------------------------------------------------------- */
static int32_t state_connection(const clap_plugin_t *plugin) { return atomic_load(&self_of(plugin)->connection); }
static uint64_t state_stems(const clap_plugin_t *plugin) { return atomic_load(&self_of(plugin)->stems_loaded); }
static uint64_t state_notes(const clap_plugin_t *plugin) { return atomic_load(&self_of(plugin)->notes_sent); }
static int64_t state_audit(const clap_plugin_t *plugin, int32_t counter) {
    (void)plugin;
    return lemm_audit_count(counter);
}

static const lemm_plugin_state_t state_ext = {state_connection, state_stems, state_notes, state_audit};

/* ---- lifecycle (main thread) ----------------------------------------------------------- */
static bool plugin_init(const clap_plugin_t *plugin) {
    (void)plugin;
    return true;
}

static void release_all(lemm_plugin *self) {
    lemm_stem *stem;
    while (lemm_ring_pop(&self->stem_ring, &stem)) lemm_stem_free(stem);
    while (lemm_ring_pop(&self->release_ring, &stem)) lemm_stem_free(stem);
    lemm_stem_free(self->current);
    lemm_stem_free(self->pending_release);
    self->current = self->pending_release = NULL;
}

static void plugin_deactivate(const clap_plugin_t *plugin) {
    lemm_plugin *self = self_of(plugin);
    if (!self->active) return;
    atomic_store(&self->stop, 1);
    if (self->worker_started) pthread_join(self->worker, NULL);
    self->worker_started = false;
    release_all(self);
    lemm_ring_destroy(&self->transport_ring);
    lemm_ring_destroy(&self->note_ring);
    lemm_ring_destroy(&self->stem_ring);
    lemm_ring_destroy(&self->release_ring);
    atomic_store(&self->connection, LEMM_CONNECTION_IDLE);
    self->active = false;
}

static bool plugin_activate(const clap_plugin_t *plugin, double sample_rate, uint32_t min_frames, uint32_t max_frames) {
    lemm_plugin *self = self_of(plugin);
    (void)min_frames;
    (void)max_frames;
    if (self->active || !(sample_rate > 0)) return false;
    self->sample_rate = sample_rate;
    bool ok = lemm_ring_init(&self->transport_ring, sizeof(lemm_transport_msg), 64) &&
              lemm_ring_init(&self->note_ring, sizeof(lemm_note_msg), 4096) &&
              lemm_ring_init(&self->stem_ring, sizeof(lemm_stem *), 4) &&
              lemm_ring_init(&self->release_ring, sizeof(lemm_stem *), 16);
    self->active = true; /* so deactivate frees what was made */
    self->current = self->pending_release = NULL;
    memset(&self->last_sent, 0, sizeof self->last_sent);
    self->frames_since_transport = 0;
    atomic_store(&self->stop, 0);
    atomic_store(&self->connection, LEMM_CONNECTION_CONNECTING);
#ifdef LEMM_CLAP_AUDIT
    self->audit_selftest = getenv("LEMM_CLAP_AUDIT_SELFTEST") != NULL;
#endif
    if (ok) ok = pthread_create(&self->worker, NULL, lemm_worker_main, self) == 0;
    self->worker_started = ok;
    if (!ok) plugin_deactivate(plugin);
    return ok;
}

static bool plugin_start_processing(const clap_plugin_t *plugin) {
    (void)plugin;
    return true;
}

static void plugin_stop_processing(const clap_plugin_t *plugin) { (void)plugin; }

static void plugin_reset(const clap_plugin_t *plugin) { (void)plugin; }

static void plugin_destroy(const clap_plugin_t *plugin) {
    lemm_plugin *self = self_of(plugin);
    plugin_deactivate(plugin);
    free(self);
}

static const void *plugin_get_extension(const clap_plugin_t *plugin, const char *id) {
    (void)plugin;
    if (!id) return NULL;
    if (!strcmp(id, LEMM_CLAP_EXT_AUDIO_PORTS)) return &audio_ports;
    if (!strcmp(id, LEMM_CLAP_EXT_NOTE_PORTS)) return &note_ports;
    if (!strcmp(id, LEMM_CLAP_EXT_PARAMS)) return &params;
    if (!strcmp(id, LEMM_EXT_STATE)) return &state_ext;
    return NULL;
}

static void plugin_on_main_thread(const clap_plugin_t *plugin) { (void)plugin; }

/* ---- audio thread ------------------------------------------------------------------------ */
static void take_new_stems(lemm_plugin *self) {
    if (self->pending_release && lemm_ring_push(&self->release_ring, &self->pending_release)) self->pending_release = NULL;
    lemm_stem *stem;
    while (!self->pending_release && lemm_ring_pop(&self->stem_ring, &stem)) {
        lemm_stem *old = self->current;
        self->current = stem;
        atomic_fetch_add(&self->stems_loaded, 1);
        if (old && !lemm_ring_push(&self->release_ring, &old)) self->pending_release = old; /* retried next block */
    }
}

static void forward_transport(lemm_plugin *self, const lemm_transport_msg *now, uint32_t frames) {
    const lemm_transport_msg *last = &self->last_sent;
    bool changed = now->playing != last->playing || now->tempo_bpm != last->tempo_bpm || now->numerator != last->numerator ||
                   now->denominator != last->denominator;
    /* jumps (locate, loop) and, while playing, a refresh four times a second */
    double expected = last->song_position_seconds + (double)self->frames_since_transport / self->sample_rate;
    bool jumped = fabs(now->song_position_seconds - expected) > 0.5 * frames / self->sample_rate + 1e-6;
    bool stale = now->playing && self->frames_since_transport >= (int64_t)(0.25 * self->sample_rate);
    self->frames_since_transport += frames;
    if ((changed || jumped || stale) && lemm_ring_push(&self->transport_ring, now)) {
        self->last_sent = *now;
        self->frames_since_transport = frames;
    }
}

static void forward_note(lemm_plugin *self, double seconds, int pitch, int velocity, int on, int channel) {
    lemm_note_msg note = {seconds, pitch, velocity, on, channel};
    if (pitch < 0 || pitch > 127 || channel < 0 || channel > 15) return;
    if (!lemm_ring_push(&self->note_ring, &note)) atomic_fetch_add(&self->notes_dropped, 1);
}

static clap_process_status plugin_process(const clap_plugin_t *plugin, const clap_process_t *process) {
    lemm_audit_enter();
    lemm_plugin *self = self_of(plugin);
    const uint32_t frames = process->frames_count;
    take_new_stems(self);
#ifdef LEMM_CLAP_AUDIT
    if (self->audit_selftest) { /* proves the audit counts: one allocation per block, on purpose */
        void *volatile probe = malloc(16);
        free(probe);
    }
#endif

    lemm_transport_msg now = {0.0, 0.0, 120.0, 0, 4, 4};
    const clap_event_transport_t *t = process->transport;
    if (t) {
        now.playing = (t->flags & LEMM_CLAP_TRANSPORT_IS_PLAYING) != 0;
        if (t->flags & LEMM_CLAP_TRANSPORT_HAS_SECONDS_TIMELINE) now.song_position_seconds = (double)t->song_pos_seconds / LEMM_CLAP_TIME_FACTOR;
        if (t->flags & LEMM_CLAP_TRANSPORT_HAS_BEATS_TIMELINE) now.song_position_beats = (double)t->song_pos_beats / LEMM_CLAP_TIME_FACTOR;
        if (t->flags & LEMM_CLAP_TRANSPORT_HAS_TEMPO && t->tempo > 0) now.tempo_bpm = t->tempo;
        if (t->flags & LEMM_CLAP_TRANSPORT_HAS_TIME_SIGNATURE && t->tsig_num > 0 && t->tsig_denom > 0) {
            now.numerator = t->tsig_num;
            now.denominator = t->tsig_denom;
        }
        forward_transport(self, &now, frames);
    }

    const clap_input_events_t *in = process->in_events;
    uint32_t n_events = in ? in->size(in) : 0;
    for (uint32_t i = 0; i < n_events; ++i) {
        const clap_event_header_t *h = in->get(in, i);
        if (!h || h->space_id != LEMM_CLAP_CORE_EVENT_SPACE_ID) continue;
        double seconds = now.song_position_seconds + (now.playing ? (double)h->time / self->sample_rate : 0.0);
        if ((h->type == LEMM_CLAP_EVENT_NOTE_ON || h->type == LEMM_CLAP_EVENT_NOTE_OFF) && h->size >= sizeof(clap_event_note_t)) {
            const clap_event_note_t *e = (const clap_event_note_t *)h;
            double v = e->velocity < 0 ? 0 : e->velocity > 1 ? 1 : e->velocity;
            int on = h->type == LEMM_CLAP_EVENT_NOTE_ON;
            forward_note(self, seconds, e->key, on ? (int)lround(v * 127.0) : 0, on, e->channel < 0 ? 0 : e->channel);
        } else if (h->type == LEMM_CLAP_EVENT_MIDI && h->size >= sizeof(clap_event_midi_t)) {
            const clap_event_midi_t *e = (const clap_event_midi_t *)h;
            int kind = e->data[0] & 0xF0, channel = e->data[0] & 0x0F;
            if (kind == 0x90 || kind == 0x80) {
                int on = kind == 0x90 && e->data[2] > 0;
                forward_note(self, seconds, e->data[1] & 0x7F, on ? e->data[2] & 0x7F : 0, on, channel);
            }
        }
    }

    for (uint32_t port = 0; port < process->audio_outputs_count; ++port) {
        clap_audio_buffer_t *out = &process->audio_outputs[port];
        const lemm_stem *stem = port == 0 && now.playing ? self->current : NULL;
        int64_t first = 0;
        if (stem) first = llround((now.song_position_seconds - stem->song_position_seconds) * stem->sample_rate);
        for (uint32_t c = 0; c < out->channel_count; ++c) {
            float *dst = out->data32 ? out->data32[c] : NULL;
            if (!dst) continue;
            if (!stem) {
                memset(dst, 0, frames * sizeof *dst);
                continue;
            }
            uint32_t source_channel = c < stem->channels ? c : stem->channels - 1;
            const double ratio = (double)stem->sample_rate / self->sample_rate; /* 1 when the rates match */
            for (uint32_t i = 0; i < frames; ++i) {
                int64_t index = first + (ratio == 1.0 ? (int64_t)i : (int64_t)floor(i * ratio));
                dst[i] = index >= 0 && (uint64_t)index < stem->frames ? stem->samples[(uint64_t)index * stem->channels + source_channel] : 0.0f;
            }
        }
        out->constant_mask = stem ? 0 : ~(uint64_t)0;
    }
    lemm_audit_leave();
    return LEMM_CLAP_PROCESS_CONTINUE;
}

/* ---- factory and entry ----------------------------------------------------------------------- */
static uint32_t factory_count(const clap_plugin_factory_t *factory) {
    (void)factory;
    return 1;
}

static const clap_plugin_descriptor_t *factory_descriptor(const clap_plugin_factory_t *factory, uint32_t index) {
    (void)factory;
    return index == 0 ? &descriptor : NULL;
}

static const clap_plugin_t *factory_create(const clap_plugin_factory_t *factory, const clap_host_t *host, const char *id) {
    (void)factory;
    if (!host || !id || strcmp(id, LEMM_PLUGIN_ID) != 0) return NULL;
    if (host->clap_version.major < 1) return NULL;
    lemm_plugin *self = (lemm_plugin *)calloc(1, sizeof *self);
    if (!self) return NULL;
    self->host = host;
    atomic_init(&self->stop, 0);
    atomic_init(&self->connection, LEMM_CONNECTION_IDLE);
    atomic_init(&self->stems_loaded, 0);
    atomic_init(&self->notes_sent, 0);
    atomic_init(&self->notes_dropped, 0);
    self->plugin = (clap_plugin_t){
        .desc = &descriptor,
        .plugin_data = self,
        .init = plugin_init,
        .destroy = plugin_destroy,
        .activate = plugin_activate,
        .deactivate = plugin_deactivate,
        .start_processing = plugin_start_processing,
        .stop_processing = plugin_stop_processing,
        .reset = plugin_reset,
        .process = plugin_process,
        .get_extension = plugin_get_extension,
        .on_main_thread = plugin_on_main_thread,
    };
    return &self->plugin;
}

static const clap_plugin_factory_t factory = {factory_count, factory_descriptor, factory_create};

static bool entry_init(const char *path) {
    (void)path;
    return true;
}

static void entry_deinit(void) {}

static const void *entry_get_factory(const char *id) { return id && !strcmp(id, LEMM_CLAP_PLUGIN_FACTORY_ID) ? &factory : NULL; }

LEMM_EXPORT const clap_plugin_entry_t clap_entry = {
    .clap_version = {LEMM_CLAP_VERSION_MAJOR, LEMM_CLAP_VERSION_MINOR, LEMM_CLAP_VERSION_REVISION},
    .init = entry_init,
    .deinit = entry_deinit,
    .get_factory = entry_get_factory,
};
