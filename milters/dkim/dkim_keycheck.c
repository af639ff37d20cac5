/*
 * NAME
 *	dkim_keycheck - does the published DKIM record match a private key?
 * SYNOPSIS
 *	#include "dkim_keycheck.h"
 *
 *	enum keycheck_result keycheck_published(domain, selector, pem,
 *		pem_length, nameserver, message, message_size)
 * DESCRIPTION
 *	Looks up SELECTOR._domainkey.DOMAIN and compares the public key
 *	published there with the private key. RSA keys are checked with
 *	libopendkim's dkim_test_key(), the same check opendkim-testkey
 *	makes. dkim_test_key() knows only RSA (libopendkim 2.11 fails with
 *	"EVP_PKEY_get1_RSA() failed" on an Ed25519 key), so an Ed25519 key
 *	is checked here: the record's strings joined, its k= must be
 *	ed25519, and its p= must decode to the key's 32-byte public key
 *	(RFC 8463 section 4).
 *
 *	libopendkim's own resolver reads /etc/resolv.conf for every query
 *	and ignores the server list it is given, so the queries go through
 *	libopendkim's query-service hooks to glibc's res_nquery() on a
 *	private resolver state: with nameserver ("IP" or "IP:PORT", IPv4)
 *	that server alone is asked, on any port, which is what an admin
 *	checking a new record on the authoritative server wants, and what
 *	the tests need (a DNS server of their own on loopback).
 */
#include "config.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <opendkim/dkim.h>
#include <openssl/evp.h>

#include "dkim_key.h"
#include "dkim_keycheck.h"

#define RECORD_MAX          4096 /* a 4096-bit RSA record is about 750 bytes */
#define ED25519_PUBLIC_SIZE 32

struct query {
	int length; /* of the reply, or -1 */
	int error;
};

static int
query_start(void *service, int type, unsigned char *question,
    unsigned char *buffer, size_t size, void **handle)
{
	struct query *query = calloc(1, sizeof(*query));

	if (query == NULL)
		return DKIM_DNS_ERROR;
	query->length = res_nquery(
	    service, (const char *)question, C_IN, type, buffer, (int)size);
	query->error = query->length < 0 ? h_errno : 0;
	*handle = query;
	return DKIM_DNS_SUCCESS;
}

static int
query_cancel(void *service, void *handle)
{
	(void)service;
	free(handle);
	return DKIM_DNS_SUCCESS;
}

static int
query_wait(void *service, void *handle, struct timeval *timeout, size_t *bytes,
    int *error, int *dnssec)
{
	struct query *query = handle;

	(void)service;
	(void)timeout;
	if (dnssec != NULL)
		*dnssec = DKIM_DNSSEC_UNKNOWN;
	if (error != NULL)
		*error = query->error;
	if (query->length < 0)
		return DKIM_DNS_ERROR;
	*bytes = (size_t)query->length;
	return DKIM_DNS_SUCCESS;
}

/* Ours to set up and close, not libopendkim's. */
static int
service_init(void **service)
{
	(void)service;
	return 0;
}

static void
service_close(void *service)
{
	(void)service;
}

/* "IP" or "IP:PORT" into the resolver's only server. */
static int
use_nameserver(struct __res_state *state, const char *text)
{
	char address[INET_ADDRSTRLEN];
	const char *colon = strchr(text, ':');
	size_t length = colon ? (size_t)(colon - text) : strlen(text);
	long port = 53;
	char *end;

	if (length >= sizeof(address))
		return -1;
	memcpy(address, text, length);
	address[length] = '\0';
	if (colon != NULL) {
		port = strtol(colon + 1, &end, 10);
		if (*end != '\0' || port < 1 || port > 65535)
			return -1;
	}
	memset(&state->nsaddr_list[0], 0, sizeof(state->nsaddr_list[0]));
	state->nsaddr_list[0].sin_family = AF_INET;
	state->nsaddr_list[0].sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, address, &state->nsaddr_list[0].sin_addr) != 1)
		return -1;
	state->nscount = 1;
	return 0;
}

/* RSA: libopendkim compares the record with the key. */
static int
rsa_test(struct __res_state *state, const char *domain, const char *selector,
    const char *pem, size_t pem_length, char *error, size_t error_size)
{
	DKIM_LIB *library = dkim_init(NULL, NULL);
	char *key = strndup(pem, pem_length);
	int status;

	if (library == NULL || key == NULL) {
		snprintf(error, error_size, "cannot start libopendkim");
		if (library != NULL)
			dkim_close(library);
		free(key);
		return -1;
	}
	dkim_dns_set_init(library, service_init);
	dkim_dns_set_close(library, service_close);
	dkim_dns_set_query_service(library, state);
	dkim_dns_set_query_start(library, query_start);
	dkim_dns_set_query_cancel(library, query_cancel);
	dkim_dns_set_query_waitreply(library, query_wait);
	status = dkim_test_key(library, (char *)selector, (char *)domain, key,
	    pem_length, NULL, error, error_size);
	dkim_close(library);
	OPENSSL_cleanse(key, pem_length);
	free(key);
	return status;
}

/* The one TXT record at NAME, its strings joined, into RECORD. */
static int
txt_record(struct __res_state *state, const char *name, char *record,
    size_t size, char *error, size_t error_size)
{
	unsigned char answer[NS_MAXMSG];
	int length =
	    res_nquery(state, name, C_IN, T_TXT, answer, sizeof(answer));
	size_t used = 0;
	int found = 0;
	ns_msg message;
	ns_rr rr;

	if (length < 0) {
		snprintf(error, error_size, "DNS lookup failed: %s",
		    hstrerror(h_errno));
		return -1;
	}
	if (ns_initparse(answer, length, &message) < 0) {
		snprintf(error, error_size, "reply corrupt");
		return -1;
	}
	for (int i = 0; i < ns_msg_count(message, ns_s_an); i++) {
		const unsigned char *data, *end;

		if (ns_parserr(&message, ns_s_an, i, &rr) < 0) {
			snprintf(error, error_size, "reply corrupt");
			return -1;
		}
		if (ns_rr_type(rr) != ns_t_txt)
			continue;
		if (found++) {
			snprintf(error, error_size, "more than one TXT record");
			return -1;
		}
		data = ns_rr_rdata(rr);
		end = data + ns_rr_rdlen(rr);
		while (data < end) {
			size_t piece = *data++;

			if (piece > (size_t)(end - data) ||
			    piece >= size - used) {
				snprintf(error, error_size,
				    "reply corrupt or too long");
				return -1;
			}
			memcpy(record + used, data, piece);
			used += piece;
			data += piece;
		}
	}
	if (!found) {
		snprintf(error, error_size, "no TXT record");
		return -1;
	}
	record[used] = '\0';
	return 0;
}

/*
 * The value of TAG in a DKIM tag list (RFC 6376 section 3.2), with all
 * white space taken out (as p= wants), or NULL if absent or too long.
 */
static const char *
tag_value(const char *list, const char *tag, char *value, size_t size)
{
	size_t tag_length = strlen(tag);

	for (const char *cursor = list; *cursor != '\0';) {
		const char *end = strchr(cursor, ';');
		size_t used = 0;

		if (end == NULL)
			end = cursor + strlen(cursor);
		cursor += strspn(cursor, " \t\r\n");
		if (strncmp(cursor, tag, tag_length) == 0) {
			const char *rest = cursor + tag_length;

			rest += strspn(rest, " \t\r\n");
			if (*rest == '=') {
				for (rest++; rest < end; rest++) {
					if (strchr(" \t\r\n", *rest) != NULL)
						continue;
					if (used + 1 >= size)
						return NULL;
					value[used++] = *rest;
				}
				value[used] = '\0';
				return value;
			}
		}
		cursor = *end == ';' ? end + 1 : end;
	}
	return NULL;
}

/* Ed25519: p= must be the key's raw public key, base64. */
static int
ed25519_test(struct __res_state *state, const char *domain,
    const char *selector, EVP_PKEY *key, char *error, size_t error_size)
{
	char name[NS_MAXDNAME], record[RECORD_MAX], type[32], p[RECORD_MAX];
	unsigned char ours[ED25519_PUBLIC_SIZE], published[RECORD_MAX];
	size_t ours_length = sizeof(ours);
	const char *padding;
	int length;

	snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);
	if (txt_record(
	        state, name, record, sizeof(record), error, error_size) != 0)
		return -1;
	if (tag_value(record, "k", type, sizeof(type)) == NULL)
		strcpy(type, "rsa (the default)");
	if (strcmp(type, "ed25519") != 0) {
		snprintf(
		    error, error_size, "record has k=%s, key is ed25519", type);
		return 1;
	}
	if (tag_value(record, "p", p, sizeof(p)) == NULL || p[0] == '\0') {
		snprintf(error, error_size, "record has no public key (p=)");
		return 1;
	}
	length = EVP_DecodeBlock(published, (unsigned char *)p, (int)strlen(p));
	if (length < 0 || strlen(p) % 4 != 0) {
		snprintf(error, error_size, "p= is not base64");
		return 1;
	}
	padding = strchr(p, '=');
	length -= padding != NULL ? (int)strlen(padding) : 0;
	if (EVP_PKEY_get_raw_public_key(key, ours, &ours_length) != 1) {
		snprintf(error, error_size, "cannot get the public key");
		return -1;
	}
	if ((size_t)length != ours_length ||
	    memcmp(published, ours, ours_length) != 0) {
		snprintf(error, error_size, "keys do not match");
		return 1;
	}
	return 0;
}

enum keycheck_result
keycheck_published(const char *domain, const char *selector, const char *pem,
    size_t pem_length, const char *nameserver, char *message,
    size_t message_size)
{
	struct __res_state state;
	struct signing_key key;
	char error[256] = "";
	int status;

	if (!signing_key_from_pem(
	        pem, pem_length, &key, error, sizeof(error))) {
		snprintf(message, message_size, "private key: %s", error);
		return KEYCHECK_ERROR;
	}
	memset(&state, 0, sizeof(state));
	if (res_ninit(&state) != 0) {
		snprintf(message, message_size, "cannot set up a DNS resolver");
		signing_key_free(&key);
		return KEYCHECK_ERROR;
	}
	if (nameserver != NULL && use_nameserver(&state, nameserver) != 0) {
		snprintf(message, message_size,
		    "bad name server \"%s\": expected IPv4 address[:port]",
		    nameserver);
		res_nclose(&state);
		signing_key_free(&key);
		return KEYCHECK_ERROR;
	}
	if (key.algorithm == SIGNATURE_ED25519_SHA256)
		status = ed25519_test(
		    &state, domain, selector, key.pkey, error, sizeof(error));
	else
		status = rsa_test(&state, domain, selector, pem, pem_length,
		    error, sizeof(error));
	res_nclose(&state);
	signing_key_free(&key);
	if (status == 0) {
		snprintf(message, message_size,
		    "%s._domainkey.%s matches the private key", selector,
		    domain);
		return KEYCHECK_MATCH;
	}
	if (status == 1) {
		snprintf(message, message_size,
		    "%s._domainkey.%s does NOT match the private key%s%s",
		    selector, domain, error[0] ? ": " : "", error);
		return KEYCHECK_MISMATCH;
	}
	snprintf(message, message_size, "cannot check %s._domainkey.%s: %s",
	    selector, domain, error[0] ? error : "lookup failed");
	return KEYCHECK_ERROR;
}
