/*
 * file_read.h - read a whole regular file of bounded size
 */
#ifndef WAYPOST_FILE_READ_H
#define WAYPOST_FILE_READ_H

#include <stddef.h>
#include <sys/stat.h>

char *file_read(const char *path, size_t max_size, size_t *size,
    struct stat *st, char *error, size_t error_size);

#endif
