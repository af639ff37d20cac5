/*
 * curl_post.c - waypost-curl-post: libcurl alone, posting one body over and
 * over (make bench only, never installed)
 *
 * usage: waypost-curl-post -c CONCURRENCY -n COUNT [-H HEADER]... URL FILE
 *
 * The floor under waypost-hookd's HTTP: the library issue 22 names,
 * libcurl's multi interface, with nothing else. CONCURRENCY easy handles
 * (each a keep-alive connection, as the daemon's window) post the body
 * read from FILE with the HEADERs to URL until COUNT requests have been
 * answered; a handle that finishes is added again at once. No event
 * loop library: curl_multi_poll(), the cheapest way to drive the multi
 * interface. Options as the daemon sets them where they cost: no
 * redirects, no signals, TCP_NODELAY (libcurl's default).
 *
 * Prints one line: "requests N seconds S non-2xx N errors N". Exit 1 on
 * a usage or setup error, or if any request failed or was not 2xx.
 */
#include "config.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "file_read.h"

#define CONCURRENCY_MAX 1024
#define HEADERS_MAX     32
#define BODY_MAX        (1024 * 1024)

static size_t
discard(char *data, size_t size, size_t count, void *context)
{
	(void)data;
	(void)context;
	return size * count;
}

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static CURL *
new_handle(const char *url, const char *body, size_t length,
    struct curl_slist *headers)
{
	CURL *easy = curl_easy_init();

	if (easy == NULL)
		return NULL;
	curl_easy_setopt(easy, CURLOPT_URL, url);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, (long)length);
	curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard);
	curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
	return easy;
}

static void
usage(void)
{
	fprintf(stderr, "usage: waypost-curl-post -c CONCURRENCY -n COUNT "
	                "[-H HEADER]... URL FILE\n");
	exit(1);
}

int
main(int argc, char **argv)
{
	long concurrency = 8, count = 1000, started = 0, answered = 0;
	long not_2xx = 0, errors = 0;
	struct curl_slist *headers = NULL;
	CURL *handles[CONCURRENCY_MAX];
	CURLM *multi;
	struct stat st;
	char *body, error[256];
	size_t length;
	double start;
	int option, running = 0, header_count = 0;

	while ((option = getopt(argc, argv, "c:n:H:")) != -1) {
		switch (option) {
		case 'c':
			concurrency = strtol(optarg, NULL, 10);
			break;
		case 'n':
			count = strtol(optarg, NULL, 10);
			break;
		case 'H':
			if (++header_count > HEADERS_MAX)
				usage();
			headers = curl_slist_append(headers, optarg);
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2 || concurrency < 1 ||
	    concurrency > CONCURRENCY_MAX || count < 1)
		usage();
	body = file_read(
	    argv[optind + 1], BODY_MAX, &length, &st, error, sizeof(error));
	if (body == NULL) {
		fprintf(stderr, "waypost-curl-post: %s\n", error);
		return 1;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	multi = curl_multi_init();
	curl_multi_setopt(multi, CURLMOPT_MAXCONNECTS, concurrency);
	start = now_seconds();
	for (long i = 0; i < concurrency && started < count; i++) {
		handles[i] = new_handle(argv[optind], body, length, headers);
		if (handles[i] == NULL) {
			fprintf(stderr, "waypost-curl-post: curl_easy_init\n");
			return 1;
		}
		curl_multi_add_handle(multi, handles[i]);
		started++;
	}
	while (answered < count) {
		CURLMsg *message;
		int left;

		curl_multi_perform(multi, &running);
		while ((message = curl_multi_info_read(multi, &left)) != NULL) {
			CURL *easy = message->easy_handle;
			long status = 0;

			if (message->msg != CURLMSG_DONE)
				continue;
			answered++;
			curl_easy_getinfo(
			    easy, CURLINFO_RESPONSE_CODE, &status);
			errors += message->data.result != CURLE_OK;
			not_2xx += message->data.result == CURLE_OK &&
			           (status < 200 || status > 299);
			curl_multi_remove_handle(multi, easy);
			if (started < count) {
				curl_multi_add_handle(multi, easy);
				started++;
			} else
				curl_easy_cleanup(easy);
		}
		if (answered < count)
			curl_multi_poll(multi, NULL, 0, 1000, NULL);
	}
	printf("requests %ld seconds %.3f non-2xx %ld errors %ld\n", answered,
	    now_seconds() - start, not_2xx, errors);
	curl_multi_cleanup(multi);
	curl_slist_free_all(headers);
	free(body);
	curl_global_cleanup();
	return not_2xx + errors > 0;
}
