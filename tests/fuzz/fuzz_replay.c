/*
 * fuzz_replay.c - run a fuzz target on every file of its corpus
 *
 * fuzz_replay DIR|FILE ...: calls LLVMFuzzerTestOneInput() once per file
 * and prints how many inputs ran. A crash, or a sanitizer report in a
 * sanitizer build, fails the test; so the corpus (seeds plus every input
 * that once found a bug) is an ordinary regression test on every build.
 */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

#define INPUT_MAX (4 * 1024 * 1024)

static int
replay_file(const char *path)
{
	FILE *file = fopen(path, "rb");
	unsigned char *data;
	size_t size;

	if (file == NULL) {
		fprintf(stderr, "%s: cannot open\n", path);
		return -1;
	}
	data = malloc(INPUT_MAX);
	if (data == NULL) {
		fclose(file);
		return -1;
	}
	size = fread(data, 1, INPUT_MAX, file);
	fclose(file);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 1;
}

static int
replay(const char *path)
{
	struct stat st;
	struct dirent **entries;
	int count, done = 0;
	char child[4096];

	if (stat(path, &st) < 0) {
		fprintf(stderr, "%s: not found\n", path);
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_file(path);
	count = scandir(path, &entries, NULL, alphasort);
	if (count < 0)
		return -1;
	for (int i = 0; i < count; i++) {
		if (entries[i]->d_name[0] != '.' && done >= 0) {
			snprintf(child, sizeof(child), "%s/%s", path,
			    entries[i]->d_name);
			done = replay_file(child) < 0 ? -1 : done + 1;
		}
		free(entries[i]);
	}
	free(entries);
	return done;
}

int
main(int argc, char **argv)
{
	int total = 0;

	for (int i = 1; i < argc; i++) {
		int done = replay(argv[i]);

		if (done < 0)
			return 1;
		total += done;
	}
	printf("replayed %d inputs\n", total);
	return total > 0 ? 0 : 1;
}
