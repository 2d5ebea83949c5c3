/*
 * fuzz_open.h — the definition of fuzz_open (see fuzz_sandbox.h), included once by each
 * harness after its other includes.
 */
#undef open
#include <errno.h>
#include <fcntl.h>
#include <string.h>

int fuzz_open(const char *path, int flags, ...)
{
	static const char root[] = FUZZ_INCLUDE_ROOT "/";

	if (strncmp(path, root, sizeof(root) - 1) != 0 || strstr(path, "/..") != NULL ||
	    (flags & O_ACCMODE) != O_RDONLY || (flags & O_CREAT)) {
		errno = ENOENT;
		return -1;
	}
	return open(path, flags | O_NOFOLLOW);
}
