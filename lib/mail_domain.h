/*
 * mail_domain.h - the one form of a mail domain: lower case, no final dot
 */
#ifndef WAYPOST_MAIL_DOMAIN_H
#define WAYPOST_MAIL_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

size_t mail_domain_normalize(char *domain, size_t length);
size_t mail_address_normalize(char *address, size_t length);
bool mail_address_folded(const char *address, char *out, size_t size);

#endif
