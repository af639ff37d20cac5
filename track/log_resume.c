/*
 * NAME
 *	log_resume - find the line a log follower stopped after
 * SYNOPSIS
 *	#include "log_resume.h"
 *
 *	void log_resume_find(path, saved, resume)
 *	void log_resume_free_newer(resume)
 * DESCRIPTION
 *	log_resume_find() looks for the file that holds the line a saved
 *	position (log_position(3)) ends after, and opens it there:
 *
 *	1. The file at path, if it has the saved device and inode and the
 *	   line ending at the offset has the saved hash (LOG_RESUME_LIVE).
 *
 *	2. Otherwise a rotated file of the same log: a file in the same
 *	   directory whose name is the base name followed by "." or "-"
 *	   (maillog.20261202-031500, mail.log.1, mail.log.2.gz,
 *	   mail.log-20261202), first by the saved inode, then by content
 *	   alone, newest first, each checked by the hash of the line at the
 *	   offset (LOG_RESUME_ROTATED). Content alone is what finds a file
 *	   that "postfix logrotate" renamed and then gzipped at once (gzip
 *	   writes a new inode, with the same bytes inside), and the copy
 *	   that logrotate's copytruncate made. The rotated files newer than
 *	   the one found (by modification time) are listed in newer: lines
 *	   written while we were stopped, across more than one rotation,
 *	   are read too before the file at path.
 *
 *	3. Otherwise nothing holds that line any more (the file was
 *	   replaced, truncated, or its rotated copy deleted or compressed
 *	   in a form we do not read): LOG_RESUME_LOST, and the caller starts
 *	   at the beginning of the file at path and says so. It never skips
 *	   to the end: a line read twice is counted twice by nobody (the
 *	   event ids are stable), a line skipped is lost for good.
 *
 *	A ".gz" file whose plain name is also there is being written by
 *	gzip this very moment and is left out: the plain file is the same
 *	log. Other compressions (.bz2, .xz, .zst) are not read.
 * BUGS
 *	A rotated file that another log's rotation named like ours (say a
 *	"maillog.old" copied by hand) is read as ours when it is newer than
 *	the file found.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "log_resume.h"
#include "xmalloc.h"

struct candidate {
	char *path;
	enum log_source_kind kind;
	struct stat st;
	bool drop; /* a .gz being made of a plain file listed too */
};

static bool
ends_with(const char *name, const char *suffix)
{
	size_t length = strlen(name), suffix_length = strlen(suffix);

	return length >= suffix_length &&
	       strcmp(name + length - suffix_length, suffix) == 0;
}

static bool
is_rotated_name(const char *name, const char *base)
{
	size_t length = strlen(base);

	return strncmp(name, base, length) == 0 &&
	       (name[length] == '.' || name[length] == '-') &&
	       name[length + 1] != '\0' && !ends_with(name, ".bz2") &&
	       !ends_with(name, ".xz") && !ends_with(name, ".zst");
}

static int
older_first(const void *left, const void *right)
{
	const struct candidate *a = left, *b = right;

	if (a->st.st_mtim.tv_sec != b->st.st_mtim.tv_sec)
		return a->st.st_mtim.tv_sec < b->st.st_mtim.tv_sec ? -1 : 1;
	if (a->st.st_mtim.tv_nsec != b->st.st_mtim.tv_nsec)
		return a->st.st_mtim.tv_nsec < b->st.st_mtim.tv_nsec ? -1 : 1;
	return strcmp(a->path, b->path);
}

/* Split path into its directory and base name, in new strings. */
static void
split_path(const char *path, char **directory, char **base)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL) {
		*directory = xstrdup(".");
		*base = xstrdup(path);
	} else {
		*directory = slash == path
		                 ? xstrdup("/")
		                 : xstrndup(path, (size_t)(slash - path));
		*base = xstrdup(slash + 1);
	}
}

static bool
plain_twin_listed(
    const struct candidate *list, size_t count, const char *gzip_path)
{
	size_t length = strlen(gzip_path) - 3;

	for (size_t i = 0; i < count; i++)
		if (list[i].kind == LOG_SOURCE_FILE &&
		    strlen(list[i].path) == length &&
		    strncmp(list[i].path, gzip_path, length) == 0)
			return true;
	return false;
}

/* The rotated files of path, oldest first. */
static struct candidate *
list_rotated(const char *path, size_t *count)
{
	char *directory, *base;
	struct candidate *list = NULL;
	struct stat live;
	struct dirent *entry;
	size_t used = 0, kept = 0;
	bool have_live = stat(path, &live) == 0;
	DIR *dir;

	split_path(path, &directory, &base);
	dir = opendir(directory);
	if (dir == NULL)
		log_warning("%s: cannot list the rotated files: %s", directory,
		    strerror(errno));
	while (dir != NULL && (entry = readdir(dir)) != NULL) {
		struct candidate *one;
		size_t size;
		char *name;

		if (!is_rotated_name(entry->d_name, base))
			continue;
		if (used == LOG_RESUME_ROTATED_MAX) {
			log_warning("%s: more than %d rotated files of %s; the "
			            "others are not looked at",
			    directory, LOG_RESUME_ROTATED_MAX, base);
			break;
		}
		size = strlen(directory) + strlen(entry->d_name) + 2;
		name = xmalloc(size);
		snprintf(name, size, "%s/%s", directory, entry->d_name);
		list = xreallocarray(list, used + 1, sizeof(*list));
		one = &list[used];
		one->path = name;
		one->kind =
		    ends_with(name, ".gz") ? LOG_SOURCE_GZIP : LOG_SOURCE_FILE;
		if (stat(name, &one->st) < 0 || !S_ISREG(one->st.st_mode) ||
		    (have_live && one->st.st_dev == live.st_dev &&
		        one->st.st_ino == live.st_ino)) {
			free(name);
			continue;
		}
		used++;
	}
	if (dir != NULL)
		closedir(dir);
	for (size_t i = 0; i < used; i++)
		list[i].drop = list[i].kind == LOG_SOURCE_GZIP &&
		               plain_twin_listed(list, used, list[i].path);
	for (size_t i = 0; i < used; i++) {
		if (list[i].drop)
			free(list[i].path);
		else
			list[kept++] = list[i];
	}
	if (kept > 0)
		qsort(list, kept, sizeof(*list), older_first);
	free(directory);
	free(base);
	*count = kept;
	return list;
}

static bool
open_at(struct log_source *source, const char *path, enum log_source_kind kind,
    const struct log_position *saved)
{
	char error[512];

	if (!log_source_open(source, path, kind, error, sizeof(error)))
		return false;
	if (log_source_seek(source, saved->offset, saved->hash))
		return true;
	log_source_close(source);
	return false;
}

static bool
same_inode(const struct stat *st, const struct log_position *saved)
{
	return (uint64_t)st->st_dev == saved->device &&
	       (uint64_t)st->st_ino == saved->inode;
}

/* The index in list of the rotated file that holds the saved line, open
 * at it in source; count if none. */
static size_t
find_rotated(const struct candidate *list, size_t count,
    const struct log_position *saved, struct log_source *source)
{
	for (size_t i = count; i-- > 0;)
		if (same_inode(&list[i].st, saved) &&
		    open_at(source, list[i].path, list[i].kind, saved))
			return i;
	for (size_t i = count; i-- > 0;)
		if (!same_inode(&list[i].st, saved) &&
		    open_at(source, list[i].path, list[i].kind, saved)) {
			/* Positions read from a gzip copy name the file it
			 * was made from, as those before the stop did. */
			if (list[i].kind == LOG_SOURCE_GZIP) {
				source->device = saved->device;
				source->inode = saved->inode;
			}
			return i;
		}
	return count;
}

void
log_resume_find(const char *path, const struct log_position *saved,
    struct log_resume *resume)
{
	struct candidate *list;
	struct stat st;
	size_t count, found;

	memset(resume, 0, sizeof(*resume));
	resume->source.fd = -1;
	if (stat(path, &st) == 0 && same_inode(&st, saved) &&
	    open_at(&resume->source, path, LOG_SOURCE_FILE, saved)) {
		resume->found = LOG_RESUME_LIVE;
		return;
	}
	list = list_rotated(path, &count);
	found = find_rotated(list, count, saved, &resume->source);
	resume->found = found < count ? LOG_RESUME_ROTATED : LOG_RESUME_LOST;
	for (size_t i = 0; i < count; i++) {
		if (found < count && i > found) {
			resume->newer = xreallocarray(resume->newer,
			    resume->newer_count + 1, sizeof(*resume->newer));
			resume->newer[resume->newer_count].path = list[i].path;
			resume->newer[resume->newer_count++].kind =
			    list[i].kind;
		} else
			free(list[i].path);
	}
	free(list);
}

void
log_resume_free_newer(struct log_resume *resume)
{
	for (size_t i = 0; i < resume->newer_count; i++)
		free(resume->newer[i].path);
	free(resume->newer);
	resume->newer = NULL;
	resume->newer_count = 0;
}
