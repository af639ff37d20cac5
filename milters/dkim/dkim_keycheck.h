/*
 * dkim_keycheck.h - does the published DKIM record match a private key?
 */
#ifndef WAYPOST_DKIM_KEYCHECK_H
#define WAYPOST_DKIM_KEYCHECK_H

#include <stddef.h>

enum keycheck_result {
	KEYCHECK_MATCH,
	KEYCHECK_MISMATCH,
	KEYCHECK_ERROR,
};

enum keycheck_result keycheck_published(const char *domain,
    const char *selector, const char *pem, size_t pem_length,
    const char *nameserver, char *message, size_t message_size);

#endif
