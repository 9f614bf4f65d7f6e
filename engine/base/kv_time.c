/* SPDX-License-Identifier: Apache-2.0 */
/* Clocks and the three date formats the AWS protocols use. */
#include "kv_time.h"

#include <stdio.h>
#include <string.h>

uint64_t kv_now_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int64_t kv_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void kv_time_fmt_amz(time_t t, char out[17])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 17, "%Y%m%dT%H%M%SZ", &tm);
}

void kv_time_fmt_http(time_t t, char out[30])
{
    static const char *days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *mons[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                 "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    struct tm tm;
    char tmp[64];
    gmtime_r(&t, &tm);
    snprintf(tmp, sizeof(tmp), "%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
             mons[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    memcpy(out, tmp, 29);
    out[29] = 0;
}

void kv_time_fmt_iso(int64_t ms, char out[25])
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char tmp[80];
    gmtime_r(&t, &tm);
    snprintf(tmp, sizeof(tmp), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
             tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
    memcpy(out, tmp, 24);
    out[24] = 0;
}

static bool digits(const uint8_t *p, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9')
            return false;
        v = v * 10 + (p[i] - '0');
    }
    *out = v;
    return true;
}

static bool make_time(int y, int mo, int d, int h, int mi, int s, time_t *out)
{
    if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60)
        return false;
    /* Days from 1970-01-01 (Howard Hinnant's days_from_civil), avoiding timegm's locking. */
    int yy = mo <= 2 ? y - 1 : y;
    int era = yy / 400;
    int yoe = yy - era * 400;
    int doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    long days = (long)era * 146097 + doe - 719468;
    *out = (time_t)(days * 86400 + h * 3600 + mi * 60 + s);
    return true;
}

bool kv_time_parse_amz(kv_slice_t s, time_t *out)
{
    int y, mo, d, h, mi, sec;
    if (s.len != 16 || s.p[8] != 'T' || s.p[15] != 'Z')
        return false;
    if (!digits(s.p, 4, &y) || !digits(s.p + 4, 2, &mo) || !digits(s.p + 6, 2, &d) ||
        !digits(s.p + 9, 2, &h) || !digits(s.p + 11, 2, &mi) || !digits(s.p + 13, 2, &sec))
        return false;
    return make_time(y, mo, d, h, mi, sec, out);
}

bool kv_time_parse_http(kv_slice_t s, time_t *out)
{
    static const char *mons = "JanFebMarAprMayJunJulAugSepOctNovDec";
    int y, d, h, mi, sec;
    /* "Sun, 06 Nov 1994 08:49:37 GMT" */
    if (s.len != 29 || s.p[3] != ',' || s.p[4] != ' ' || s.p[7] != ' ' || s.p[11] != ' ' ||
        s.p[16] != ' ' || s.p[19] != ':' || s.p[22] != ':' || memcmp(s.p + 25, " GMT", 4) != 0)
        return false;
    if (!digits(s.p + 5, 2, &d) || !digits(s.p + 12, 4, &y) || !digits(s.p + 17, 2, &h) ||
        !digits(s.p + 20, 2, &mi) || !digits(s.p + 23, 2, &sec))
        return false;
    const char *m = NULL;
    for (int i = 0; i < 12; i++)
        if (memcmp(mons + i * 3, s.p + 8, 3) == 0)
            m = mons + i * 3;
    if (m == NULL)
        return false;
    return make_time(y, (int)((m - mons) / 3) + 1, d, h, mi, sec, out);
}
