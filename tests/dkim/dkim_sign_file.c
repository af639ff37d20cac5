/*
 * NAME
 *	dkim_sign_file - sign one message with waypost-dkim's engine, for tests
 * SYNOPSIS
 *	dkim_sign_file KEY.pem SELECTOR DOMAIN CANONICALIZATION < in > out
 * DESCRIPTION
 *	Reads a message, signs it with the engine the milter uses (default
 *	header lists, t= fixed at 1795000000) and writes the DKIM-Signature
 *	header, folded with CRLF, followed by the message as read. The
 *	pytest suite hands every corpus message through it to python3-dkim,
 *	the second independent verifier. Exit status 1 on any error.
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "default_policy.h"
#include "dkim_body_hash.h"
#include "dkim_key.h"
#include "file_read.h"
#include "message_file.h"

#define INPUT_MAX (64 * 1024 * 1024)

int
main(int argc, char **argv)
{
	static char input[INPUT_MAX];
	struct key_owner unchecked = {false, 0};
	struct message_file message;
	struct signing_key key;
	struct body_hash hash;
	unsigned char body_hash[BODY_HASH_SIZE];
	struct buffer value = {0};
	struct header_policy policy;
	char error[512];
	size_t size, covered;
	int canon = -1;
	static const char *const canons[] = {"relaxed/relaxed",
	    "relaxed/simple", "simple/relaxed", "simple/simple"};

	for (int i = 0; argc == 5 && i < 4; i++)
		if (strcmp(argv[4], canons[i]) == 0)
			canon = i;
	if (canon < 0) {
		fprintf(stderr,
		    "usage: %s KEY.pem SELECTOR DOMAIN "
		    "relaxed/relaxed|relaxed/simple|simple/relaxed|"
		    "simple/simple\n",
		    argv[0]);
		return 1;
	}
	if (!signing_key_load(
	        argv[1], &unchecked, &key, error, sizeof(error))) {
		fprintf(stderr, "%s\n", error);
		return 1;
	}
	size = fread(input, 1, sizeof(input), stdin);
	if (!message_file_parse(input, size, &message)) {
		fprintf(stderr, "not a message\n");
		return 1;
	}
	default_policy_init(&policy);
	{
		struct signer signer = {
		    key.pkey, key.algorithm, argv[3], argv[2], NULL};
		struct signature_request request = {&signer,
		    canon <= 1 ? CANON_RELAXED : CANON_SIMPLE,
		    canon % 2 == 0 ? CANON_RELAXED : CANON_SIMPLE, body_hash,
		    1795000000, 0, message.headers, message.header_count,
		    &policy};

		/* The message is verified as it is: no SMTP breaks. */
		body_hash_init(&hash, request.body_canon, 0);
		body_hash_update(&hash, message.body, message.body_length);
		body_hash_final(&hash, body_hash);
		body_hash_free(&hash);
		if (!signature_make(
		        &request, &value, &covered, error, sizeof(error))) {
			fprintf(stderr, "%s\n", error);
			return 1;
		}
	}
	printf("DKIM-Signature:%s\r\n", value.data);
	fwrite(input, 1, size, stdout);
	buffer_free(&value);
	header_policy_free(&policy);
	message_file_free(&message);
	signing_key_free(&key);
	return fflush(stdout) == 0 ? 0 : 1;
}
