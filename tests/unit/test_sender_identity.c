/*
 * test_sender_identity.c - the Redis key and members of a user's sender
 * identities, and the identities file
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sender_identity.h"
#include "table_lines.h"
#include "unit_test.h"
#include "assert_errors.h"

static struct config_errors errors;

static bool
parse(const char *text, struct identity_file *table)
{
	memset(&errors, 0, sizeof(errors));
	return identity_file_parse(
	    "identities", text, strlen(text), table, &errors);
}

static bool
allows(const struct identity_file *table, const char *user, const char *address)
{
	struct identity_members members;

	assert_true(
	    sender_identity_members(address, strlen(address), &members));
	return identity_file_allows(table, user, &members);
}

static void
test_key(void **state)
{
	struct buffer key = {0};
	char long_user[IDENTITY_USER_MAX + 2];

	(void)state;
	assert_true(sender_identity_key("waypost:", "Alice@Example.COM", &key));
	assert_string_equal(key.data, "waypost:senders:{alice@example.com}");
	assert_true(sender_identity_key("", "bob", &key));
	assert_string_equal(key.data, "senders:{bob}");
	assert_false(sender_identity_key("waypost:", "", &key));
	assert_false(sender_identity_key("waypost:", "a b", &key));
	assert_false(sender_identity_key("waypost:", "a\r\nDEL x", &key));
	memset(long_user, 'u', sizeof(long_user) - 1);
	long_user[sizeof(long_user) - 1] = '\0';
	assert_false(sender_identity_key("waypost:", long_user, &key));
	long_user[IDENTITY_USER_MAX] = '\0';
	assert_true(sender_identity_key("waypost:", long_user, &key));
	buffer_free(&key);
}

static void
test_members(void **state)
{
	struct identity_members members;
	const char *quoted = "\"x@y\"@Example.org";

	(void)state;
	assert_true(sender_identity_members("Bob@Example.NET", 15, &members));
	assert_string_equal(members.address, "bob@example.net");
	assert_string_equal(members.domain, "@example.net");
	/* Only the first length bytes count. */
	assert_true(sender_identity_members("a@b.example>junk", 11, &members));
	assert_string_equal(members.address, "a@b.example");
	/* The domain follows the last "@". */
	assert_true(sender_identity_members(quoted, strlen(quoted), &members));
	assert_string_equal(members.domain, "@example.org");
	assert_false(sender_identity_members("nobody", 6, &members));
	assert_false(sender_identity_members("@example.org", 12, &members));
	assert_false(sender_identity_members("a@", 2, &members));
	assert_false(sender_identity_members("a b@example.org", 15, &members));
	assert_false(sender_identity_members("", 0, &members));
	/* x@example.org. is x@example.org, as Postfix delivers it; a dot
	 * after a dot is no label's and stays. */
	assert_true(sender_identity_members("X@Example.ORG.", 14, &members));
	assert_string_equal(members.address, "x@example.org");
	assert_string_equal(members.domain, "@example.org");
	assert_true(sender_identity_members("x@example.org..", 15, &members));
	assert_string_equal(members.domain, "@example.org..");
}

static void
test_file(void **state)
{
	struct identity_file table;

	(void)state;
	assert_true(
	    parse("# user grants\n\n"
	          "Alice@Example.com  alice@example.com, @Alice.example\n"
	          "bob bob@example.net   # comment\r\n"
	          "alice@example.com sales@example.com\n",
	        &table));
	assert_int_equal(table.count, 4);
	assert_true(allows(&table, "alice@example.com", "Alice@example.com"));
	assert_true(allows(&table, "ALICE@example.com", "sales@example.com"));
	assert_true(allows(&table, "alice@example.com", "x@alice.example"));
	assert_false(
	    allows(&table, "alice@example.com", "x@sub.alice.example"));
	assert_false(allows(&table, "alice@example.com", "bob@example.net"));
	assert_true(allows(&table, "bob", "bob@example.net"));
	assert_false(allows(&table, "bob2", "bob@example.net"));
	assert_false(allows(&table, "", "bob@example.net"));
	identity_file_free(&table);

	assert_true(parse("", &table));
	assert_int_equal(table.count, 0);
	assert_false(allows(&table, "bob", "bob@example.net"));
	identity_file_free(&table);
}

/* "u a@aaaa...", length bytes long, must be refused saying error. */
static void
refused_long_line(size_t length, const char *error)
{
	struct identity_file table;
	char *line = malloc(length + 1);

	memset(line, 'a', length);
	memcpy(line, "u a@", 4);
	line[length] = '\0';
	assert_false(parse(line, &table));
	assert_config_error(&errors, error);
	identity_file_free(&table);
	free(line);
}

static void
test_file_errors(void **state)
{
	struct identity_file table;

	(void)state;
	assert_false(parse("alice\n", &table));
	assert_config_error(&errors, "identities:1: expected \"user address");
	identity_file_free(&table);
	assert_false(parse("ok a@b\nalice nobody\n", &table));
	assert_config_error(&errors,
	    "identities:2: \"nobody\" is neither an address nor @domain");
	identity_file_free(&table);
	assert_false(parse("alice a@b@c\n", &table));
	assert_config_error(&errors, "neither an address");
	identity_file_free(&table);
	assert_false(parse("alice @\n", &table));
	assert_config_error(&errors, "neither an address");
	identity_file_free(&table);
	memset(&errors, 0, sizeof(errors));
	assert_false(identity_file_parse(
	    "identities", "alice a@b\0c\n", 12, &table, &errors));
	assert_config_error(&errors, "NUL byte");
	identity_file_free(&table);
	assert_false(parse("\x01x a@b\n", &table));
	assert_config_error(&errors, "is not a user name");
	identity_file_free(&table);
	refused_long_line(
	    TABLE_LINE_MAX + 10, "identities:1: line longer than");
	refused_long_line(IDENTITY_ADDRESS_MAX + 10, "neither an address");
}

static void
test_file_load(void **state)
{
	struct identity_file table;
	char path[128];
	int fd;

	(void)state;
	assert_true(
	    unit_temp_path(path, sizeof(path), "waypost-identities-XXXXXX"));
	fd = mkstemp(path);
	assert_true(write(fd, "carol carol@example.org\n", 24) == 24);
	close(fd);
	memset(&errors, 0, sizeof(errors));
	assert_true(identity_file_load(path, &table, &errors));
	assert_true(allows(&table, "carol", "carol@example.org"));
	identity_file_free(&table);
	unlink(path);
	assert_false(identity_file_load(path, &table, &errors));
	assert_config_error(&errors, "cannot open");
	identity_file_free(&table);
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_key),
    cmocka_unit_test(test_members),
    cmocka_unit_test(test_file),
    cmocka_unit_test(test_file_errors),
    cmocka_unit_test(test_file_load),
};

UNIT_TEST_MAIN(tests)
