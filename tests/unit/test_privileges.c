/*
 * test_privileges.c - switch from root to a user, and root stays gone
 */
#include "config.h"

#include <pwd.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "privileges.h"
#include "unit_test.h"

static char error[256];

static void
test_lookup(void **state)
{
	struct privileges target;
	struct passwd *nobody = getpwnam("nobody");

	(void)state;
	assert_non_null(nobody);
	assert_true(privileges_lookup("nobody", &target, error, sizeof(error)));
	assert_string_equal(target.name, "nobody");
	assert_int_equal(target.uid, nobody->pw_uid);
	assert_int_equal(target.gid, nobody->pw_gid);
	assert_false(
	    privileges_lookup("no-such-user-x", &target, error, sizeof(error)));
	assert_string_equal(error, "no such user \"no-such-user-x\"");
}

/* In a child: drop to nobody, then try to get root back. */
static int
drop_in_child(void)
{
	struct privileges target;

	if (!privileges_lookup("nobody", &target, error, sizeof(error)) ||
	    !privileges_drop(&target, error, sizeof(error)))
		return 1;
	if (getuid() != target.uid || geteuid() != target.uid ||
	    getgid() != target.gid || getegid() != target.gid)
		return 2;
	if (setuid(0) == 0 || seteuid(0) == 0)
		return 3;
	if (getgroups(0, NULL) > 1)
		return 4; /* root's supplementary groups must be gone */
	return 0;
}

static void
test_drop_from_root(void **state)
{
	int status;
	pid_t child;

	(void)state;
	if (geteuid() != 0)
		skip();
	child = fork();
	if (child == 0)
		_exit(drop_in_child());
	waitpid(child, &status, 0);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

static void
test_non_root_may_only_stay_itself(void **state)
{
	struct privileges self, other;
	struct passwd *me = getpwuid(geteuid());

	(void)state;
	assert_non_null(me);
	assert_true(
	    privileges_lookup(me->pw_name, &self, error, sizeof(error)));
	assert_true(privileges_drop(&self, error, sizeof(error)));
	if (geteuid() == 0)
		return; /* root may switch to anyone: covered above */
	assert_true(privileges_lookup("root", &other, error, sizeof(error)));
	assert_false(privileges_drop(&other, error, sizeof(error)));
	assert_string_equal(
	    error, "cannot switch to user root: not running as root");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lookup),
    cmocka_unit_test(test_drop_from_root),
    cmocka_unit_test(test_non_root_may_only_stay_itself),
};

UNIT_TEST_MAIN(tests)
