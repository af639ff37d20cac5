/*
 * tracker_words.h - words waypost-policyd and waypost-trackd both read
 *
 * waypost-policyd refuses a suppressed recipient at RCPT with "550 5.1.1
 * recipient suppressed since DATE (REASON)" (policy/account_check.c);
 * Postfix logs that text in its reject line, where waypost-trackd
 * recognizes it (track/track_lines.c) to emit the suppressed event.
 *
 * waypost-trackd's bounce-rate guard suspends a tenant with the reason
 * "auto: bounce rate 12.0% (31 of 258) in 24h" (track/record_script.lua
 * writes it); waypost-policyd answers such a suspension with its
 * guard_action (a deferral by default) rather than suspension_action.
 */
#ifndef WAYPOST_TRACKER_WORDS_H
#define WAYPOST_TRACKER_WORDS_H

#define SUPPRESSION_REFUSAL_WORDS "recipient suppressed"
#define GUARD_REASON_PREFIX       "auto: bounce rate "

#endif
