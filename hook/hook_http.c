/*
 * NAME
 *	hook_http - HTTP POSTs with libcurl's multi interface on a libevent loop
 * SYNOPSIS
 *	#include "hook_http.h"
 *
 *	struct hook_http *hook_http_new(base)
 *	void hook_http_post(http, post, done, context)
 *	size_t hook_http_in_flight(http)
 *	void hook_http_free(http)
 * DESCRIPTION
 *	Every request of the daemon goes through one libcurl multi handle
 *	driven by the daemon's event loop (libcurl's socket and timer
 *	callbacks become libevent events), so any number of endpoints are
 *	in flight at once and a slow one holds back no other; libcurl keeps
 *	the connections to each endpoint open between requests, up to
 *	HOOK_HTTP_CONNECTIONS_KEPT idle ones in all.
 *
 *	hook_http_post() starts one POST of post->body with the given
 *	headers (and Content-Type: application/json) and calls done once
 *	with the status or the reason there was none: from the loop, or
 *	at once when libcurl refuses the request. hook_http_free() ends
 *	the requests in flight, each done called with answer->dropped: the
 *	caller then only frees what it passed as context. Within
 *	post->timeout_ms in all (connecting included); at most
 *	post->response_max bytes of the answer are kept, the rest read and
 *	dropped. The post's strings are copied: the caller may free them on
 *	return.
 * SECURITY
 *	TLS peers are always verified (certificate and name), against
 *	post->ca_file when set; only http and https, no redirect followed,
 *	no proxy from the environment (a daemon's environment is not its
 *	configuration).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "buffer.h"
#include "hook_http.h"
#include "log.h"
#include "monotonic.h"
#include "xmalloc.h"

/* Idle connections kept, to all endpoints: libcurl's default, 4 x the
 * requests in flight at the moment one ends, closes most of them as soon
 * as fewer requests are out, and the next burst connects again. An idle
 * one is closed after CURLOPT_MAXAGE_CONN (118 s) anyway. */
#define HOOK_HTTP_CONNECTIONS_KEPT 256

struct hook_http {
	struct event_base *base;
	CURLM *multi;
	struct event *timer;
	size_t in_flight;
	struct request *requests; /* in flight, for hook_http_free() */
};

struct request {
	struct hook_http *http;
	struct request *next, *previous;
	CURL *easy;
	struct curl_slist *headers;
	char *body;
	struct buffer response;
	size_t response_max;
	char error[CURL_ERROR_SIZE];
	long long started_ms;
	hook_http_done done;
	void *context;
};

/* The libevent event of one of libcurl's sockets. */
struct watch {
	struct event *event;
};

static void check_done(struct hook_http *http);

static void
on_socket_event(evutil_socket_t fd, short what, void *argument)
{
	struct hook_http *http = argument;
	int running = 0;
	int flags = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	            ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(http->multi, fd, flags, &running);
	check_done(http);
}

static void
on_timer(evutil_socket_t fd, short what, void *argument)
{
	struct hook_http *http = argument;
	int running = 0;

	(void)fd;
	(void)what;
	curl_multi_socket_action(http->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(http);
}

static int
socket_callback(
    CURL *easy, curl_socket_t fd, int action, void *user, void *socket_data)
{
	struct hook_http *http = user;
	struct watch *watch = socket_data;
	short kind = EV_PERSIST;

	(void)easy;
	if (action == CURL_POLL_REMOVE) {
		if (watch != NULL) {
			event_free(watch->event);
			free(watch);
			curl_multi_assign(http->multi, fd, NULL);
		}
		return 0;
	}
	if (action == CURL_POLL_IN || action == CURL_POLL_INOUT)
		kind |= EV_READ;
	if (action == CURL_POLL_OUT || action == CURL_POLL_INOUT)
		kind |= EV_WRITE;
	if (watch == NULL) {
		watch = xcalloc(1, sizeof(*watch));
		curl_multi_assign(http->multi, fd, watch);
	} else
		event_free(watch->event);
	watch->event = event_new(http->base, fd, kind, on_socket_event, http);
	event_add(watch->event, NULL);
	return 0;
}

static int
timer_callback(CURLM *multi, long timeout_ms, void *user)
{
	struct hook_http *http = user;
	struct timeval delay;

	(void)multi;
	if (timeout_ms < 0) {
		evtimer_del(http->timer);
		return 0;
	}
	delay.tv_sec = timeout_ms / 1000;
	delay.tv_usec = (timeout_ms % 1000) * 1000;
	evtimer_add(http->timer, &delay);
	return 0;
}

static size_t
on_data(char *data, size_t size, size_t count, void *user)
{
	struct request *request = user;
	size_t length = size * count;
	size_t room = request->response_max > request->response.length
	                  ? request->response_max - request->response.length
	                  : 0;

	buffer_append(&request->response, data, length < room ? length : room);
	return length;
}

static void
request_free(struct request *request)
{
	struct hook_http *http = request->http;

	if (request->easy != NULL) {
		if (request->previous != NULL)
			request->previous->next = request->next;
		else if (http->requests == request)
			http->requests = request->next;
		if (request->next != NULL)
			request->next->previous = request->previous;
		curl_multi_remove_handle(http->multi, request->easy);
		curl_easy_cleanup(request->easy);
		http->in_flight--;
	}
	curl_slist_free_all(request->headers);
	free(request->body);
	buffer_free(&request->response);
	free(request);
}

static void
check_done(struct hook_http *http)
{
	CURLMsg *message;
	int left;

	while ((message = curl_multi_info_read(http->multi, &left)) != NULL) {
		struct request *request = NULL;
		struct hook_answer answer = {0, "", "", 0, false};
		CURL *easy = message->easy_handle;

		if (message->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&request);
		if (message->data.result == CURLE_OK)
			curl_easy_getinfo(
			    easy, CURLINFO_RESPONSE_CODE, &answer.status);
		else
			answer.error =
			    request->error[0] != '\0'
			        ? request->error
			        : curl_easy_strerror(message->data.result);
		answer.response = buffer_text(&request->response);
		answer.latency_ms = monotonic_ms() - request->started_ms;
		request->done(request->context, &answer);
		request_free(request);
	}
}

struct hook_http *
hook_http_new(struct event_base *base)
{
	struct hook_http *http = xcalloc(1, sizeof(*http));
	static bool initialized;

	if (!initialized && curl_global_init(CURL_GLOBAL_DEFAULT) != 0)
		log_fatal("cannot initialize libcurl");
	initialized = true;
	http->base = base;
	http->multi = curl_multi_init();
	if (http->multi == NULL)
		log_fatal("cannot make a libcurl multi handle");
	http->timer = evtimer_new(base, on_timer, http);
	curl_multi_setopt(
	    http->multi, CURLMOPT_SOCKETFUNCTION, socket_callback);
	curl_multi_setopt(http->multi, CURLMOPT_SOCKETDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERFUNCTION, timer_callback);
	curl_multi_setopt(http->multi, CURLMOPT_TIMERDATA, http);
	curl_multi_setopt(http->multi, CURLMOPT_MAXCONNECTS,
	    (long)HOOK_HTTP_CONNECTIONS_KEPT);
	return http;
}

/* The answer without a request, at once: the caller's done must allow
 * being called from within hook_http_post(). */
static void
fail_now(struct request *request, const char *why)
{
	struct hook_answer answer = {0, why, "", 0, false};

	request->done(request->context, &answer);
	request_free(request);
}

void
hook_http_post(struct hook_http *http, const struct hook_post *post,
    hook_http_done done, void *context)
{
	struct request *request = xcalloc(1, sizeof(*request));
	CURL *easy = curl_easy_init();

	request->http = http;
	request->done = done;
	request->context = context;
	request->response_max = post->response_max;
	request->started_ms = monotonic_ms();
	request->body = xmalloc(post->body_length + 1);
	memcpy(request->body, post->body, post->body_length);
	request->body[post->body_length] = '\0';
	request->headers = curl_slist_append(
	    request->headers, "Content-Type: application/json");
	request->headers = curl_slist_append(request->headers, "Expect:");
	for (size_t i = 0; post->headers[i] != NULL; i++)
		request->headers =
		    curl_slist_append(request->headers, post->headers[i]);
	if (easy == NULL || request->headers == NULL) {
		if (easy != NULL)
			curl_easy_cleanup(easy);
		fail_now(request, "out of memory in libcurl");
		return;
	}
	curl_easy_setopt(easy, CURLOPT_URL, post->url);
	curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_PROXY, "");
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, 2L);
	if (post->ca_file != NULL)
		curl_easy_setopt(easy, CURLOPT_CAINFO, post->ca_file);
	curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, (long)post->timeout_ms);
	curl_easy_setopt(easy, CURLOPT_POST, 1L);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, request->body);
	curl_easy_setopt(
	    easy, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)post->body_length);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, request->headers);
	curl_easy_setopt(easy, CURLOPT_USERAGENT, "waypost-hookd/" VERSION);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(easy, CURLOPT_WRITEDATA, request);
	curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, request->error);
	curl_easy_setopt(easy, CURLOPT_PRIVATE, request);
	if (curl_multi_add_handle(http->multi, easy) != CURLM_OK) {
		curl_easy_cleanup(easy);
		fail_now(request, "libcurl refused the request");
		return;
	}
	request->easy = easy;
	request->next = http->requests;
	if (http->requests != NULL)
		http->requests->previous = request;
	http->requests = request;
	http->in_flight++;
}

size_t
hook_http_in_flight(const struct hook_http *http)
{
	return http->in_flight;
}

void
hook_http_free(struct hook_http *http)
{
	if (http == NULL)
		return;
	while (http->requests != NULL) {
		struct request *request = http->requests;
		struct hook_answer answer = {0, "stopping", "", 0, true};

		/* Its caller frees what it gave as context, nothing more. */
		request->done(request->context, &answer);
		request_free(request);
	}
	curl_multi_cleanup(http->multi);
	event_free(http->timer);
	free(http);
}
