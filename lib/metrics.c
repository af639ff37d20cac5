/*
 * NAME
 *	metrics - the process's Prometheus metrics registry and its text
 * SYNOPSIS
 *	#include "metrics.h"
 * DESCRIPTION
 *	A daemon registers its families once (metric_family()) and takes a
 *	handle per series (metric_series()), which it may keep: handles
 *	live until exit. A gauge is set (metric_set()) or moved
 *	(metric_gauge_add(), for a count of things open in many threads).
 *	Updates are C11 atomics, so the work's threads (the milter
 *	workers, the event loop) never wait for a scrape, which runs
 *	in the HTTP thread (metrics_http.c) and renders the exposition
 *	format 0.0.4 under the registry's lock.
 *
 *	Bounds: METRIC_SERIES_MAX label value sets per family, beyond which
 *	a series reads METRIC_OTHER in every label (a configuration with
 *	thousands of domains must not grow the scrape without bound), and
 *	label values cut at METRIC_LABEL_VALUE_MAX bytes. Label values are
 *	escaped as the format says; callers never pass a user, sender or
 *	recipient.
 *
 *	/readyz asks metrics_ready(): the conditions a daemon set with
 *	metrics_ready_set() ("config", "redis"), all of which must hold.
 * SECURITY
 *	Nothing here reads peer input; the label values come from the
 *	configuration and from fixed words.
 */
#include "config.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "xmalloc.h"

#define FAMILIES_MAX   128
#define COLLECTORS_MAX 8

static const double default_bounds[] = {0.0001, 0.00025, 0.0005, 0.001, 0.0025,
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10};
#define DEFAULT_BOUNDS (sizeof(default_bounds) / sizeof(default_bounds[0]))

struct metric {
	char *values[METRIC_LABELS_MAX];
	_Atomic uint64_t value; /* a counter; a gauge's double, as bits */
	_Atomic uint64_t buckets[DEFAULT_BOUNDS + 1];
	_Atomic uint64_t sum_ns;
};

struct metric_family {
	char *name;
	char *help;
	enum metric_type type;
	size_t label_count;
	char *labels[METRIC_LABELS_MAX];
	size_t series_count;
	struct metric *series[METRIC_SERIES_MAX + 1]; /* +1: METRIC_OTHER */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct metric_family *families[FAMILIES_MAX];
static size_t family_count;
static metric_collector collectors[COLLECTORS_MAX];
static size_t collector_count;

static struct {
	const char *name;
	atomic_bool ready;
} conditions[METRIC_READY_CONDITIONS];
static size_t condition_count;

static void
split_labels(struct metric_family *family, const char *labels)
{
	const char *start = labels;

	while (labels != NULL && *start != '\0') {
		const char *end = strchr(start, ',');
		size_t length = end ? (size_t)(end - start) : strlen(start);

		if (family->label_count == METRIC_LABELS_MAX)
			log_panic("metric %s: more than %d labels",
			    family->name, METRIC_LABELS_MAX);
		family->labels[family->label_count++] = xstrndup(start, length);
		start += length + (end != NULL);
	}
}

static struct metric *
series_new(const struct metric_family *family, const char *const *values)
{
	struct metric *metric = xcalloc(1, sizeof(*metric));

	for (size_t i = 0; i < family->label_count; i++)
		metric->values[i] = xstrndup(
		    values[i] ? values[i] : "", METRIC_LABEL_VALUE_MAX);
	return metric;
}

struct metric_family *
metric_family(const char *name, const char *help, enum metric_type type,
    const char *labels)
{
	struct metric_family *family = NULL;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < family_count && family == NULL; i++)
		if (strcmp(families[i]->name, name) == 0)
			family = families[i];
	if (family == NULL) {
		if (family_count == FAMILIES_MAX)
			log_panic("more than %d metric families", FAMILIES_MAX);
		family = xcalloc(1, sizeof(*family));
		family->name = xstrdup(name);
		family->help = xstrdup(help);
		family->type = type;
		split_labels(family, labels);
		/* A family without labels has its one series from the start,
		 * so a scrape shows it at 0. */
		if (family->label_count == 0)
			family->series[family->series_count++] =
			    series_new(family, NULL);
		families[family_count++] = family;
	}
	pthread_mutex_unlock(&lock);
	return family;
}

static bool
series_matches(const struct metric_family *family, const struct metric *metric,
    const char *const *values)
{
	for (size_t i = 0; i < family->label_count; i++)
		if (strncmp(metric->values[i], values[i] ? values[i] : "",
		        METRIC_LABEL_VALUE_MAX) != 0)
			return false;
	return true;
}

struct metric *
metric_series_values(struct metric_family *family, const char *const *values)
{
	static const char *const other[METRIC_LABELS_MAX] = {
	    METRIC_OTHER, METRIC_OTHER, METRIC_OTHER};
	struct metric *found = NULL;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < family->series_count && found == NULL; i++)
		if (series_matches(family, family->series[i], values))
			found = family->series[i];
	if (found == NULL && family->series_count >= METRIC_SERIES_MAX)
		values = other;
	for (size_t i = 0; i < family->series_count && found == NULL; i++)
		if (series_matches(family, family->series[i], values))
			found = family->series[i];
	if (found == NULL) {
		found = series_new(family, values);
		family->series[family->series_count++] = found;
	}
	pthread_mutex_unlock(&lock);
	return found;
}

struct metric *
metric_series(struct metric_family *family, ...)
{
	const char *values[METRIC_LABELS_MAX] = {NULL, NULL, NULL};
	va_list arguments;

	va_start(arguments, family);
	for (size_t i = 0; i < family->label_count; i++)
		values[i] = va_arg(arguments, const char *);
	va_end(arguments);
	return metric_series_values(family, values);
}

void
metric_add(struct metric *metric, uint64_t count)
{
	atomic_fetch_add_explicit(&metric->value, count, memory_order_relaxed);
}

void
metric_inc(struct metric *metric)
{
	metric_add(metric, 1);
}

static uint64_t
double_bits(double value)
{
	uint64_t bits;

	memcpy(&bits, &value, sizeof(bits));
	return bits;
}

static double
bits_double(uint64_t bits)
{
	double value;

	memcpy(&value, &bits, sizeof(value));
	return value;
}

void
metric_set(struct metric *metric, double value)
{
	atomic_store_explicit(
	    &metric->value, double_bits(value), memory_order_relaxed);
}

void
metric_gauge_add(struct metric *metric, double delta)
{
	uint64_t old =
	    atomic_load_explicit(&metric->value, memory_order_relaxed);

	while (!atomic_compare_exchange_weak_explicit(&metric->value, &old,
	    double_bits(bits_double(old) + delta), memory_order_relaxed,
	    memory_order_relaxed))
		;
}

void
metric_observe(struct metric *metric, double seconds)
{
	size_t bucket = 0;

	if (!(seconds >= 0))
		seconds = 0;
	while (bucket < DEFAULT_BOUNDS && seconds > default_bounds[bucket])
		bucket++;
	atomic_fetch_add_explicit(
	    &metric->buckets[bucket], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&metric->value, 1, memory_order_relaxed);
	/* Sums past 584 years of observed time wrap; not a concern. */
	atomic_fetch_add_explicit(&metric->sum_ns,
	    (uint64_t)(seconds * 1e9 + 0.5), memory_order_relaxed);
}

void
metric_collector_add(metric_collector collector)
{
	pthread_mutex_lock(&lock);
	if (collector_count == COLLECTORS_MAX)
		log_panic("more than %d metric collectors", COLLECTORS_MAX);
	collectors[collector_count++] = collector;
	pthread_mutex_unlock(&lock);
}

static void
append_double(struct buffer *out, double value)
{
	if (isnan(value))
		buffer_append_text(out, "NaN");
	else if (isinf(value))
		buffer_append_text(out, value > 0 ? "+Inf" : "-Inf");
	else
		buffer_printf(out, "%.17g", value);
}

void
metric_write_sample(struct buffer *out, const char *name, double value)
{
	buffer_printf(out, "%s ", name);
	append_double(out, value);
	buffer_append_char(out, '\n');
}

/* A label value as the format escapes it: backslash, quote, newline. */
static void
append_label_value(struct buffer *out, const char *value)
{
	for (; *value != '\0'; value++) {
		if (*value == '\\' || *value == '"')
			buffer_append_char(out, '\\');
		if (*value == '\n')
			buffer_append_text(out, "\\n");
		else
			buffer_append_char(out, *value);
	}
}

/* {a="x",b="y"}, with an extra label (le) when given. */
static void
append_labels(struct buffer *out, const struct metric_family *family,
    const struct metric *metric, const char *extra_name,
    const char *extra_value)
{
	size_t written = 0;

	if (family->label_count == 0 && extra_name == NULL)
		return;
	buffer_append_char(out, '{');
	for (size_t i = 0; i < family->label_count; i++, written++) {
		buffer_printf(
		    out, "%s%s=\"", written ? "," : "", family->labels[i]);
		append_label_value(out, metric->values[i]);
		buffer_append_char(out, '"');
	}
	if (extra_name != NULL)
		buffer_printf(out, "%s%s=\"%s\"", written ? "," : "",
		    extra_name, extra_value);
	buffer_append_char(out, '}');
}

static void
render_histogram(struct buffer *out, const struct metric_family *family,
    const struct metric *metric)
{
	uint64_t cumulative = 0;
	char bound[32];

	for (size_t b = 0; b <= DEFAULT_BOUNDS; b++) {
		cumulative += atomic_load_explicit(
		    &metric->buckets[b], memory_order_relaxed);
		if (b < DEFAULT_BOUNDS)
			snprintf(bound, sizeof(bound), "%g", default_bounds[b]);
		else
			snprintf(bound, sizeof(bound), "+Inf");
		buffer_printf(out, "%s_bucket", family->name);
		append_labels(out, family, metric, "le", bound);
		buffer_printf(out, " %llu\n", (unsigned long long)cumulative);
	}
	buffer_printf(out, "%s_sum", family->name);
	append_labels(out, family, metric, NULL, NULL);
	buffer_append_char(out, ' ');
	append_double(out, (double)atomic_load_explicit(
	                       &metric->sum_ns, memory_order_relaxed) /
	                       1e9);
	buffer_printf(out, "\n%s_count", family->name);
	append_labels(out, family, metric, NULL, NULL);
	/* The count is the +Inf bucket, so the two always agree. */
	buffer_printf(out, " %llu\n", (unsigned long long)cumulative);
}

static void
render_family(struct buffer *out, const struct metric_family *family)
{
	static const char *const type_names[] = {
	    "counter", "gauge", "histogram"};

	buffer_printf(out, "# HELP %s %s\n# TYPE %s %s\n", family->name,
	    family->help, family->name, type_names[family->type]);
	for (size_t i = 0; i < family->series_count; i++) {
		const struct metric *metric = family->series[i];
		uint64_t value;

		if (family->type == METRIC_HISTOGRAM) {
			render_histogram(out, family, metric);
			continue;
		}
		value =
		    atomic_load_explicit(&metric->value, memory_order_relaxed);
		buffer_append_text(out, family->name);
		append_labels(out, family, metric, NULL, NULL);
		if (family->type == METRIC_COUNTER)
			buffer_printf(
			    out, " %llu\n", (unsigned long long)value);
		else {
			buffer_append_char(out, ' ');
			append_double(out, bits_double(value));
			buffer_append_char(out, '\n');
		}
	}
}

void
metrics_render(struct buffer *out)
{
	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < family_count; i++)
		render_family(out, families[i]);
	for (size_t i = 0; i < collector_count; i++)
		collectors[i](out);
	pthread_mutex_unlock(&lock);
}

void
metrics_ready_set(const char *condition, bool ready)
{
	size_t i;

	pthread_mutex_lock(&lock);
	for (i = 0; i < condition_count; i++)
		if (strcmp(conditions[i].name, condition) == 0)
			break;
	if (i == condition_count) {
		if (condition_count == METRIC_READY_CONDITIONS)
			log_panic("more than %d readiness conditions",
			    METRIC_READY_CONDITIONS);
		conditions[condition_count++].name = condition;
	}
	atomic_store(&conditions[i].ready, ready);
	pthread_mutex_unlock(&lock);
}

bool
metrics_ready(struct buffer *reasons)
{
	bool ready = true;

	pthread_mutex_lock(&lock);
	for (size_t i = 0; i < condition_count; i++) {
		if (atomic_load(&conditions[i].ready))
			continue;
		buffer_printf(
		    reasons, "%s%s", ready ? "" : ", ", conditions[i].name);
		ready = false;
	}
	pthread_mutex_unlock(&lock);
	return ready;
}
