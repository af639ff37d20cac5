/*
 * suppression_text.h - the words of a refusal of a suppressed recipient
 *
 * waypost-policyd refuses a suppressed recipient at RCPT with "550 5.1.1
 * recipient suppressed since DATE (REASON)" (policy/account_check.c);
 * Postfix logs that text in its reject line, where waypost-trackd
 * recognizes it (track/track_lines.c) to emit the suppressed event. Both
 * take the words from here.
 */
#ifndef WAYPOST_SUPPRESSION_TEXT_H
#define WAYPOST_SUPPRESSION_TEXT_H

#define SUPPRESSION_REFUSAL_WORDS "recipient suppressed"

#endif
