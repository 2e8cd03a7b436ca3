// SPDX-License-Identifier: GPL-2.0
/*
 * restrict_exec: opens /dev/xen/privcmd, restricts the file to one domain
 * with IOCTL_PRIVCMD_RESTRICT, as a deprivileged device model does, and
 * runs a program with that file as a given descriptor.  Xen's own
 * depriv-fd-checker is such a program: it checks that a descriptor it is
 * handed stays restricted.
 *
 *   restrict_exec <domid> <fd> <program> [<argument>...]
 */

#include "privcmd_test.h"

int main(int argc, char **argv)
{
	unsigned long dom;
	domid_t domid;
	char *end;
	int fd, want;

	if (argc < 4) {
		fprintf(stderr, "usage: %s <domid> <fd> <program> [<argument>...]\n",
			argv[0]);
		return 2;
	}
	dom = strtoul(argv[1], &end, 0);
	if (*argv[1] == '\0' || *end != '\0' || dom > 0xffff) {
		fprintf(stderr, "%s: not a domain id: %s\n", argv[0], argv[1]);
		return 2;
	}
	domid = dom;
	want = atoi(argv[2]);
	fd = open("/dev/xen/privcmd", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror("open /dev/xen/privcmd");
		return 1;
	}
	if (ioctl(fd, IOCTL_PRIVCMD_RESTRICT, &domid)) {
		perror("IOCTL_PRIVCMD_RESTRICT");
		return 1;
	}
	/* dup2() clears O_CLOEXEC on a new descriptor; fcntl() on the same. */
	if (fd == want ? fcntl(fd, F_SETFD, 0) : dup2(fd, want) < 0) {
		perror("dup2");
		return 1;
	}
	printf("restrict_exec: /dev/xen/privcmd restricted to domain %u as fd %d\n",
	       domid, want);
	fflush(stdout);
	execvp(argv[3], argv + 3);
	perror(argv[3]);
	return 1;
}
