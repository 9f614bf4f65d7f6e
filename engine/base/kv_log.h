/* SPDX-License-Identifier: Apache-2.0 */
/* Leveled logging to stderr; one line per call, safe from any thread. */
#ifndef KV_LOG_H
#define KV_LOG_H

typedef enum kv_log_level {
    KV_LOG_ERROR = 0,
    KV_LOG_WARN = 1,
    KV_LOG_INFO = 2,
    KV_LOG_DEBUG = 3,
} kv_log_level_t;

/** Set the most verbose level that is printed (default KV_LOG_INFO). */
void kv_log_set_level(kv_log_level_t lvl);
/** Parse "error", "warn", "info" or "debug"; returns -1 when unknown. */
int kv_log_parse_level(const char *s);
/** True when lvl would be printed. */
int kv_log_enabled(kv_log_level_t lvl);
void kv_log(kv_log_level_t lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define KV_LOG_ERROR(...) kv_log(KV_LOG_ERROR, __VA_ARGS__)
#define KV_LOG_WARN(...)  kv_log(KV_LOG_WARN, __VA_ARGS__)
#define KV_LOG_INFO(...)                      \
    do {                                      \
        if (kv_log_enabled(KV_LOG_INFO))      \
            kv_log(KV_LOG_INFO, __VA_ARGS__); \
    } while (0)
#define KV_LOG_DEBUG(...)                      \
    do {                                       \
        if (kv_log_enabled(KV_LOG_DEBUG))      \
            kv_log(KV_LOG_DEBUG, __VA_ARGS__); \
    } while (0)

#endif
