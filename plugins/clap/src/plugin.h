/* The lemm CLAP plugin's state, shared by the CLAP glue (plugin.c: main and audio thread)
 * and the bridge worker (worker.c: the only thread that touches the network). */
#ifndef LEMM_PLUGIN_H
#define LEMM_PLUGIN_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "lemm_clap_abi.h"
#include "ring.h"

#define LEMM_PLUGIN_ID "org.lemm.bridge"
#define LEMM_PLUGIN_VERSION "0.1.0"

/* Audio thread -> worker: the DAW's transport at the start of a block. */
typedef struct lemm_transport_msg {
    double song_position_seconds;
    double song_position_beats;
    double tempo_bpm;
    int32_t playing;
    int32_t numerator;
    int32_t denominator;
} lemm_transport_msg;

/* Audio thread -> worker: a note on or off on the plugin's track, at its song position. */
typedef struct lemm_note_msg {
    double song_position_seconds;
    int32_t pitch;
    int32_t velocity; /* 0..127 */
    int32_t on;
    int32_t channel;
} lemm_note_msg;

/* A stem from lemm (allocated and freed by the worker; played by the audio thread). */
typedef struct lemm_stem {
    float *samples;      /* interleaved, channels * frames */
    uint32_t channels;
    uint32_t sample_rate;
    uint64_t frames;
    double song_position_seconds; /* where its first frame sits in the song */
} lemm_stem;

typedef struct lemm_plugin {
    clap_plugin_t plugin;
    const clap_host_t *host;
    double sample_rate;
    bool active;

    /* Preallocated at activate; each has one producer and one consumer. */
    lemm_ring transport_ring; /* audio -> worker, lemm_transport_msg */
    lemm_ring note_ring;      /* audio -> worker, lemm_note_msg */
    lemm_ring stem_ring;      /* worker -> audio, lemm_stem* */
    lemm_ring release_ring;   /* audio -> worker, lemm_stem* no longer played */

    /* Audio thread only. */
    lemm_stem *current;
    lemm_stem *pending_release;
    lemm_transport_msg last_sent;
    int64_t frames_since_transport;
    bool audit_selftest; /* audit builds: allocate in process() on purpose (LEMM_CLAP_AUDIT_SELFTEST) */

    /* Worker thread. */
    pthread_t worker;
    bool worker_started;
    _Atomic int stop;

    /* Readable from any thread. */
    _Atomic int32_t connection;    /* enum lemm_connection */
    _Atomic uint64_t stems_loaded;
    _Atomic uint64_t notes_sent;
    _Atomic uint64_t notes_dropped;
} lemm_plugin;

/* worker.c */
void *lemm_worker_main(void *plugin);
void lemm_stem_free(lemm_stem *stem);

#endif
