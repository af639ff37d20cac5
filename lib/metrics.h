/*
 * metrics.h - the process's Prometheus metrics: families, series, rendering
 *
 * See metrics.c. Names follow Prometheus' practice (a unit suffix,
 * counters end in _total) and never change once released; no label ever
 * carries a user, sender or recipient.
 */
#ifndef WAYPOST_METRICS_H
#define WAYPOST_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buffer.h"

#define METRIC_LABELS_MAX       3        /* label names of one family */
#define METRIC_SERIES_MAX       500      /* label value sets of one family */
#define METRIC_LABEL_VALUE_MAX  128      /* bytes of one label value */
#define METRIC_BUCKETS_MAX      16       /* histogram bounds, +Inf apart */
#define METRIC_OTHER            "_other" /* values past METRIC_SERIES_MAX */
#define METRIC_READY_CONDITIONS 8        /* what /readyz waits for */

enum metric_type { METRIC_COUNTER, METRIC_GAUGE, METRIC_HISTOGRAM };

struct metric_family;
struct metric; /* one series: a family's label values */

/* Registration: once per name; the same name again gives the family
 * already made. labels: comma-separated label names, or NULL. A
 * histogram takes the default bounds (seconds, 100 us to 10 s). */
struct metric_family *metric_family(const char *name, const char *help,
    enum metric_type type, const char *labels);

/* The series of these label values (as many as the family's labels),
 * made on first use. Never NULL: beyond METRIC_SERIES_MAX values every
 * label reads METRIC_OTHER. A handle stays valid until exit. */
struct metric *metric_series(struct metric_family *family, ...);
struct metric *metric_series_values(
    struct metric_family *family, const char *const *values);

/* Updates: lock-free, from any thread. */
void metric_add(struct metric *metric, uint64_t count);
void metric_inc(struct metric *metric);
void metric_set(struct metric *metric, double value);
/* A gauge moved by delta (one more open connection, one less): a
 * compare-and-swap, so concurrent moves all count. */
void metric_gauge_add(struct metric *metric, double delta);
void metric_observe(struct metric *metric, double seconds);

/* A rendering step for values computed at scrape time (process_*). */
typedef void (*metric_collector)(struct buffer *out);
void metric_collector_add(metric_collector collector);

/* The text exposition format of every family, then the collectors. */
void metrics_render(struct buffer *out);

/* /readyz: every named condition must hold. A condition is added with
 * its first metrics_ready_set(). */
void metrics_ready_set(const char *condition, bool ready);
bool metrics_ready(struct buffer *reasons);

/* Shared families every daemon has (metrics_common.c). */
void metrics_common_init(const char *program, const char *version);
void metrics_count_reload(bool ok);

/* Writes one sample line; a helper for collectors. */
void metric_write_sample(struct buffer *out, const char *name, double value);

#endif
