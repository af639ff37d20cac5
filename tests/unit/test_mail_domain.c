/*
 * test_mail_domain.c - one form of a domain, and of a suppressed address
 */
#include "config.h"

#include <string.h>

#include "mail_domain.h"
#include "unit_test.h"

static void
test_a_domain_in_lower_case_without_its_final_dot(void **state)
{
	char text[64];

	(void)state;
	strcpy(text, "Mail.Example.ORG.");
	assert_int_equal(mail_domain_normalize(text, strlen(text)), 16);
	assert_string_equal(text, "mail.example.org");
	strcpy(text, "example.org..");
	mail_domain_normalize(text, strlen(text));
	assert_string_equal(text, "example.org..");
	strcpy(text, ".");
	mail_domain_normalize(text, strlen(text));
	assert_string_equal(text, ".");
	strcpy(text, "Bob@Example.ORG.");
	mail_address_normalize(text, strlen(text));
	assert_string_equal(text, "Bob@example.org");
}

/* A suppression's address: the local part too, in lower case. */
static void
test_an_address_folded_whole(void **state)
{
	char out[24];

	(void)state;
	assert_true(mail_address_folded("Bob@Example.NET.", out, sizeof(out)));
	assert_string_equal(out, "bob@example.net");
	assert_true(mail_address_folded("POSTMASTER", out, sizeof(out)));
	assert_string_equal(out, "postmaster");
	/* 24 bytes and its NUL do not fit in 24; 23 do. */
	assert_false(
	    mail_address_folded("0123456789@example.co.uk", out, sizeof(out)));
	assert_string_equal(out, "");
	assert_true(
	    mail_address_folded("012345678@Example.co.uk", out, sizeof(out)));
	assert_string_equal(out, "012345678@example.co.uk");
	assert_false(mail_address_folded("", out, sizeof(out)));
	assert_string_equal(out, "");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_a_domain_in_lower_case_without_its_final_dot),
    cmocka_unit_test(test_an_address_folded_whole),
};

UNIT_TEST_MAIN(tests)
