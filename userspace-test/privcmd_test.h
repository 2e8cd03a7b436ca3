/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared helpers of the privcmd tests: the UAPI as Xen's own tools see it
 * (Debian's libxen-dev headers) and a hypercall wrapper that returns what
 * libxencall's callers see: the result, or -1 with errno set.
 */
#ifndef PRIVCMD_TEST_H
#define PRIVCMD_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xen/xen.h>
#include <xen/features.h>
#include <xen/memory.h>
#include <xen/version.h>
#include <xen/sys/privcmd.h>
#include <xen/domctl.h>

#define PRIVCMD_PATH "/dev/xen/privcmd"

/* A canonical kernel address (the start of the x86_64 kernel text map). */
#define KERNEL_ADDR 0xffffffff81000000UL

/*
 * Xen's public memory.h defines this for the hypervisor and the kernel
 * only: memory_op's cmd carries a continuation's start extent above it.
 */
#ifndef MEMOP_EXTENT_SHIFT
#define MEMOP_EXTENT_SHIFT 6
#endif

/*
 * Newer than Xen 4.17's copy of the UAPI: from Linux's
 * include/uapi/xen/privcmd.h.
 */
#ifndef IOCTL_PRIVCMD_PCIDEV_GET_GSI
struct privcmd_pcidev_get_gsi {
	uint32_t sbdf;
	uint32_t gsi;
};

#define IOCTL_PRIVCMD_PCIDEV_GET_GSI \
	_IOC(_IOC_NONE, 'P', 10, sizeof(struct privcmd_pcidev_get_gsi))
#endif

/* Also newer than Xen 4.17's copy: the eventfd ioctls. */
#ifndef IOCTL_PRIVCMD_IRQFD
#define PRIVCMD_IRQFD_FLAG_DEASSIGN (1 << 0)

struct privcmd_irqfd {
	uint64_t dm_op;
	uint32_t size;
	uint32_t fd;
	uint32_t flags;
	domid_t dom;
	uint8_t pad[2];
};

#define PRIVCMD_IOEVENTFD_FLAG_DEASSIGN (1 << 0)

struct privcmd_ioeventfd {
	uint64_t ioreq;
	uint64_t ports;
	uint64_t addr;
	uint32_t addr_len;
	uint32_t event_fd;
	uint32_t vcpus;
	uint32_t vq;
	uint32_t flags;
	domid_t dom;
	uint8_t pad[2];
};

#define IOCTL_PRIVCMD_IRQFD _IOW('P', 8, struct privcmd_irqfd)
#define IOCTL_PRIVCMD_IOEVENTFD _IOW('P', 9, struct privcmd_ioeventfd)
#endif

/* Entries in a 4 KiB hypercall page: hypercall numbers beyond are ENOSYS. */
#define HYPERCALL_PAGE_ENTRIES 128

/* Whether the module name is loaded. */
static inline int module_loaded(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/module/%s", name);
	return access(path, F_OK) == 0;
}

/* Whether the hypervisor is the in-tree stub rather than Xen. */
static inline int on_stub(void)
{
	return module_loaded("xen_stub");
}

/* Whether dom0 is a Xen guest of this kind ("PV", "PVH"). */
static inline int guest_type_is(const char *want)
{
	char kind[8] = "";
	FILE *f = fopen("/sys/hypervisor/guest_type", "r");

	if (!f)
		return 0;
	if (!fgets(kind, sizeof(kind), f))
		kind[0] = '\0';
	fclose(f);
	return !strncmp(kind, want, strlen(want)) && kind[strlen(want)] == '\n';
}

/*
 * Tests that only one hypervisor can answer (kselftest harness SKIP): what
 * only Xen has, and the stub's own model, which under Xen would act on
 * dom0 itself.
 */
#define XEN_ONLY(why) do {						\
	if (on_stub())							\
		SKIP(return, why);					\
} while (0)

#define STUB_ONLY() do {						\
	if (!on_stub())							\
		SKIP(return, "needs the hypervisor stub, not Xen");	\
} while (0)

/*
 * Loads the module <file>.ko with params from $PRIVCMD_MODULES (default
 * /modules, where the test guests keep them); 0 or -1 with errno set.
 */
static inline int load_module(const char *file, const char *params)
{
	const char *dir = getenv("PRIVCMD_MODULES") ?: "/modules";
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/%s.ko", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	close(fd);
	return ret;
}

/* Unloads the module name, without waiting for its users. */
static inline int unload_module(const char *name)
{
	return syscall(SYS_delete_module, name, O_NONBLOCK);
}

/*
 * Whether line holds needle, where a needle that ends in a digit is not
 * followed by another ("domain: 2" is not in "domain: 28672").
 */
static inline int line_has(const char *line, const char *needle)
{
	size_t len = strlen(needle);
	int number = len && needle[len - 1] >= '0' && needle[len - 1] <= '9';
	const char *at;

	for (at = strstr(line, needle); at; at = strstr(at + 1, needle))
		if (!number || at[len] < '0' || at[len] > '9')
			return 1;
	return 0;
}

/* Lines of the kernel log that contain needle (see line_has()). */
static inline int kernel_log_count(const char *needle)
{
	static char buf[1 << 20];
	int n = klogctl(3 /* SYSLOG_ACTION_READ_ALL */, buf, sizeof(buf) - 1);
	char *line, *save;
	int count = 0;

	if (n < 0)
		return 0;
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		count += line_has(line, needle);
	return count;
}

/* Whether /dev/xen/privcmd is Linux's C driver (compared with ours under Xen). */
static inline int c_driver(void)
{
	return module_loaded("xen_privcmd");
}

static inline long privcmd_hypercall(int fd, uint64_t op, uint64_t a0,
				     uint64_t a1, uint64_t a2, uint64_t a3,
				     uint64_t a4)
{
	privcmd_hypercall_t call = {
		.op = op,
		.arg = { a0, a1, a2, a3, a4 },
	};

	return ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &call);
}

/* Like privcmd_hypercall(), returning -errno instead of -1. */
static inline long hcall(int fd, uint64_t op, uint64_t a0, uint64_t a1,
			 uint64_t a2)
{
	long ret = privcmd_hypercall(fd, op, a0, a1, a2, 0, 0);

	return ret == -1 ? -errno : ret;
}

/*
 * An address whose first @before bytes are mapped and the rest is not:
 * the end of a mapped page followed by an unmapped one.
 */
static inline void *straddle(size_t before)
{
	char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p + 4096, 4096);
	return p + 4096 - before;
}

/* An address in the user range with nothing mapped there. */
static inline void *unmapped(void)
{
	char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	munmap(p, 4096);
	return p;
}

/* Domain control through the privcmd hypercall. */
static inline long domctl(int fd, struct xen_domctl *d)
{
	d->interface_version = XEN_DOMCTL_INTERFACE_VERSION;
	return hcall(fd, __HYPERVISOR_domctl, (uintptr_t)d, 0, 0);
}

/*
 * A domain that never runs, with one grant table frame: PV (flags 0), or
 * HVM with the emulation given.  0 on failure.
 */
static inline domid_t create_domain(int fd, uint32_t flags, uint32_t emulation)
{
	struct xen_domctl d = { .cmd = XEN_DOMCTL_createdomain };

	d.u.createdomain.flags = flags;
	d.u.createdomain.arch.emulation_flags = emulation;
	d.u.createdomain.max_vcpus = 1;
	d.u.createdomain.max_grant_frames = 1;
	d.u.createdomain.max_maptrack_frames = 1;
	d.u.createdomain.grant_opts = XEN_DOMCTL_GRANT_version(1);
	return domctl(fd, &d) ? 0 : d.domain;
}

static inline void destroy_domain(int fd, domid_t dom)
{
	struct xen_domctl d = { .cmd = XEN_DOMCTL_destroydomain, .domain = dom };
	long rc;

	do
		rc = domctl(fd, &d);
	while (rc == -ERESTART);
}

#endif /* PRIVCMD_TEST_H */
