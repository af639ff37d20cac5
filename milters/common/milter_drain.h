/*
 * milter_drain.h - count messages in flight, so a stop can wait for them
 */
#ifndef WAYPOST_MILTER_DRAIN_H
#define WAYPOST_MILTER_DRAIN_H

#include <stdbool.h>
#include <stddef.h>

bool milter_drain_enter(void);
void milter_drain_leave(void);
void milter_drain_refuse_new(void);
size_t milter_drain_wait(long long timeout_ms);

#endif
