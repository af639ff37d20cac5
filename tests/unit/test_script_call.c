/*
 * test_script_call.c - decide_script.lua in a real Redis, on a clock the
 * test sets: windows, warm-up days and the compromise detector without
 * waiting, through script_call.c's typed contract both ways
 *
 * A private redis-server on a unix socket in a temporary directory runs
 * the script as make-script.sh makes it with tests/unit/script_test_clock.lua:
 * "now" is the call's last argument. The clock starts at Redis' own time
 * (the script's expiries are absolute, PEXPIREAT, so a clock in the past
 * would expire what it writes at once) and only moves forward.
 */
#include "config.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "decide_script.h"
#include "limit_usage.h"
#include "script_call.h"
#include "unit_test.h"

#define PREFIX "t:"
#define HOUR   3600000LL
#define DAY    86400000LL

static char directory[256];
static pid_t server;
static redisContext *redis;
static long long now;
static unsigned long long messages;

static void
wait_for_redis(const char *socket_path)
{
	/* Waits for the socket to answer, an event, at most 20 s. */
	for (int tries = 0; tries < 2000; tries++) {
		redis = redisConnectUnix(socket_path);
		if (redis != NULL && redis->err == 0) {
			redisReply *reply = redisCommand(redis, "PING");
			bool up =
			    reply != NULL && reply->type == REDIS_REPLY_STATUS;

			freeReplyObject(reply);
			if (up)
				return;
		}
		redisFree(redis);
		redis = NULL;
		usleep(10000);
	}
	fprintf(stderr, "redis-server did not answer on %s\n", socket_path);
	exit(1);
}

static int
start_redis(void **state)
{
	const char *tmp = getenv("TMPDIR");
	char socket_path[300];

	(void)state;
	snprintf(directory, sizeof(directory), "%s/waypost-script-XXXXXX",
	    tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
	if (mkdtemp(directory) == NULL)
		return -1;
	snprintf(socket_path, sizeof(socket_path), "%s/redis.sock", directory);
	server = fork();
	if (server == 0) {
		char log_path[300];
		int log;

		/* Its lines would mix with the TAP lines. */
		snprintf(log_path, sizeof(log_path), "%s/redis.log", directory);
		log = open(log_path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
		if (log >= 0) {
			dup2(log, STDOUT_FILENO);
			dup2(log, STDERR_FILENO);
		}
		execlp("redis-server", "redis-server", "--port", "0",
		    "--unixsocket", socket_path, "--dir", directory, "--save",
		    "", "--appendonly", "no", "--loglevel", "warning",
		    (char *)NULL);
		_exit(127);
	}
	if (server < 0)
		return -1;
	wait_for_redis(socket_path);
	return 0;
}

static int
stop_redis(void **state)
{
	char command[300];

	(void)state;
	redisFree(redis);
	kill(server, SIGTERM);
	waitpid(server, NULL, 0);
	snprintf(command, sizeof(command), "rm -rf '%s'", directory);
	return system(command) == 0 ? 0 : -1;
}

/* Each test: an empty Redis, the clock at Redis' time. */
static int
fresh(void **state)
{
	redisReply *reply = redisCommand(redis, "FLUSHALL");

	(void)state;
	freeReplyObject(reply);
	reply = redisCommand(redis, "TIME");
	now = atoll(reply->element[0]->str) * 1000 +
	      atoll(reply->element[1]->str) / 1000;
	freeReplyObject(reply);
	return 0;
}

/* The words of a call at the clock's time, as waypost-policyd sends
 * them: Redis' reply, to free. */
static redisReply *
evaluate_words(struct script_words *words)
{
	const char **argv;
	size_t *lengths, at = 0;
	redisReply *reply;

	script_word(words, "%lld", now); /* the test clock */
	argv = calloc(words->count + 2, sizeof(*argv));
	lengths = calloc(words->count + 2, sizeof(*lengths));
	argv[0] = "EVAL";
	lengths[0] = 4;
	argv[1] = decide_script;
	lengths[1] = strlen(decide_script);
	for (size_t i = 0; i < words->count; i++) {
		argv[i + 2] = words->text.data + at;
		lengths[i + 2] = words->lengths[i];
		at += words->lengths[i];
	}
	reply = redisCommandArgv(redis, (int)words->count + 2, argv, lengths);
	free(argv);
	free(lengths);
	script_words_free(words);
	return reply;
}

/* One call at the clock's time: Redis' reply, to free. */
static redisReply *
evaluate(const struct script_call *call)
{
	struct script_words words = {0};

	script_call_words(call, PREFIX, &words);
	return evaluate_words(&words);
}

/* The words of a call, at the clock's time: the answer. */
static void
run_words(struct script_words *words, size_t limit_count,
    struct script_answer *answer)
{
	redisReply *reply = evaluate_words(words);

	script_answer_read(reply, redis->errstr, limit_count, answer);
	if (answer->outcome == SCRIPT_UNAVAILABLE)
		print_message("# unavailable: %s\n", answer->reason);
	freeReplyObject(reply);
}

/* One call at the clock's time, as waypost-policyd makes it. */
static void
run(const struct script_call *call, struct script_answer *answer)
{
	struct script_words words = {0};

	script_call_words(call, PREFIX, &words);
	run_words(&words, call->limit_count, answer);
}

/* A dry run: its answer and details. */
static void
run_dry(const struct script_call *call, struct script_answer *answer,
    struct script_details *details)
{
	redisReply *reply = evaluate(call);

	script_dry_run_read(
	    reply, redis->errstr, call->limit_count, answer, details);
	if (answer->outcome == SCRIPT_UNAVAILABLE)
		print_message("# unavailable: %s\n", answer->reason);
	freeReplyObject(reply);
}

/* A message of alice's, a new instance each time. */
static struct script_call
message(bool charge, const struct script_limit *limits, size_t count)
{
	static char instance[64];

	snprintf(instance, sizeof(instance), "test.%llu", ++messages);
	return (struct script_call){
	    .charge = charge,
	    .instance = instance,
	    .user = "alice@example.com",
	    .sender = "alice@example.com",
	    .sender_domain = "@example.com",
	    .client = "192.0.2.1",
	    .detector_window_ms = HOUR,
	    .detector_max_addresses = 5,
	    .detector_max_failures = 10,
	    .limits = limits,
	    .limit_count = count,
	};
}

static enum script_outcome
charge_one(const struct script_limit *limit, struct script_answer *answer)
{
	struct script_call call = message(true, limit, 1);

	run(&call, answer);
	return answer->outcome;
}

static long long
integer_of(const char *format, const char *key)
{
	redisReply *reply = redisCommand(redis, format, key);
	long long value = reply->type == REDIS_REPLY_INTEGER ? reply->integer
	                  : reply->type == REDIS_REPLY_STRING
	                      ? atoll(reply->str)
	                      : -1;

	freeReplyObject(reply);
	return value;
}

/* 100 per 20 s: 100 at once; none more until the bucket they are in has
 * left the window, at its end plus 20 s; then 100 again. The refusal
 * says how long that is. */
static void
test_sliding_window(void **state)
{
	const struct script_limit burst = {
	    "burst", "alice@example.com", 100, 20000, 1};
	long long start, bucket_end;
	struct script_answer answer;

	(void)state;
	for (int i = 0; i < 100; i++)
		assert_int_equal(charge_one(&burst, &answer), SCRIPT_PASSED);
	start = now;
	bucket_end = (start / 1000 + 1) * 1000;
	assert_int_equal(charge_one(&burst, &answer), SCRIPT_LIMIT_REACHED);
	assert_int_equal(answer.limit, 0);
	assert_int_equal(answer.count, 100);
	assert_int_equal(answer.max, 100);
	assert_int_equal(
	    answer.seconds, (bucket_end + 20000 - now + 999) / 1000);
	now = start + 10000;
	assert_int_equal(charge_one(&burst, &answer), SCRIPT_LIMIT_REACHED);
	now = bucket_end + 20000 - 1;
	assert_int_equal(charge_one(&burst, &answer), SCRIPT_LIMIT_REACHED);
	now = bucket_end + 20000;
	for (int i = 0; i < 100; i++)
		assert_int_equal(charge_one(&burst, &answer), SCRIPT_PASSED);
	assert_int_equal(charge_one(&burst, &answer), SCRIPT_LIMIT_REACHED);
	assert_int_equal(
	    integer_of("HGET %s sum", PREFIX "limit:burst:{alice@example.com}"),
	    100);
}

/* A check charges nothing, and says how much room is left. */
static void
test_check_reports_room(void **state)
{
	const struct script_limit hourly = {
	    "hourly", "alice@example.com", 10, HOUR, 1};
	struct script_call call = message(false, &hourly, 1);
	struct script_answer answer;

	(void)state;
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_PASSED);
	assert_int_equal(answer.room, 9);
	for (int i = 0; i < 4; i++)
		charge_one(&hourly, &answer);
	assert_int_equal(answer.room, 6);
	run(&call, &answer);
	assert_int_equal(answer.room, 5);
	assert_int_equal(integer_of("HGET %s sum",
	                     PREFIX "limit:hourly:{alice@example.com}"),
	    4);
}

/* A counter expires when its newest bucket leaves the window: at
 * (bucket + 1) * g + window, set at a bucket's first charge. */
static void
test_counter_expires_with_its_newest_bucket(void **state)
{
	const struct script_limit minute = {
	    "minute", "alice@example.com", 1000, 60000, 1};
	const char *key = PREFIX "limit:minute:{alice@example.com}";
	struct script_answer answer;
	long long first;

	(void)state;
	charge_one(&minute, &answer);
	first = (now / 1000 + 1) * 1000 + 60000;
	assert_int_equal(integer_of("PEXPIRETIME %s", key), first);
	now += 1000;
	charge_one(&minute, &answer);
	assert_int_equal(integer_of("PEXPIRETIME %s", key), first + 1000);
	now += 30000;
	charge_one(&minute, &answer);
	assert_int_equal(integer_of("PEXPIRETIME %s", key), first + 31000);
	assert_int_equal(integer_of("HGET %s sum", key), 3);
}

/* A message charged twice is charged once and answered the same, a
 * refusal too. */
static void
test_a_message_is_charged_once(void **state)
{
	const struct script_limit two = {
	    "two", "alice@example.com", 2, HOUR, 1};
	struct script_call call = message(true, &two, 1);
	struct script_answer answer;

	(void)state;
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_PASSED);
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_CHARGED_BEFORE);
	charge_one(&two, &answer);
	call = message(true, &two, 1);
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_LIMIT_REACHED);
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_LIMIT_REACHED);
	assert_int_equal(answer.count, 2);
	assert_int_equal(answer.max, 2);
	assert_int_equal(
	    integer_of("HGET %s sum", PREFIX "limit:two:{alice@example.com}"),
	    2);
}

/* Caps 3, then 5, then none, by Redis' days since the first message. */
static void
test_warmup_days(void **state)
{
	const struct config_list schedule = {
	    3, (char *[]){"3", "5", "unlimited"}};
	struct script_call call;
	struct script_answer answer;
	int passed;

	(void)state;
	for (int day = 0; day < 3; day++) {
		for (passed = 0; passed < 200; passed++) {
			call = (struct script_call){
			    .charge = true,
			    .instance = "",
			    .asks = SCRIPT_ASKS_WARMUP,
			    .user = "",
			    .sender = "a@example.com",
			    .sender_domain = "@example.com",
			    .client = "",
			    .detector_window_ms = HOUR,
			    .warmup_name = "new",
			    .warmup_subject = "example.com",
			    .warmup_schedule = &schedule,
			};
			run(&call, &answer);
			if (answer.outcome != SCRIPT_PASSED)
				break;
		}
		if (day < 2) {
			assert_int_equal(passed, day == 0 ? 3 : 5);
			assert_int_equal(answer.outcome, SCRIPT_WARMUP_CAP);
			assert_int_equal(answer.day, day);
			assert_int_equal(answer.cap, passed);
			assert_int_equal(answer.sent, passed);
		} else {
			assert_int_equal(passed, 200);
		}
		now += DAY;
	}
}

/* What waypostctl reads (limit_usage.c): the script's own count, the
 * override, the seconds of its refusal; and it writes nothing. */
static void
test_usage_reads_as_the_script_decides(void **state)
{
	const struct limit_section section = {
	    .name = "burst", .window = 20000, .max = 100};
	const struct script_limit burst = {
	    "burst", "alice@example.com", 100, 20000, 1};
	const char *key = PREFIX "limit:burst:{alice@example.com}";
	struct script_words words = {0};
	struct script_answer answer, refusal;
	redisReply *before, *after;
	long long keys;

	(void)state;
	for (int i = 0; i < 60; i++)
		charge_one(&burst, &answer);
	now += 5000;
	for (int i = 0; i < 40; i++)
		charge_one(&burst, &answer);
	charge_one(&burst, &refusal);
	assert_int_equal(refusal.outcome, SCRIPT_LIMIT_REACHED);
	before = redisCommand(redis, "HGETALL %s", key);
	keys = integer_of("DBSIZE%s", "");
	limit_usage_words(
	    &section, "alice@example.com", LIMIT_USAGE_ALL, PREFIX, &words);
	run_words(&words, 1, &answer);
	assert_int_equal(answer.outcome, SCRIPT_LIMIT_REACHED);
	assert_int_equal(answer.count, 100);
	assert_int_equal(answer.max, 100);
	limit_usage_words(&section, "alice@example.com", 1, PREFIX, &words);
	run_words(&words, 1, &answer);
	assert_int_equal(answer.outcome, SCRIPT_LIMIT_REACHED);
	assert_int_equal(answer.seconds, refusal.seconds);
	/* Past the first bucket, 60 have left the window. */
	now += refusal.seconds * 1000;
	limit_usage_words(
	    &section, "alice@example.com", LIMIT_USAGE_ALL, PREFIX, &words);
	run_words(&words, 1, &answer);
	assert_int_equal(answer.count, 40);
	freeReplyObject(redisCommand(
	    redis, "HSET %s burst 7", PREFIX "override:{alice@example.com}"));
	limit_usage_words(
	    &section, "alice@example.com", LIMIT_USAGE_ALL, PREFIX, &words);
	run_words(&words, 1, &answer);
	assert_int_equal(answer.max, 7);
	after = redisCommand(redis, "HGETALL %s", key);
	assert_int_equal(after->elements, before->elements);
	for (size_t i = 0; i < after->elements; i++)
		assert_string_equal(
		    after->element[i]->str, before->element[i]->str);
	assert_int_equal(integer_of("DBSIZE%s", ""), keys + 1); /* override */
	freeReplyObject(before);
	freeReplyObject(after);
}

/* waypostctl warmup show reads the warm-up key as the script does:
 * the day, the cap and what was sent agree with the script's refusal,
 * day after day. */
static void
test_warmup_usage_agrees_with_the_script(void **state)
{
	char *caps[] = {"3", "5", "unlimited"};
	struct warmup_section section = {.name = "new"};
	struct script_call call;
	struct script_answer answer;
	struct warmup_usage usage;
	redisReply *state_reply;

	(void)state;
	section.schedule = (struct config_list){3, caps};
	warmup_usage_read(&section, NULL, now / DAY, &usage);
	assert_false(usage.started);
	assert_int_equal(usage.cap, 3);
	for (int day = 0; day < 3; day++) {
		int passed = 0;

		for (; passed < 20; passed++) {
			call = (struct script_call){
			    .charge = true,
			    .instance = "",
			    .asks = SCRIPT_ASKS_WARMUP,
			    .user = "",
			    .sender = "a@example.com",
			    .sender_domain = "@example.com",
			    .client = "",
			    .detector_window_ms = HOUR,
			    .warmup_name = "new",
			    .warmup_subject = "example.com",
			    .warmup_schedule = &section.schedule,
			};
			state_reply = redisCommand(
			    redis, "GET %s", PREFIX "warmup:new:{example.com}");
			warmup_usage_read(&section,
			    state_reply->type == REDIS_REPLY_STRING
			        ? state_reply->str
			        : NULL,
			    now / DAY, &usage);
			freeReplyObject(state_reply);
			run(&call, &answer);
			assert_int_equal(usage.day, day);
			assert_int_equal(usage.sent, passed);
			if (answer.outcome != SCRIPT_PASSED)
				break;
			assert_true(usage.cap < 0 || usage.sent < usage.cap);
		}
		if (day < 2) {
			assert_int_equal(answer.outcome, SCRIPT_WARMUP_CAP);
			assert_int_equal(usage.cap, answer.cap);
			assert_int_equal(usage.sent, answer.sent);
			assert_int_equal(usage.day, answer.day);
		} else
			assert_int_equal(usage.cap, -1);
		now += DAY;
	}
}

/* More than 5 client addresses in an hour suspend the user; addresses
 * older than the window (and at most a sixth more) are forgotten. */
static void
test_compromise_window(void **state)
{
	char client[32];
	struct script_call call;
	struct script_answer answer;
	redisReply *reply;

	(void)state;
	for (int round = 0; round < 2; round++) {
		for (int i = 1; i <= 5; i++) {
			call = message(false, NULL, 0);
			call.asks = SCRIPT_ASKS_COMPROMISE;
			snprintf(
			    client, sizeof(client), "10.%d.0.%d", round, i);
			call.client = client;
			run(&call, &answer);
			assert_int_equal(answer.outcome, SCRIPT_PASSED);
		}
		/* Past the window and the sixth the detector may keep. */
		now += HOUR + HOUR / 6 + 1;
	}
	now -= HOUR + HOUR / 6 + 1;
	call = message(false, NULL, 0);
	call.asks = SCRIPT_ASKS_COMPROMISE;
	call.client = "10.1.0.6";
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_COMPROMISED);
	assert_true(answer.by_addresses);
	assert_int_equal(answer.count, 6);
	reply = redisCommand(
	    redis, "GET %s", PREFIX "suspended:user:{alice@example.com}");
	assert_string_equal(reply->str, "auto: 6 client addresses in 1h");
	freeReplyObject(reply);
}

/* Every account answer comes back typed. */
static void
test_account_answers(void **state)
{
	struct script_call call = message(false, NULL, 0);
	struct script_answer answer;
	redisReply *reply;

	(void)state;
	call.asks = SCRIPT_ASKS_SUSPENSION | SCRIPT_ASKS_OWNERSHIP;
	reply = redisCommand(redis, "SADD %s %s",
	    PREFIX "senders:{alice@example.com}", "@example.com");
	freeReplyObject(reply);
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_PASSED);
	call.sender = "x@example.org";
	call.sender_domain = "@example.org";
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_NOT_OWNED);
	reply = redisCommand(
	    redis, "SET %s %s", PREFIX "suspended:domain:example.org", "abuse");
	freeReplyObject(reply);
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_SUSPENDED);
	assert_false(answer.by_user);
	assert_string_equal(answer.reason, "abuse");
	reply = redisCommand(redis, "SET %s %s",
	    PREFIX "suspended:user:{alice@example.com}", "review");
	freeReplyObject(reply);
	run(&call, &answer);
	assert_true(answer.by_user);
	assert_string_equal(answer.reason, "review");
}

static void
set_key(const char *key, const char *value)
{
	redisReply *reply = redisCommand(redis, "SET %s %s", key, value);

	assert_non_null(reply);
	freeReplyObject(reply);
}

/* A recipient suppressed for the tenant, or for every tenant, is
 * refused; another tenant's suppression is not this one's; the
 * tenant's entry comes first; nothing is asked unless the call asks. */
static void
test_suppression(void **state)
{
	struct script_call call = message(false, NULL, 0);
	struct script_answer answer;

	(void)state;
	call.tenant = "alice@example.com";
	call.recipient = "bob@example.org";
	call.asks = SCRIPT_ASKS_SUPPRESSION;
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_PASSED);
	set_key(PREFIX "suppressed:{carol@example.com}:bob@example.org",
	    "1764547200 carol's");
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_PASSED);
	set_key(PREFIX "suppressed-any:bob@example.org", "reported as spam");
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_SUPPRESSED);
	assert_false(answer.for_tenant);
	assert_int_equal(answer.since, 0);
	assert_string_equal(answer.reason, "reported as spam");
	set_key(PREFIX "suppressed:{alice@example.com}:bob@example.org",
	    "1764547200 bounced: 550 5.1.1 user unknown");
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_SUPPRESSED);
	assert_true(answer.for_tenant);
	assert_int_equal(answer.since, 1764547200);
	assert_string_equal(answer.reason, "bounced: 550 5.1.1 user unknown");
	call.asks = 0;
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_PASSED);
	/* No tenant: only the entry for every tenant. */
	call.asks = SCRIPT_ASKS_SUPPRESSION;
	call.tenant = "";
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_SUPPRESSED);
	assert_false(answer.for_tenant);
}

/* A tenant holding ":" cannot reach another tenant's entry: "a:b" and
 * "c@example.org" written as they are would be "a" and "b:c@example.org". */
static void
test_suppression_key_escapes_the_tenant(void **state)
{
	struct script_call call = message(false, NULL, 0);
	struct script_answer answer;

	(void)state;
	set_key(PREFIX "suppressed:{a}:b:c@example.org", "1764547200 a's");
	call.asks = SCRIPT_ASKS_SUPPRESSION;
	call.tenant = "a:b";
	call.recipient = "c@example.org";
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_PASSED);
	call.tenant = "a";
	call.recipient = "b:c@example.org";
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_SUPPRESSED);
	assert_string_equal(answer.reason, "a's");
	set_key(PREFIX "suppressed:{a%3Ab}:c@example.org", "1764547200 a:b's");
	call.tenant = "a:b";
	call.recipient = "c@example.org";
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_SUPPRESSED);
	assert_string_equal(answer.reason, "a:b's");
}

/* Redis' count of writes since it started: any write, even of what was
 * there, counts. */
static long long
writes(void)
{
	redisReply *reply = redisCommand(redis, "INFO persistence");
	const char *at = strstr(reply->str, "rdb_changes_since_last_save:");
	long long count = at != NULL ? atoll(strchr(at, ':') + 1) : -1;

	freeReplyObject(reply);
	return count;
}

/* A dry run makes every check and limit and writes nothing, not even
 * the detector's counts; it answers the first refusal, as a check would,
 * and says how each one stands. */
static void
test_dry_run(void **state)
{
	const struct script_limit limits[] = {
	    {"hourly", "alice@example.com", 2, HOUR, 1},
	    {"daily", "alice@example.com", 100, DAY, 1},
	};
	struct script_limit_state states[2];
	struct script_details details = {.limits = states};
	struct script_call call = message(false, limits, 2);
	struct script_answer answer, checked;
	long long before;

	(void)state;
	call.asks = SCRIPT_ASKS_SUSPENSION | SCRIPT_ASKS_OWNERSHIP |
	            SCRIPT_ASKS_COMPROMISE;
	call.tenant = "alice@example.com";
	set_key(PREFIX "suspended:domain:example.com", "abuse");
	for (int i = 0; i < 2; i++)
		charge_one(limits, &answer);
	before = writes();
	call.dry = true;
	run_dry(&call, &answer, &details);
	assert_int_equal(writes(), before);
	call.dry = false;
	run(&call, &checked);
	assert_int_equal(answer.outcome, SCRIPT_SUSPENDED);
	assert_int_equal(checked.outcome, SCRIPT_SUSPENDED);
	assert_false(answer.by_user);
	assert_string_equal(answer.reason, checked.reason);
	assert_false(details.user_suspended);
	assert_true(details.domain_suspended);
	assert_string_equal(details.domain_reason, "abuse");
	assert_int_equal(details.owned, 0);
	assert_int_equal(details.addresses, 0); /* suspended before it */
	assert_int_equal(details.failures, 0);
	assert_int_equal(details.warmup_cap, -1);
	assert_int_equal(states[0].count, 2);
	assert_int_equal(states[0].max, 2);
	assert_true(states[0].seconds > 0);
	assert_int_equal(states[1].count, 0);
	assert_int_equal(states[1].seconds, 0);

	/* Now with the client counted (by a check) and nothing suspended. */
	call.asks = SCRIPT_ASKS_COMPROMISE;
	run(&call, &checked);
	assert_int_equal(checked.outcome, SCRIPT_LIMIT_REACHED);
	before = writes();
	call.dry = true;
	run_dry(&call, &answer, &details);
	assert_int_equal(writes(), before);
	assert_int_equal(details.addresses, 1);
	assert_int_equal(answer.outcome, SCRIPT_LIMIT_REACHED);
	assert_int_equal(answer.limit, 0);
	assert_int_equal(details.owned, -1);
	assert_false(details.domain_suspended);

	/* A normal reply is no dry run's: the fail mode's. */
	call.dry = false;
	{
		redisReply *reply = evaluate(&call);

		script_dry_run_read(reply, NULL, 2, &answer, &details);
		assert_int_equal(answer.outcome, SCRIPT_UNAVAILABLE);
		freeReplyObject(reply);
	}
}

/* The tenant's count of kind this hour; -1 none. */
static long long
activity(const char *kind, const char *tenant)
{
	char key[128];
	redisReply *reply;
	long long value;

	snprintf(key, sizeof(key), PREFIX "activity:%s:%lld", kind, now / HOUR);
	reply = redisCommand(redis, "HGET %s %s", key, tenant);
	value = reply->type == REDIS_REPLY_STRING ? atoll(reply->str) : -1;
	freeReplyObject(reply);
	return value;
}

/* The tenant's hourly activity: each message charged and its recipients
 * (one count: 2^32 a message, 1 a recipient), each request refused; a
 * check that passes counts nothing; the hashes expire a day after their
 * hour. */
static void
test_activity_counts(void **state)
{
	const struct script_limit hourly = {
	    "hourly", "alice@example.com", 2, HOUR, 1};
	struct script_call call = message(true, &hourly, 1);
	struct script_answer answer;
	long long sent, recipients;
	char key[128];

	(void)state;
	call.tenant = "alice@example.com";
	call.recipients = 3;
	run(&call, &answer);
	call = message(true, &hourly, 1);
	call.tenant = "alice@example.com";
	call.recipients = 2;
	run(&call, &answer);
	script_activity_split(
	    activity("sent", "alice@example.com"), &sent, &recipients);
	assert_int_equal(sent, 2);
	assert_int_equal(recipients, 5);
	assert_int_equal(activity("refusals", "alice@example.com"), -1);
	call = message(false, &hourly, 1);
	call.tenant = "alice@example.com";
	run(&call, &answer);
	assert_int_equal(answer.outcome, SCRIPT_LIMIT_REACHED);
	assert_int_equal(activity("refusals", "alice@example.com"), 1);
	assert_int_equal(
	    activity("sent", "alice@example.com"), 2 * 4294967296LL + 5);
	snprintf(key, sizeof(key), PREFIX "activity:sent:%lld", now / HOUR);
	assert_int_equal(
	    integer_of("PEXPIRETIME %s", key), (now / HOUR + 1) * HOUR + DAY);
	/* No tenant: nothing counted. */
	call = message(true, NULL, 0);
	call.recipients = 1;
	run(&call, &answer);
	assert_int_equal(activity("sent", ""), -1);
}

/* A reply the contract does not have is no answer: the fail mode's. */
static void
test_unexpected_replies(void **state)
{
	static const char *const scripts[] = {
	    "return {9}",
	    "return {1, 2, 1, 1, 1}", /* limit 2 of 1 */
	    "return {0}",
	    "return 'ok'",
	    "return {3, 'user'}",
	    "return {7, 'tenant'}",
	    "return {7, 'tenant', 5}",
	    "return redis.error_reply('ERR broken')",
	};
	struct script_answer answer;

	(void)state;
	for (size_t i = 0; i < sizeof(scripts) / sizeof(scripts[0]); i++) {
		redisReply *reply =
		    redisCommand(redis, "EVAL %s 0", scripts[i]);

		script_answer_read(reply, NULL, 1, &answer);
		assert_int_equal(answer.outcome, SCRIPT_UNAVAILABLE);
		freeReplyObject(reply);
	}
	assert_string_equal(answer.reason, "ERR broken");
	script_answer_read(NULL, "timed out", 1, &answer);
	assert_int_equal(answer.outcome, SCRIPT_UNAVAILABLE);
	assert_string_equal(answer.reason, "timed out");
}

static const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup(test_sliding_window, fresh),
    cmocka_unit_test_setup(test_check_reports_room, fresh),
    cmocka_unit_test_setup(test_counter_expires_with_its_newest_bucket, fresh),
    cmocka_unit_test_setup(test_a_message_is_charged_once, fresh),
    cmocka_unit_test_setup(test_warmup_days, fresh),
    cmocka_unit_test_setup(test_usage_reads_as_the_script_decides, fresh),
    cmocka_unit_test_setup(test_warmup_usage_agrees_with_the_script, fresh),
    cmocka_unit_test_setup(test_compromise_window, fresh),
    cmocka_unit_test_setup(test_account_answers, fresh),
    cmocka_unit_test_setup(test_suppression, fresh),
    cmocka_unit_test_setup(test_suppression_key_escapes_the_tenant, fresh),
    cmocka_unit_test_setup(test_dry_run, fresh),
    cmocka_unit_test_setup(test_activity_counts, fresh),
    cmocka_unit_test_setup(test_unexpected_replies, fresh),
};

int
main(void)
{
	cmocka_set_message_output(CM_OUTPUT_TAP);
	return cmocka_run_group_tests(tests, start_redis, stop_redis);
}
