// SPDX-License-Identifier: GPL-2.0
/*
 * Two hypercalls through /dev/xen/privcmd, traced hop by hop: the
 * demonstration of the path under real Xen, where nothing of dom0's
 * memory may be given away.
 *
 * xen_version(XENVER_extraversion) makes the hypervisor write into the
 * caller's buffer (copy_to_guest); console_io(CONSOLEIO_write) makes it
 * read a line from the caller's buffer (copy_from_guest) and print it on
 * its own console, where it shows among Xen's messages.  This program
 * prints the userspace side; the driver, loaded with trace=1, prints the
 * struct it copied in, the hypercall page entry it called and the result
 * it took from rax.
 */
#include <stdio.h>
#include <string.h>

#include "privcmd_test.h"

static long traced_call(int fd, const char *what, privcmd_hypercall_t *call)
{
	long ret;

	printf("[1 user] %s: ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, {op = %llu, "
	       "arg = {%llu, %#llx, %#llx}})\n", what,
	       (unsigned long long)call->op, (unsigned long long)call->arg[0],
	       (unsigned long long)call->arg[1], (unsigned long long)call->arg[2]);
	fflush(stdout);
	ret = ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, call);
	/* Let the kernel's console print its part of the path first. */
	usleep(300 * 1000);
	printf("[6 user] %s: ioctl returned %ld (errno %d)\n", what, ret,
	       ret < 0 ? errno : 0);
	return ret;
}

int main(void)
{
	static const char line[] = "console_demo: this line was copied from dom0's buffer by the hypervisor\n";
	xen_extraversion_t extra;
	privcmd_hypercall_t call;
	int fd, ok = 1;

	fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		perror(PRIVCMD_PATH);
		return 1;
	}

	memset(extra, 0, sizeof(extra));
	memset(&call, 0, sizeof(call));
	call.op = __HYPERVISOR_xen_version;
	call.arg[0] = XENVER_extraversion;
	call.arg[1] = (uintptr_t)extra;
	ok &= traced_call(fd, "xen_version(XENVER_extraversion, buffer)", &call) == 0;
	printf("[6 user] the hypervisor wrote \"%.*s\" into the buffer at %p\n",
	       (int)sizeof(extra), extra, (void *)extra);

	memset(&call, 0, sizeof(call));
	call.op = __HYPERVISOR_console_io;
	call.arg[0] = CONSOLEIO_write;
	call.arg[1] = strlen(line);
	call.arg[2] = (uintptr_t)line;
	ok &= traced_call(fd, "console_io(CONSOLEIO_write, len, buffer)", &call) == 0;

	close(fd);
	return ok ? 0 : 1;
}
