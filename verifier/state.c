/* The --state file (state.h). */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "seq.h"
#include "banned.h"

static int read_epoch(const char *path, uint64_t *epoch)
{
	char text[64];
	char *end;
	ssize_t n;
	unsigned long long v;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	*epoch = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		return log_error_errno("cannot read state file '%s'", path);
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n < 0)
		return log_error_errno("cannot read state file '%s'", path);
	text[n] = '\0';
	errno = 0;
	if (strncmp(text, "epoch ", 6) || text[6] < '0' || text[6] > '9' ||
	    (v = strtoull(text + 6, &end, 10), errno) ||
	    (*end && *end != '\n') || v >= SEQ_EPOCH_MAX)
		return log_error("state file '%s' is corrupt: expected "
				 "'epoch N' (remove it to start over at epoch 1)",
				 path);
	*epoch = v;
	return 0;
}

static int fsync_dir(const char *path)
{
	char dir[PATH_MAX];
	const char *slash = strrchr(path, '/');
	int fd, rc;

	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == path)
		snprintf(dir, sizeof(dir), "/");
	else
		snprintf(dir, sizeof(dir), "%.*s", (int)(slash - path), path);
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

int state_next_epoch(const char *path, uint64_t *epoch)
{
	char tmp[PATH_MAX], text[64];
	uint64_t e;
	int fd, len;

	if (read_epoch(path, &e) < 0)
		return -1;
	if (e + 1 >= SEQ_EPOCH_MAX)
		return log_error("state file '%s': epoch %" PRIu64 " is the last "
				 "one seq can hold", path, e);
	e++;
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return log_error("state file path '%s' is too long", path);
	len = snprintf(text, sizeof(text), "epoch %" PRIu64 "\n", e);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return log_error_errno("cannot write state file '%s'", tmp);
	if (write(fd, text, (size_t)len) != len || fsync(fd) < 0) {
		log_error_errno("cannot write state file '%s'", tmp);
		close(fd);
		unlink(tmp);
		return -1;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		log_error_errno("cannot write state file '%s'", path);
		unlink(tmp);
		return -1;
	}
	if (fsync_dir(path) < 0)
		log_warn_errno("cannot fsync the directory of '%s'", path);
	*epoch = e;
	return 0;
}
