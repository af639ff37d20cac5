/*
 * dkim_metrics.h - what waypost-dkim counts, for Prometheus
 */
#ifndef WAYPOST_DKIM_METRICS_H
#define WAYPOST_DKIM_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "dkim_sign.h"

struct metric;

/* Why a message was not signed; the label values are in dkim_metrics.c. */
enum dkim_unsigned_reason {
	UNSIGNED_SHUTTING_DOWN,
	UNSIGNED_NOT_READY,
	UNSIGNED_UNTRUSTED_CLIENT,
	UNSIGNED_AUTHENTICATED_CLIENT,
	UNSIGNED_HEADER_LIMIT,
	UNSIGNED_NO_FROM,
	UNSIGNED_MULTIPLE_FROM,
	UNSIGNED_BAD_FROM,
	UNSIGNED_NO_KEY,
	UNSIGNED_SIGNING_ERROR,
	UNSIGNED_MTA_REFUSED,
	UNSIGNED_CONNECTION_LOST,
	UNSIGNED_REASONS /* how many */
};

void dkim_metrics_init(void);
struct metric *dkim_metrics_signatures(
    const char *domain, enum signature_algorithm algorithm);
void dkim_metrics_unsigned(enum dkim_unsigned_reason reason);
void dkim_metrics_key_reload(bool ok);
void dkim_metrics_keys_loaded(size_t key_count);

#endif
