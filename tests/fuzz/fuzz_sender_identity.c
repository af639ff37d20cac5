/*
 * fuzz_sender_identity.c - fuzz target: the sender identities file, and
 * the Redis key and members made from untrusted names
 *
 * The input is parsed as an identities file; then its first line is
 * taken as a user name (the SMTP AUTH name a client chose) and its
 * second as an address (a From header's addr-spec): both go through
 * sender_identity_key() and sender_identity_members(), and are looked
 * up in the table just parsed. An address's members are its
 * normalized form (lib/mail_domain.c): normalizing them again changes
 * nothing.
 */
#include "config.h"

#include <string.h>

#include "fuzz.h"
#include "sender_identity.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config_errors errors;
	struct identity_file table;
	struct identity_members members;
	struct buffer key = {0};
	char user[IDENTITY_USER_MAX * 2];
	const char *text = (const char *)data;
	const char *newline = memchr(text, '\n', size);
	size_t user_length = newline ? (size_t)(newline - text) : size;
	const char *address = newline ? newline + 1 : text + size;
	size_t address_length = (size_t)(text + size - address);

	memset(&errors, 0, sizeof(errors));
	identity_file_parse("identities", text, size, &table, &errors);
	if (user_length >= sizeof(user))
		user_length = sizeof(user) - 1;
	memcpy(user, text, user_length);
	user[user_length] = '\0';
	if (sender_identity_key("waypost:", user, &key))
		for (size_t i = strlen("waypost:senders:{"); i < key.length;
		     i++)
			if (key.data[i] >= 'A' && key.data[i] <= 'Z')
				__builtin_trap(); /* keys are lower case */
	if (memchr(address, '\0', address_length) == NULL &&
	    sender_identity_members(address, address_length, &members)) {
		struct identity_members again;
		size_t length = strlen(members.address);

		/* Normalized: at most one trailing dot gone, and for good. */
		if ((length != address_length &&
		        length + 1 != address_length) ||
		    members.domain[0] != '@' ||
		    !sender_identity_members(members.address, length, &again) ||
		    strcmp(again.address, members.address) != 0 ||
		    strcmp(again.domain, members.domain) != 0)
			__builtin_trap();
		identity_file_allows(&table, user, &members);
	}
	buffer_free(&key);
	identity_file_free(&table);
	return 0;
}
