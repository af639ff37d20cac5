/*
 * test_log_follow.c - the log follower on real files: appends, rotation,
 * gzip, truncation, long lines, resuming, standard input
 *
 * Files are written, renamed, truncated and gzipped for real (/bin/gzip,
 * as "postfix logrotate" does); the test drives log_follow_poll() itself
 * and waits on the inotify descriptor with poll(2), never with a sleep.
 */
#include "config.h"

#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log_follow.h"
#include "unit_test.h"
#include "xmalloc.h"

#define SEEN_MAX 64

struct seen {
	char *lines[SEEN_MAX];
	struct log_position after[SEEN_MAX];
	size_t count;
	size_t pause_after; /* 0: never */
};

static char directory[128];
static char path[192];
static struct seen seen;

static bool
remember(const char *line, size_t length, const struct log_position *after,
    void *context)
{
	struct seen *into = context;

	assert_true(into->count < SEEN_MAX);
	into->lines[into->count] = xstrndup(line, length);
	into->after[into->count++] = *after;
	return into->pause_after == 0 || into->count % into->pause_after != 0;
}

static void
forget(void)
{
	for (size_t i = 0; i < seen.count; i++)
		free(seen.lines[i]);
	memset(&seen, 0, sizeof(seen));
}

static void
run(const char *command)
{
	assert_int_equal(system(command), 0);
}

static int
setup(void **state)
{
	(void)state;
	if (!unit_temp_path(
	        directory, sizeof(directory), "waypost-follow-XXXXXX") ||
	    mkdtemp(directory) == NULL)
		return -1;
	snprintf(path, sizeof(path), "%s/maillog", directory);
	memset(&seen, 0, sizeof(seen));
	return 0;
}

static int
teardown(void **state)
{
	char command[256];

	(void)state;
	forget();
	snprintf(command, sizeof(command), "rm -rf '%s'", directory);
	return system(command) == 0 ? 0 : -1;
}

static void
append_to(const char *file, const char *text)
{
	int fd = open(file, O_WRONLY | O_APPEND | O_CREAT, 0644);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static void
named(char *into, size_t size, const char *suffix)
{
	snprintf(into, size, "%s%s", path, suffix);
}

static struct log_follow *
follow_from(const struct log_position *saved)
{
	char error[256] = "";
	struct log_follow *follow = log_follow_open(path, saved,
	    LOG_FOLLOW_FROM_BEGINNING, remember, &seen, error, sizeof(error));

	assert_non_null(follow);
	/* No quiet time after a rotation unless a test asks for one: the
	 * tests write the old file before they poll. */
	log_follow_set_quiet(follow, 0);
	return follow;
}

/* Poll until nothing more is there at once. */
static void
poll_all(struct log_follow *follow)
{
	int rounds = 0;

	while (log_follow_poll(follow))
		assert_true(++rounds < 1000);
}

static void
expect_lines(const char *const *expected, size_t count)
{
	for (size_t i = 0; i < count && i < seen.count; i++)
		assert_string_equal(seen.lines[i], expected[i]);
	assert_int_equal(seen.count, count);
}

#define EXPECT(...)                                                            \
	do {                                                                   \
		const char *const expected_[] = {__VA_ARGS__};                 \
		expect_lines(expected_, sizeof(expected_) / sizeof(char *));   \
	} while (0)

static void
test_appends_and_partial_lines(void **state)
{
	struct log_follow *follow;

	(void)state;
	append_to(path, "one\ntw");
	follow = follow_from(NULL);
	poll_all(follow);
	EXPECT("one");
	append_to(path, "o\n\nthree\n");
	poll_all(follow);
	EXPECT("one", "two", "", "three");
	assert_int_equal(seen.after[0].offset, 4);
	assert_int_equal(seen.after[1].offset, 8);
	assert_int_equal(seen.after[3].offset, 15);
	assert_true(seen.after[1].hash == log_line_hash("two", 3));
	assert_int_equal(log_follow_counters(follow).lines, 4);
	assert_int_equal(log_follow_counters(follow).bytes, 15);
	log_follow_close(follow);
}

static void
test_inotify_wakes_up(void **state)
{
	struct log_follow *follow;
	struct pollfd ready;

	(void)state;
	follow = follow_from(NULL); /* the file does not exist yet */
	poll_all(follow);
	ready.fd = log_follow_fd(follow);
	ready.events = POLLIN;
	assert_int_equal(poll(&ready, 1, 0), 0);
	append_to(path, "hello\n");
	assert_int_equal(poll(&ready, 1, 5000), 1);
	poll_all(follow);
	assert_int_equal(poll(&ready, 1, 0), 0);
	EXPECT("hello");
	log_follow_close(follow);
}

static void
test_pause_keeps_the_rest(void **state)
{
	struct log_follow *follow;

	(void)state;
	append_to(path, "a\nb\nc\nd\ne\n");
	seen.pause_after = 2;
	follow = follow_from(NULL);
	assert_true(log_follow_poll(follow));
	EXPECT("a", "b");
	poll_all(follow);
	EXPECT("a", "b", "c", "d", "e");
	log_follow_close(follow);
}

/* "postfix logrotate": rename, lines still written to the old file,
 * gzip at once (the plain name gone), the new file with the next line. */
static void
test_rotation_drains_the_old_file(void **state)
{
	char rotated[256], command[512];
	struct log_follow *follow;

	(void)state;
	named(rotated, sizeof(rotated), ".20261202-031500");
	append_to(path, "1\n2\n");
	follow = follow_from(NULL);
	poll_all(follow);
	assert_int_equal(rename(path, rotated), 0);
	append_to(rotated, "3\n4");
	poll_all(follow);
	/* An empty new file: the writer may still be on the old one. */
	append_to(path, "");
	append_to(rotated, "\n5\n");
	poll_all(follow);
	EXPECT("1", "2", "3", "4", "5");
	snprintf(command, sizeof(command), "/bin/gzip '%s'", rotated);
	run(command);
	append_to(path, "6\n");
	poll_all(follow);
	EXPECT("1", "2", "3", "4", "5", "6");
	assert_int_equal(log_follow_counters(follow).rotations, 1);
	log_follow_close(follow);
}

/* Postfix's reload: the old postlogd still writes a line to the renamed
 * file after the new one has written to the new file. The new file waits
 * until the old one has been quiet for the quiet time. */
static void
test_rotation_waits_for_the_old_writer(void **state)
{
	char rotated[256];
	struct log_follow *follow;

	(void)state;
	named(rotated, sizeof(rotated), ".1");
	append_to(path, "1\n");
	follow = follow_from(NULL);
	log_follow_set_quiet(follow, 60 * 1000);
	poll_all(follow);
	assert_int_equal(rename(path, rotated), 0);
	append_to(path, "new\n");
	append_to(rotated, "2\n");
	poll_all(follow);
	EXPECT("1", "2");
	append_to(rotated, "late\n");
	poll_all(follow);
	EXPECT("1", "2", "late");
	assert_int_equal(log_follow_counters(follow).rotations, 0);
	log_follow_set_quiet(follow, 0);
	poll_all(follow);
	EXPECT("1", "2", "late", "new");
	assert_int_equal(log_follow_counters(follow).rotations, 1);
	log_follow_close(follow);
}

/* A partial last line of the old file goes on when the file is left. */
static void
test_rotation_hands_on_a_partial_line(void **state)
{
	char rotated[256];
	struct log_follow *follow;

	(void)state;
	named(rotated, sizeof(rotated), ".1");
	append_to(path, "1\ncut");
	follow = follow_from(NULL);
	poll_all(follow);
	assert_int_equal(rename(path, rotated), 0);
	append_to(path, "2\n");
	poll_all(follow);
	EXPECT("1", "cut", "2");
	assert_int_equal(seen.after[1].offset, 5);
	log_follow_close(follow);
}

static void
test_truncation(void **state)
{
	struct log_follow *follow;

	(void)state;
	append_to(path, "first\nsecond\n");
	follow = follow_from(NULL);
	poll_all(follow);
	/* copytruncate, then a line shorter than what was read */
	assert_int_equal(truncate(path, 0), 0);
	append_to(path, "x\n");
	poll_all(follow);
	EXPECT("first", "second", "x");
	assert_int_equal(seen.after[2].offset, 2);
	/* truncated and written past the offset between two polls */
	assert_int_equal(truncate(path, 0), 0);
	append_to(path, "a much longer line\n");
	poll_all(follow);
	EXPECT("first", "second", "x", "a much longer line");
	assert_int_equal(log_follow_counters(follow).truncations, 2);
	log_follow_close(follow);
}

static void
test_long_line_is_skipped(void **state)
{
	size_t size = LOG_LINE_LENGTH_MAX + 5000;
	char *line = xmalloc(size + 1);
	struct log_follow *follow;

	(void)state;
	memset(line, 'x', size);
	line[size] = '\0';
	append_to(path, "before\n");
	/* in two parts, over two polls */
	line[size / 2] = '\0';
	append_to(path, line);
	follow = follow_from(NULL);
	poll_all(follow);
	line[size / 2] = 'x';
	append_to(path, line + size / 2);
	append_to(path, "\nafter\n");
	poll_all(follow);
	/* whole, in one poll, and exactly the longest that goes on */
	append_to(path, line);
	line[LOG_LINE_LENGTH_MAX] = '\0';
	append_to(path, "\n");
	append_to(path, line);
	append_to(path, "\nend\n");
	poll_all(follow);
	assert_int_equal(seen.count, 4);
	assert_string_equal(seen.lines[0], "before");
	assert_string_equal(seen.lines[1], "after");
	assert_int_equal(strlen(seen.lines[2]), LOG_LINE_LENGTH_MAX);
	assert_string_equal(seen.lines[3], "end");
	assert_int_equal(log_follow_counters(follow).long_lines, 2);
	free(line);
	log_follow_close(follow);
}

/* Stop after the second line: the saved position is that line's. */
static struct log_position
stop_after_two(void)
{
	struct log_follow *follow;
	struct log_position saved;

	unlink(path);
	append_to(path, "1\n2\n");
	follow = follow_from(NULL);
	poll_all(follow);
	assert_int_equal(seen.count, 2);
	saved = seen.after[1];
	log_follow_close(follow);
	forget();
	return saved;
}

static void
test_resume_same_file(void **state)
{
	struct log_position saved;
	struct log_follow *follow;

	(void)state;
	saved = stop_after_two();
	append_to(path, "3\n");
	follow = follow_from(&saved);
	poll_all(follow);
	EXPECT("3");
	log_follow_close(follow);
}

static void
test_resume_after_rename(void **state)
{
	char rotated[256];
	struct log_position saved;
	struct log_follow *follow;

	(void)state;
	named(rotated, sizeof(rotated), ".1");
	saved = stop_after_two();
	append_to(path, "3\n");
	assert_int_equal(rename(path, rotated), 0);
	append_to(path, "4\n");
	follow = follow_from(&saved);
	poll_all(follow);
	EXPECT("3", "4");
	log_follow_close(follow);
}

/* Restarted between the rename and the writer's first line in the new
 * file: the renamed file is still written to, and read to its end. */
static void
test_resume_before_the_new_file(void **state)
{
	char rotated[256];
	struct log_position saved;
	struct log_follow *follow;

	(void)state;
	named(rotated, sizeof(rotated), ".1");
	saved = stop_after_two();
	assert_int_equal(rename(path, rotated), 0);
	append_to(rotated, "3\n");
	follow = follow_from(&saved);
	poll_all(follow);
	append_to(rotated, "4\n");
	poll_all(follow);
	EXPECT("3", "4");
	append_to(path, "5\n");
	append_to(rotated, "late\n");
	poll_all(follow);
	EXPECT("3", "4", "late", "5");
	log_follow_close(follow);
}

/* Stopped before two rotations by "postfix logrotate": both rotated files
 * are gzipped, the first holds the saved line. */
static void
test_resume_after_rename_and_gzip(void **state)
{
	char first[256], second[256], command[1024];
	struct timespec times[2] = {{.tv_sec = 1000}, {.tv_sec = 1000}};
	struct log_position saved;
	struct log_follow *follow;

	(void)state;
	named(first, sizeof(first), ".20261202-031500");
	named(second, sizeof(second), ".20261202-031600");
	saved = stop_after_two();
	append_to(path, "3\n");
	assert_int_equal(rename(path, first), 0);
	assert_int_equal(utimensat(AT_FDCWD, first, times, 0), 0);
	append_to(path, "4\n");
	assert_int_equal(rename(path, second), 0);
	times[1].tv_sec = 2000;
	assert_int_equal(utimensat(AT_FDCWD, second, times, 0), 0);
	snprintf(
	    command, sizeof(command), "/bin/gzip '%s' '%s'", first, second);
	run(command);
	append_to(path, "5\n");
	follow = follow_from(&saved);
	poll_all(follow);
	EXPECT("3", "4", "5");
	/* A position read from the gzip copy resumes there again. */
	saved = seen.after[0];
	log_follow_close(follow);
	forget();
	follow = follow_from(&saved);
	poll_all(follow);
	EXPECT("4", "5");
	log_follow_close(follow);
}

/* Restarted while gzip compresses the rotated file: the plain file and
 * its .gz both exist, and the lines are read once. */
static void
test_resume_while_gzip_runs(void **state)
{
	char rotated[256], command[512];
	struct log_position saved;
	struct log_follow *follow;

	(void)state;
	named(rotated, sizeof(rotated), ".1");
	saved = stop_after_two();
	append_to(path, "3\n");
	assert_int_equal(rename(path, rotated), 0);
	snprintf(command, sizeof(command), "/bin/gzip -k '%s'", rotated);
	run(command);
	append_to(path, "4\n");
	follow = follow_from(&saved);
	poll_all(follow);
	EXPECT("3", "4");
	log_follow_close(follow);
}

/* logrotate's copytruncate: the saved line is found in the copy, by its
 * content, and the truncated file is read from its start. */
static void
test_resume_after_copytruncate(void **state)
{
	char copy[256], command[1024];
	struct log_position saved;
	struct log_follow *follow;

	(void)state;
	named(copy, sizeof(copy), ".1");
	saved = stop_after_two();
	append_to(path, "3\n");
	snprintf(command, sizeof(command), "cp '%s' '%s'", path, copy);
	run(command);
	assert_int_equal(truncate(path, 0), 0);
	append_to(path, "4\n");
	follow = follow_from(&saved);
	poll_all(follow);
	EXPECT("3", "4");
	log_follow_close(follow);
}

/* The file was replaced by another with other lines, and no rotated file
 * holds the saved line: read from the beginning, not from the end. */
static void
test_resume_replaced_file_starts_at_zero(void **state)
{
	struct log_position saved;
	struct log_follow *follow;

	(void)state;
	saved = stop_after_two();
	assert_int_equal(unlink(path), 0);
	append_to(path, "new 1\nnew 2\nnew 3\n");
	follow = follow_from(&saved);
	poll_all(follow);
	EXPECT("new 1", "new 2", "new 3");
	log_follow_close(follow);
	forget();
	/* The same inode written over (copytruncate, then longer lines). */
	saved = stop_after_two();
	assert_int_equal(truncate(path, 0), 0);
	append_to(path, "x\ny\nz\n");
	follow = follow_from(&saved);
	poll_all(follow);
	EXPECT("x", "y", "z");
	log_follow_close(follow);
}

static void
test_from_end(void **state)
{
	char error[256];
	struct log_follow *follow;

	(void)state;
	append_to(path, "old\nhalf");
	follow = log_follow_open(path, NULL, LOG_FOLLOW_FROM_END, remember,
	    &seen, error, sizeof(error));
	assert_non_null(follow);
	append_to(path, " done\n");
	poll_all(follow);
	EXPECT("half done");
	log_follow_close(follow);
}

static void
test_standard_input(void **state)
{
	char error[256];
	int pipe_fds[2], saved_stdin = dup(STDIN_FILENO);
	struct log_follow *follow;

	(void)state;
	assert_int_equal(pipe(pipe_fds), 0);
	assert_int_equal(dup2(pipe_fds[0], STDIN_FILENO), STDIN_FILENO);
	close(pipe_fds[0]);
	follow = log_follow_open("-", NULL, LOG_FOLLOW_FROM_BEGINNING, remember,
	    &seen, error, sizeof(error));
	assert_non_null(follow);
	assert_int_equal(log_follow_fd(follow), STDIN_FILENO);
	poll_all(follow); /* nothing there: must not block */
	assert_int_equal(write(pipe_fds[1], "a\nb\nc", 5), 5);
	poll_all(follow);
	EXPECT("a", "b");
	assert_false(log_follow_ended(follow));
	close(pipe_fds[1]);
	poll_all(follow);
	EXPECT("a", "b", "c");
	assert_true(log_follow_ended(follow));
	log_follow_close(follow);
	dup2(saved_stdin, STDIN_FILENO);
	close(saved_stdin);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_appends_and_partial_lines, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_inotify_wakes_up, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_pause_keeps_the_rest, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_rotation_drains_the_old_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_rotation_waits_for_the_old_writer, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_rotation_hands_on_a_partial_line, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_truncation, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_long_line_is_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resume_same_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resume_after_rename, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resume_before_the_new_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resume_after_rename_and_gzip, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resume_while_gzip_runs, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resume_after_copytruncate, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_resume_replaced_file_starts_at_zero, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_from_end, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_standard_input, setup, teardown),
	};

	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
