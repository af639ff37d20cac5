/*
 * log_line.h - one line of Postfix's log, parsed into spans of the line
 */
#ifndef WAYPOST_LOG_LINE_H
#define WAYPOST_LOG_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Postfix cuts a record's text at 2000 bytes (src/util/msg_logger.c);
 * with the time, host and program in front a whole line fits in this. A
 * longer line is refused unread. */
#define LOG_LINE_MAX         4096
#define LOG_LINE_HOST_MAX    255 /* bytes; a DNS name */
#define LOG_LINE_PROGRAM_MAX 255 /* bytes; syslog_name plus the daemon */
#define LOG_LINE_PID_MAX     999999999UL
#define LOG_LINE_NUMBER_MAX  1000000000000000ULL /* 10^15: size, nrcpt */
#define LOG_QUEUE_ID_SHORT   6  /* shortest short ID: 5 + 1 hex digits */
#define LOG_QUEUE_ID_MAX     32 /* longest ID of either form, in bytes */
/* A time without a year is put in the year that makes it at most this
 * far after the reader's now (clocks and zones that disagree a little). */
#define LOG_LINE_FUTURE_SLACK 86400 /* seconds */

/* A part of the line: data points into it, length bytes; may hold NULs. */
struct log_span {
	const char *data;
	size_t length;
};

enum log_line_kind {
	LOG_LINE_INVALID,      /* not a log line: no time, host or program */
	LOG_LINE_OTHER,        /* a log line of none of the kinds below */
	LOG_LINE_CLIENT,       /* smtpd: client=, sasl_username= */
	LOG_LINE_MESSAGE_ID,   /* cleanup: message-id= */
	LOG_LINE_QUEUED,       /* qmgr: from=, size=, nrcpt= (queue active) */
	LOG_LINE_EXPIRED,      /* qmgr: from=, status=expired, returned ... */
	LOG_LINE_REMOVED,      /* qmgr: removed, every recipient done */
	LOG_LINE_DELETED,      /* postsuper: removed, by an admin (-d) */
	LOG_LINE_DELIVERY,     /* any: to=, relay=, dsn=, status= (reply) */
	LOG_LINE_NOTIFICATION, /* bounce: sender non-delivery notification: ID */
	LOG_LINE_REJECT, /* smtpd: reject: STAGE from CLIENT: REPLY; from= to= */
};

enum log_status {
	LOG_STATUS_NONE,
	LOG_STATUS_SENT,
	LOG_STATUS_DEFERRED,
	LOG_STATUS_BOUNCED,
	LOG_STATUS_EXPIRED,
	LOG_STATUS_OTHER, /* SOFTBOUNCE, deliverable, ...: see status */
};

enum log_notification {
	LOG_NOTIFY_NONE,
	LOG_NOTIFY_SENDER_NON_DELIVERY,
	LOG_NOTIFY_POSTMASTER_NON_DELIVERY,
	LOG_NOTIFY_SENDER_DELAY,
	LOG_NOTIFY_POSTMASTER_DELAY,
	LOG_NOTIFY_SENDER_SUCCESS, /* "sender delivery status notification" */
};

/* How to read a time that has no year or no zone. */
struct log_clock {
	time_t now;      /* the reader's time: picks the year */
	long utc_offset; /* seconds east of UTC of the log's local time */
};

struct log_line {
	enum log_line_kind kind;
	time_t time;
	struct log_span host;
	struct log_span program; /* postfix/submission/smtpd */
	struct log_span daemon;  /* smtpd: the program's last part */
	unsigned long pid;       /* 0: none logged */
	struct log_span message; /* all after "program[pid]: " */
	/* Cut on its way to the log: 2000 bytes of text (Postfix's limit),
	 * or a delivery line that ends before its reply's ")". */
	bool cut;
	struct log_span queue_id;

	/* LOG_LINE_CLIENT */
	struct log_span client; /* name[address] or name[address]:port */
	struct log_span client_name;
	struct log_span client_address;
	struct log_span sasl_method;
	struct log_span sasl_username;
	struct log_span sasl_sender;

	/* LOG_LINE_MESSAGE_ID: without its brackets, if it has both. */
	struct log_span message_id;

	/* LOG_LINE_QUEUED, LOG_LINE_EXPIRED */
	struct log_span sender;
	unsigned long long size;
	unsigned long long recipient_count;

	/* LOG_LINE_DELIVERY; status also for LOG_LINE_EXPIRED */
	struct log_span recipient;
	struct log_span original_recipient; /* orig_to, if logged */
	struct log_span relay;
	unsigned long long connection_use; /* conn_use, 0 if not logged */
	struct log_span delay;
	struct log_span delays;
	struct log_span dsn;
	enum log_status status_code;
	struct log_span status;
	struct log_span reply;

	/* LOG_LINE_REJECT, with client, sender, recipient (if logged), dsn
	 * (if the reply has one) and reply; queue_id empty for NOQUEUE. */
	struct log_span stage; /* RCPT, MAIL, DATA, END-OF-MESSAGE... */

	/* LOG_LINE_NOTIFICATION */
	enum log_notification notification;
	struct log_span notification_queue_id;
};

enum log_line_kind log_line_parse(const char *data, size_t length,
    const struct log_clock *clock, struct log_line *line);
bool log_queue_id_valid(const char *data, size_t length);
const char *log_line_kind_name(enum log_line_kind kind);

#endif
