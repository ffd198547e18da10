/* The bridge worker: the plugin's only thread that touches the network or allocates for
 * stems. It finds the bridge (token file), says hello, asks for its track's stem, then
 * loops: forward transport and notes taken from the audio thread's rings, read frames
 * from the bridge, hand new stems to the audio thread and free the ones it let go.
 *
 * Wire format (docs/bridge.md): u32 BE header size, u32 BE payload size, JSON header, payload. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "plugin.h"

#define MAX_HEADER_BYTES (1u << 20)
#define MAX_PAYLOAD_BYTES (512u << 20)
#define NOTES_PER_MESSAGE 256

void lemm_stem_free(lemm_stem *stem) {
    if (!stem) return;
    free(stem->samples);
    free(stem);
}

static bool stopping(lemm_plugin *self) { return atomic_load(&self->stop) != 0; }

static void nap(lemm_plugin *self, int milliseconds) {
    for (int waited = 0; waited < milliseconds && !stopping(self); waited += 10) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
}

/* ---- configuration: port and token ----------------------------------------------------- */
typedef struct bridge_config {
    int port;
    char token[129];
    char track[129];
    char kind[16];
} bridge_config;

static bool read_config(bridge_config *config) {
    char path[1024];
    const char *file = getenv("LEMM_BRIDGE_FILE");
    const char *runtime = getenv("XDG_RUNTIME_DIR");
    const char *home = getenv("HOME");
    if (file && *file) snprintf(path, sizeof path, "%s", file);
    else if (runtime && *runtime) snprintf(path, sizeof path, "%s/lemm-bridge", runtime);
    else if (home && *home) snprintf(path, sizeof path, "%s/.lemm/bridge", home);
    else return false;
    const char *track = getenv("LEMM_BRIDGE_TRACK");
    const char *kind = getenv("LEMM_BRIDGE_KIND");
    snprintf(config->track, sizeof config->track, "%s", track && *track ? track : "mix");
    snprintf(config->kind, sizeof config->kind, "%s", kind && *kind ? kind : "printed");
    FILE *f = fopen(path, "r");
    if (!f) return false;
    char line[256];
    config->port = 0;
    config->token[0] = 0;
    while (fgets(line, sizeof line, f)) {
        int port;
        char token[129];
        if (sscanf(line, "port %d", &port) == 1) config->port = port;
        else if (sscanf(line, "token %128s", token) == 1) snprintf(config->token, sizeof config->token, "%s", token);
    }
    fclose(f);
    return config->port > 0 && config->port < 65536 && config->token[0];
}

/* ---- frames ------------------------------------------------------------------------------ */
static bool send_all(int fd, const void *data, size_t n) {
    const char *p = (const char *)data;
    while (n > 0) {
        ssize_t sent = send(fd, p, n, MSG_NOSIGNAL);
        if (sent < 0 && errno == EINTR) continue;
        if (sent <= 0) return false;
        p += sent;
        n -= (size_t)sent;
    }
    return true;
}

static bool send_frame(int fd, const char *header, const void *payload, uint32_t payload_bytes) {
    uint32_t sizes[2] = {htonl((uint32_t)strlen(header)), htonl(payload_bytes)};
    return send_all(fd, sizes, sizeof sizes) && send_all(fd, header, strlen(header)) && (payload_bytes == 0 || send_all(fd, payload, payload_bytes));
}

/* Read exactly n bytes, waking every 50 ms to honour stop; gives up after 30 s without data. */
static bool recv_all(lemm_plugin *self, int fd, void *data, size_t n) {
    char *p = (char *)data;
    int idle_ms = 0;
    while (n > 0) {
        if (stopping(self)) return false;
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = poll(&pfd, 1, 50);
        if (ready < 0 && errno == EINTR) continue;
        if (ready < 0) return false;
        if (ready == 0) {
            if ((idle_ms += 50) > 30000) return false;
            continue;
        }
        ssize_t got = recv(fd, p, n, 0);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) return false;
        idle_ms = 0;
        p += got;
        n -= (size_t)got;
    }
    return true;
}

typedef struct frame {
    char *header;   /* NUL-terminated JSON */
    char *payload;
    uint32_t payload_bytes;
} frame;

static void frame_free(frame *f) {
    free(f->header);
    free(f->payload);
    f->header = f->payload = NULL;
}

static bool recv_frame(lemm_plugin *self, int fd, frame *f) {
    uint32_t sizes[2];
    f->header = f->payload = NULL;
    if (!recv_all(self, fd, sizes, sizeof sizes)) return false;
    uint32_t header_bytes = ntohl(sizes[0]), payload_bytes = ntohl(sizes[1]);
    if (header_bytes == 0 || header_bytes > MAX_HEADER_BYTES || payload_bytes > MAX_PAYLOAD_BYTES) return false;
    f->header = (char *)malloc(header_bytes + 1);
    f->payload = payload_bytes ? (char *)malloc(payload_bytes) : NULL;
    f->payload_bytes = payload_bytes;
    if (!f->header || (payload_bytes && !f->payload)) {
        frame_free(f);
        return false;
    }
    f->header[header_bytes] = 0;
    if (!recv_all(self, fd, f->header, header_bytes) || (payload_bytes && !recv_all(self, fd, f->payload, payload_bytes))) {
        frame_free(f);
        return false;
    }
    return true;
}

/* ---- a small scanner for the top-level fields of a JSON object ---------------------------- */
static const char *skip_ws(const char *p) {
    while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') ++p;
    return p;
}

static const char *skip_string(const char *p) { /* p at the opening quote; returns past the closing one, or NULL */
    for (++p; *p; ++p) {
        if (*p == '\\') {
            if (!*++p) return NULL;
        } else if (*p == '"') {
            return p + 1;
        }
    }
    return NULL;
}

static const char *skip_value(const char *p) {
    p = skip_ws(p);
    if (*p == '"') return skip_string(p);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (*p) {
            if (*p == '"') {
                if (!(p = skip_string(p))) return NULL;
                continue;
            }
            if (*p == '{' || *p == '[') ++depth;
            if (*p == '}' || *p == ']') {
                if (--depth == 0) return p + 1;
            }
            ++p;
        }
        return NULL;
    }
    while (*p && *p != ',' && *p != '}') ++p;
    return p;
}

/* Pointer to the value of top-level key `key` in the object `json`, or NULL. */
static const char *json_field(const char *json, const char *key) {
    const char *p = skip_ws(json);
    if (*p != '{') return NULL;
    ++p;
    size_t key_len = strlen(key);
    while (1) {
        p = skip_ws(p);
        if (*p != '"') return NULL;
        const char *name = p + 1, *end = skip_string(p);
        if (!end) return NULL;
        p = skip_ws(end);
        if (*p != ':') return NULL;
        const char *value = skip_ws(p + 1);
        if ((size_t)(end - 1 - name) == key_len && !strncmp(name, key, key_len)) return value;
        if (!(p = skip_value(value))) return NULL;
        p = skip_ws(p);
        if (*p != ',') return NULL;
        ++p;
    }
}

static bool json_string_is(const char *json, const char *key, const char *expected) {
    const char *v = json_field(json, key);
    size_t n = strlen(expected);
    return v && *v == '"' && !strncmp(v + 1, expected, n) && v[1 + n] == '"';
}

static bool json_number(const char *json, const char *key, double *out) {
    const char *v = json_field(json, key);
    if (!v) return false;
    char *end;
    *out = strtod(v, &end);
    return end != v;
}

/* ---- messages ------------------------------------------------------------------------------ */
static void handle_stem(lemm_plugin *self, frame *f) {
    double channels, frames, rate, position = 0.0;
    if (!json_number(f->header, "channels", &channels) || !json_number(f->header, "frames", &frames) ||
        !json_number(f->header, "sample_rate", &rate) || !json_string_is(f->header, "format", "f32le"))
        return;
    json_number(f->header, "song_position_seconds", &position);
    if (channels < 1 || channels > 8 || frames < 0 || rate < 1000 || rate > 768000 ||
        (double)f->payload_bytes != channels * frames * sizeof(float))
        return;
    lemm_stem *stem = (lemm_stem *)calloc(1, sizeof *stem);
    if (!stem) return;
    stem->samples = (float *)f->payload; /* x86_64 is little-endian: the payload is the samples */
    f->payload = NULL;
    stem->channels = (uint32_t)channels;
    stem->frames = (uint64_t)frames;
    stem->sample_rate = (uint32_t)rate;
    stem->song_position_seconds = position;
    while (!lemm_ring_push(&self->stem_ring, &stem)) { /* the audio thread takes one per block */
        if (stopping(self)) {
            lemm_stem_free(stem);
            return;
        }
        nap(self, 10);
    }
}

static bool send_transport(int fd, const lemm_transport_msg *t) {
    char header[512];
    snprintf(header, sizeof header,
             "{\"type\":\"transport\",\"playing\":%s,\"song_position_seconds\":%.9g,\"song_position_beats\":%.9g,"
             "\"tempo_bpm\":%.9g,\"time_signature\":[%d,%d]}",
             t->playing ? "true" : "false", t->song_position_seconds, t->song_position_beats, t->tempo_bpm, t->numerator, t->denominator);
    return send_frame(fd, header, NULL, 0);
}

static bool send_notes(lemm_plugin *self, int fd) {
    char header[64 + NOTES_PER_MESSAGE * 64];
    lemm_note_msg note;
    for (;;) {
        int count = 0;
        size_t used = (size_t)snprintf(header, sizeof header, "{\"type\":\"notes\",\"events\":[");
        while (count < NOTES_PER_MESSAGE && lemm_ring_pop(&self->note_ring, &note)) {
            used += (size_t)snprintf(header + used, sizeof header - used, "%s[%.9g,%d,%d,%s,%d]", count ? "," : "",
                                     note.song_position_seconds, note.pitch, note.velocity, note.on ? "true" : "false", note.channel);
            ++count;
        }
        if (count == 0) return true;
        snprintf(header + used, sizeof header - used, "]}");
        if (!send_frame(fd, header, NULL, 0)) return false;
        atomic_fetch_add(&self->notes_sent, (uint64_t)count);
    }
}

static void free_released(lemm_plugin *self) {
    lemm_stem *stem;
    while (lemm_ring_pop(&self->release_ring, &stem)) lemm_stem_free(stem);
}

static void drop_queued(lemm_plugin *self) { /* while not connected, the audio thread's messages go nowhere */
    lemm_transport_msg t;
    lemm_note_msg n;
    while (lemm_ring_pop(&self->transport_ring, &t)) {}
    while (lemm_ring_pop(&self->note_ring, &n)) {}
    free_released(self);
}

static int connect_bridge(int port) {
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK); /* the bridge is loopback only */
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) {
        close(fd);
        return -1;
    }
    return fd;
}

/* `text` as the inside of a JSON string (quotes, backslashes and control characters escaped), cut to fit. */
static void json_escape(char *out, size_t capacity, const char *text) {
    size_t used = 0;
    for (; *text && used + 7 < capacity; ++text) {
        unsigned char c = (unsigned char)*text;
        if (c == '"' || c == '\\') {
            out[used++] = '\\';
            out[used++] = (char)c;
        } else if (c < 0x20) {
            used += (size_t)snprintf(out + used, capacity - used, "\\u%04x", c);
        } else {
            out[used++] = (char)c;
        }
    }
    out[used] = 0;
}

static void session(lemm_plugin *self, int fd, const bridge_config *config) {
    char header[2048];
    snprintf(header, sizeof header, "{\"type\":\"hello\",\"protocol\":1,\"token\":\"%s\",\"client\":\"lemm-clap " LEMM_PLUGIN_VERSION "\"}",
             config->token);
    frame f;
    if (!send_frame(fd, header, NULL, 0) || !recv_frame(self, fd, &f)) return;
    bool welcome = json_string_is(f.header, "type", "welcome");
    frame_free(&f);
    if (!welcome) {
        atomic_store(&self->connection, LEMM_CONNECTION_REFUSED);
        nap(self, 1000);
        return;
    }
    atomic_store(&self->connection, LEMM_CONNECTION_CONNECTED);
    char track[sizeof config->track * 6], kind[sizeof config->kind * 6];
    json_escape(track, sizeof track, config->track);
    json_escape(kind, sizeof kind, config->kind);
    snprintf(header, sizeof header, "{\"type\":\"render\",\"track\":\"%s\",\"kind\":\"%s\",\"subscribe\":true,\"id\":1}", track, kind);
    if (!send_frame(fd, header, NULL, 0)) return;
    int quiet_loops = 0; /* ~10 ms each: a ping after a minute without messages keeps the session open */
    while (!stopping(self)) {
        lemm_transport_msg t, latest;
        bool have = false;
        while (lemm_ring_pop(&self->transport_ring, &t)) {
            latest = t;
            have = true;
        }
        uint64_t notes_before = atomic_load(&self->notes_sent);
        if ((have && !send_transport(fd, &latest)) || !send_notes(self, fd)) return;
        quiet_loops = have || atomic_load(&self->notes_sent) != notes_before ? 0 : quiet_loops + 1;
        if (quiet_loops >= 6000) {
            if (!send_frame(fd, "{\"type\":\"ping\"}", NULL, 0)) return;
            quiet_loops = 0;
        }
        free_released(self);
        struct pollfd pfd = {fd, POLLIN, 0};
        int ready = poll(&pfd, 1, 10);
        if (ready < 0 && errno != EINTR) return;
        if (ready > 0) {
            if (!recv_frame(self, fd, &f)) return;
            if (json_string_is(f.header, "type", "stem")) handle_stem(self, &f);
            else if (json_string_is(f.header, "type", "error") && json_string_is(f.header, "code", "unauthorized"))
                atomic_store(&self->connection, LEMM_CONNECTION_REFUSED);
            frame_free(&f);
        }
    }
}

void *lemm_worker_main(void *arg) {
    lemm_plugin *self = (lemm_plugin *)arg;
    while (!stopping(self)) {
        bridge_config config;
        if (!read_config(&config)) {
            atomic_store(&self->connection, LEMM_CONNECTION_NO_BRIDGE);
            drop_queued(self);
            nap(self, 250);
            continue;
        }
        int fd = connect_bridge(config.port);
        if (fd < 0) {
            atomic_store(&self->connection, LEMM_CONNECTION_NO_BRIDGE);
            drop_queued(self);
            nap(self, 250);
            continue;
        }
        atomic_store(&self->connection, LEMM_CONNECTION_CONNECTING);
        session(self, fd, &config);
        close(fd);
        if (!stopping(self) && atomic_load(&self->connection) != LEMM_CONNECTION_REFUSED)
            atomic_store(&self->connection, LEMM_CONNECTION_NO_BRIDGE);
        drop_queued(self);
        nap(self, 100);
    }
    return NULL;
}
