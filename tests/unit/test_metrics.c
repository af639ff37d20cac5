/*
 * test_metrics.c - the metrics registry: series, escaping, bounds,
 * histograms, readiness, and the exposition text it renders
 */
#include "config.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "buffer.h"
#include "metrics.h"
#include "unit_test.h"

static char *
render(void)
{
	struct buffer out = {NULL, 0, 0};

	metrics_render(&out);
	return out.data;
}

static void
test_counter_series(void **state)
{
	struct metric_family *family;
	struct metric *ok, *again;
	char *text;

	(void)state;
	family = metric_family("t_requests_total", "Requests by result.",
	    METRIC_COUNTER, "stage,result");
	assert_ptr_equal(family, metric_family("t_requests_total", "other",
	                             METRIC_COUNTER, "stage,result"));
	ok = metric_series(family, "rcpt", "ok");
	again = metric_series(family, "rcpt", "ok");
	assert_ptr_equal(ok, again);
	metric_inc(ok);
	metric_add(again, 41);
	metric_inc(metric_series(family, "data", "fail"));
	text = render();
	assert_non_null(strstr(text, "# HELP t_requests_total Requests by "
	                             "result.\n# TYPE t_requests_total "
	                             "counter\n"));
	assert_non_null(strstr(
	    text, "t_requests_total{stage=\"rcpt\",result=\"ok\"} 42\n"));
	assert_non_null(strstr(
	    text, "t_requests_total{stage=\"data\",result=\"fail\"} 1\n"));
	free(text);
}

static void
test_unlabelled_starts_at_zero(void **state)
{
	char *text;

	(void)state;
	metric_family("t_plain_total", "Plain.", METRIC_COUNTER, NULL);
	text = render();
	assert_non_null(strstr(text, "\nt_plain_total 0\n"));
	free(text);
}

static void
test_label_escaping(void **state)
{
	struct metric_family *family;
	char *text;

	(void)state;
	family = metric_family("t_escape", "Escapes.", METRIC_GAUGE, "v");
	metric_set(metric_series(family, "a\"b\\c\nd"), 2.5);
	text = render();
	assert_non_null(strstr(text, "t_escape{v=\"a\\\"b\\\\c\\nd\"} 2.5\n"));
	free(text);
}

static void
test_series_bound(void **state)
{
	struct metric_family *family;
	struct metric *first_other;
	char value[32];
	char *text;

	(void)state;
	family = metric_family("t_many_total", "Many.", METRIC_COUNTER, "d");
	for (int i = 0; i < METRIC_SERIES_MAX; i++) {
		snprintf(value, sizeof(value), "d%d", i);
		metric_inc(metric_series(family, value));
	}
	first_other = metric_series(family, "past-the-bound");
	assert_ptr_equal(first_other, metric_series(family, "another"));
	assert_ptr_equal(first_other, metric_series(family, METRIC_OTHER));
	metric_inc(first_other);
	metric_inc(metric_series(family, "third"));
	/* A value made before the bound keeps its own series. */
	metric_inc(metric_series(family, "d7"));
	text = render();
	assert_non_null(strstr(text, "t_many_total{d=\"_other\"} 2\n"));
	assert_non_null(strstr(text, "t_many_total{d=\"d7\"} 2\n"));
	assert_null(strstr(text, "past-the-bound"));
	free(text);
}

static void
test_long_label_value_cut(void **state)
{
	struct metric_family *family;
	char value[METRIC_LABEL_VALUE_MAX * 2 + 1];
	char *text, *found;

	(void)state;
	memset(value, 'x', sizeof(value) - 1);
	value[sizeof(value) - 1] = '\0';
	family = metric_family("t_long_total", "Long.", METRIC_COUNTER, "v");
	metric_inc(metric_series(family, value));
	text = render();
	found = strstr(text, "t_long_total{v=\"");
	assert_non_null(found);
	found += strlen("t_long_total{v=\"");
	assert_int_equal(strspn(found, "x"), METRIC_LABEL_VALUE_MAX);
	free(text);
}

static void
test_histogram(void **state)
{
	struct metric *latency;
	char *text;

	(void)state;
	latency = metric_series(metric_family("t_latency_seconds", "Latency.",
	                            METRIC_HISTOGRAM, "kind"),
	    "x");
	metric_observe(latency, 0.00005); /* the first bucket */
	metric_observe(latency, 0.003);   /* le 0.005 */
	metric_observe(latency, 30);      /* +Inf only */
	metric_observe(latency, -1);      /* a clock step: counted as 0 */
	text = render();
	assert_non_null(strstr(text, "# TYPE t_latency_seconds histogram\n"));
	assert_non_null(strstr(
	    text, "t_latency_seconds_bucket{kind=\"x\",le=\"0.0001\"} 2\n"));
	assert_non_null(strstr(
	    text, "t_latency_seconds_bucket{kind=\"x\",le=\"0.0025\"} 2\n"));
	assert_non_null(strstr(
	    text, "t_latency_seconds_bucket{kind=\"x\",le=\"0.005\"} 3\n"));
	assert_non_null(
	    strstr(text, "t_latency_seconds_bucket{kind=\"x\",le=\"10\"} 3\n"));
	assert_non_null(strstr(
	    text, "t_latency_seconds_bucket{kind=\"x\",le=\"+Inf\"} 4\n"));
	assert_non_null(
	    strstr(text, "t_latency_seconds_count{kind=\"x\"} 4\n"));
	assert_non_null(
	    strstr(text, "t_latency_seconds_sum{kind=\"x\"} 30.003050"));
	free(text);
}

struct gauge_mover {
	struct metric *gauge;
	double delta;
};

static void *
move_gauge(void *argument)
{
	const struct gauge_mover *mover = argument;

	for (int i = 0; i < 100000; i++)
		metric_gauge_add(mover->gauge, mover->delta);
	return NULL;
}

/* Moves from several threads at once all count, none is lost. */
static void
test_gauge_add_from_threads(void **state)
{
	struct metric *open = metric_series(
	    metric_family("t_open", "Open things.", METRIC_GAUGE, NULL));
	struct gauge_mover movers[4] = {
	    {open, 1}, {open, 1}, {open, 1}, {open, -1}};
	pthread_t threads[4];
	char *text;

	(void)state;
	metric_set(open, 0.5);
	for (int i = 0; i < 4; i++)
		assert_int_equal(
		    pthread_create(&threads[i], NULL, move_gauge, &movers[i]),
		    0);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	text = render();
	assert_non_null(strstr(text, "\nt_open 200000.5\n"));
	free(text);
}

static void
test_readiness(void **state)
{
	struct buffer reasons = {NULL, 0, 0};

	(void)state;
	assert_true(metrics_ready(&reasons));
	metrics_ready_set("redis", false);
	metrics_ready_set("keys", false);
	assert_false(metrics_ready(&reasons));
	assert_string_equal(buffer_text(&reasons), "redis, keys");
	buffer_reset(&reasons);
	metrics_ready_set("keys", true);
	assert_false(metrics_ready(&reasons));
	assert_string_equal(buffer_text(&reasons), "redis");
	metrics_ready_set("redis", true);
	buffer_reset(&reasons);
	assert_true(metrics_ready(&reasons));
	buffer_free(&reasons);
}

static void
test_common_families(void **state)
{
	char *text;

	(void)state;
	metrics_common_init("waypost-test", "9.9");
	metrics_count_reload(true);
	metrics_count_reload(false);
	metrics_count_reload(false);
	text = render();
	assert_non_null(strstr(text, "waypost_build_info{daemon=\"waypost-"
	                             "test\",version=\"9.9\"} 1\n"));
	assert_non_null(
	    strstr(text, "waypost_config_reloads_total{result=\"ok\"} 1\n"));
	assert_non_null(
	    strstr(text, "waypost_config_reloads_total{result=\"error\"} 2\n"));
	assert_non_null(strstr(text, "\nprocess_cpu_seconds_total "));
	assert_non_null(strstr(text, "\nprocess_resident_memory_bytes "));
	assert_non_null(strstr(text, "\nprocess_max_fds "));
	free(text);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_counter_series),
    cmocka_unit_test(test_unlabelled_starts_at_zero),
    cmocka_unit_test(test_label_escaping),
    cmocka_unit_test(test_series_bound),
    cmocka_unit_test(test_long_label_value_cut),
    cmocka_unit_test(test_histogram),
    cmocka_unit_test(test_gauge_add_from_threads),
    cmocka_unit_test(test_readiness),
    cmocka_unit_test(test_common_families),
};

UNIT_TEST_MAIN(tests)
