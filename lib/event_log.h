/*
 * event_log.h - libevent's own messages, through our logger
 */
#ifndef WAYPOST_EVENT_LOG_H
#define WAYPOST_EVENT_LOG_H

void event_log_route(void);

#endif
