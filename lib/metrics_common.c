/*
 * NAME
 *	metrics_common - the metrics every Waypost daemon serves
 * SYNOPSIS
 *	#include "metrics.h"
 *
 *	void metrics_common_init(program, version)
 *	void metrics_count_reload(ok)
 * DESCRIPTION
 *	waypost_build_info (1, with the daemon and version as labels),
 *	waypost_config_reloads_total by result, and Prometheus' standard
 *	process_* metrics read from /proc/self at scrape time:
 *	process_cpu_seconds_total, process_start_time_seconds,
 *	process_virtual_memory_bytes, process_resident_memory_bytes,
 *	process_open_fds (left out when /proc/self/fd cannot be read, as
 *	after a switch of user) and process_max_fds.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics.h"

#define STAT_LINE_MAX 4096

static struct metric *reload_ok;
static struct metric *reload_error;

/* Seconds since the epoch at boot, from /proc/stat's btime. */
static double
boot_time(void)
{
	char line[256];
	double btime = 0;
	FILE *file = fopen("/proc/stat", "r");

	if (file == NULL)
		return 0;
	while (fgets(line, sizeof(line), file) != NULL)
		if (sscanf(line, "btime %lf", &btime) == 1)
			break;
	fclose(file);
	return btime;
}

static long
open_fds(void)
{
	DIR *directory = opendir("/proc/self/fd");
	struct dirent *entry;
	long count = 0;

	if (directory == NULL)
		return -1;
	while ((entry = readdir(directory)) != NULL)
		if (entry->d_name[0] != '.')
			count++;
	closedir(directory);
	return count - 1; /* the directory's own descriptor */
}

/* /proc/self/stat: the fields after the command's closing parenthesis. */
static void
collect_process(struct buffer *out)
{
	char line[STAT_LINE_MAX];
	unsigned long utime, stime, vsize;
	unsigned long long start;
	long rss, fds;
	double ticks = (double)sysconf(_SC_CLK_TCK);
	struct rlimit limit;
	FILE *file = fopen("/proc/self/stat", "r");
	char *fields;

	if (file == NULL)
		return;
	fields = fgets(line, sizeof(line), file) ? strrchr(line, ')') : NULL;
	fclose(file);
	if (fields == NULL ||
	    sscanf(fields,
	        ") %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu %*d "
	        "%*d %*d %*d %*d %*d %llu %lu %ld",
	        &utime, &stime, &start, &vsize, &rss) != 5)
		return;
	buffer_append_text(out,
	    "# HELP process_cpu_seconds_total User and system CPU time.\n"
	    "# TYPE process_cpu_seconds_total counter\n");
	metric_write_sample(
	    out, "process_cpu_seconds_total", (double)(utime + stime) / ticks);
	buffer_append_text(out,
	    "# HELP process_start_time_seconds Start time since the epoch.\n"
	    "# TYPE process_start_time_seconds gauge\n");
	metric_write_sample(out, "process_start_time_seconds",
	    boot_time() + (double)start / ticks);
	buffer_append_text(out,
	    "# HELP process_virtual_memory_bytes Virtual memory size.\n"
	    "# TYPE process_virtual_memory_bytes gauge\n");
	metric_write_sample(out, "process_virtual_memory_bytes", (double)vsize);
	buffer_append_text(out,
	    "# HELP process_resident_memory_bytes Resident memory size.\n"
	    "# TYPE process_resident_memory_bytes gauge\n");
	metric_write_sample(out, "process_resident_memory_bytes",
	    (double)rss * (double)sysconf(_SC_PAGESIZE));
	if ((fds = open_fds()) >= 0) {
		buffer_append_text(out,
		    "# HELP process_open_fds Open file descriptors.\n"
		    "# TYPE process_open_fds gauge\n");
		metric_write_sample(out, "process_open_fds", (double)fds);
	}
	if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
		buffer_append_text(out,
		    "# HELP process_max_fds Maximum open file descriptors.\n"
		    "# TYPE process_max_fds gauge\n");
		metric_write_sample(
		    out, "process_max_fds", (double)limit.rlim_cur);
	}
}

void
metrics_common_init(const char *program, const char *version)
{
	struct metric_family *reloads;

	metric_set(metric_series(metric_family("waypost_build_info",
	                             "The daemon and its version; always 1.",
	                             METRIC_GAUGE, "daemon,version"),
	               program, version),
	    1);
	reloads = metric_family("waypost_config_reloads_total",
	    "Configuration reloads (SIGHUP) by result.", METRIC_COUNTER,
	    "result");
	reload_ok = metric_series(reloads, "ok");
	reload_error = metric_series(reloads, "error");
	metric_collector_add(collect_process);
}

void
metrics_count_reload(bool ok)
{
	if (reload_ok != NULL)
		metric_inc(ok ? reload_ok : reload_error);
}
