/*
 * hook_http.h - HTTP POSTs with libcurl's multi interface on a libevent loop
 */
#ifndef WAYPOST_HOOK_HTTP_H
#define WAYPOST_HOOK_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <event2/event.h>

struct hook_http;

struct hook_post {
	const char *url;
	const char *body; /* copied */
	size_t body_length;
	const char *const *headers; /* "Name: value", NULL-terminated */
	long long timeout_ms;
	const char *ca_file; /* NULL: the system's */
	size_t response_max; /* bytes of the answer kept */
};

struct hook_answer {
	long status;          /* HTTP status; 0: no answer */
	const char *error;    /* "" with an answer, else why */
	const char *response; /* up to response_max bytes */
	long long latency_ms;
	bool dropped; /* hook_http_free() ended it unanswered: only free */
};

typedef void (*hook_http_done)(void *context, const struct hook_answer *answer);

struct hook_http *hook_http_new(struct event_base *base);
void hook_http_post(struct hook_http *http, const struct hook_post *post,
    hook_http_done done, void *context);
size_t hook_http_in_flight(const struct hook_http *http);
void hook_http_free(struct hook_http *http);

#endif
