// SPDX-License-Identifier: GPL-2.0
/*
 * The driver as a domU's privcmd (XSA-482, CVE-2026-31788): run in a PV
 * guest that dom0's xen_tools_test.sh creates with xl, over the driver
 * dom0 runs (creator=rust|c on the guest's command line).
 *
 * Outside the initial domain every file of /dev/xen/privcmd is restricted
 * to the domain named by the "target" key of the domain's own xenstore
 * directory (/local/domain/<id>/target, a decimal domain id, as xl writes
 * it for a stub domain), read when the driver loads; without one, to
 * DOMID_IDLE, which no ioctl can use; the load-time parameter
 * "unrestricted" lifts it.  A restricted file makes no hypercall (EPERM),
 * names no other domain (EPERM) and cannot be restricted to another one
 * (EINVAL).
 *
 * Each test writes the key (or removes it) through /dev/xen/xenbus, then
 * loads the driver and opens the device.  dom0 wrote the key, as the
 * domain that does not exist TARGET, and made this domain its owner, so
 * that the tests can rewrite it; a domU cannot create a key in its own
 * directory, so the test that removes it comes last.
 *
 * The modules are read from $PRIVCMD_MODULES (default /modules).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

#include <xen/io/xs_wire.h>

/* What dom0 writes as the target: a domain that does not exist. */
#define TARGET 0x7000
#define OTHER (TARGET + 1)

#ifndef DOMID_IDLE
#define DOMID_IDLE 0x7fff
#endif

/* The driver dom0 created this guest over: "rust" or "c". */
static int want_c_driver(void)
{
	char line[4096] = "";
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	return strstr(line, "creator=c") != NULL;
}

static const char *driver_name(void)
{
	return want_c_driver() ? "xen_privcmd" : "rust_privcmd";
}

static const char *driver_file(void)
{
	return want_c_driver() ? "xen-privcmd" : "rust_privcmd";
}

/*
 * One xenstore request over /dev/xen/xenbus: type, then NUL-separated
 * arguments (@len bytes of @args).  The reply's payload goes to @reply
 * (NUL-terminated, if @reply); 0, or -errno as xenstored names it.
 */
static int xs_request(uint32_t type, const char *args, size_t len,
		      char *reply, size_t size)
{
	struct {
		struct xsd_sockmsg hdr;
		char body[512];
	} msg = { .hdr = { .type = type, .req_id = 1, .len = len } };
	char body[512];
	struct xsd_sockmsg hdr;
	int fd, ret = 0;
	size_t i;

	if (len > sizeof(msg.body))
		return -E2BIG;
	memcpy(msg.body, args, len);
	fd = open("/dev/xen/xenbus", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (write(fd, &msg, sizeof(msg.hdr) + len) != (ssize_t)(sizeof(msg.hdr) + len) ||
	    read(fd, &hdr, sizeof(hdr)) != sizeof(hdr) || hdr.len >= sizeof(body) ||
	    read(fd, body, hdr.len) != (ssize_t)hdr.len) {
		ret = -EIO;
		goto out;
	}
	body[hdr.len] = '\0';
	if (hdr.type == XS_ERROR) {
		ret = -EIO;
		for (i = 0; i < sizeof(xsd_errors) / sizeof(xsd_errors[0]); i++)
			if (!strcmp(body, xsd_errors[i].errstring))
				ret = -xsd_errors[i].errnum;
	} else if (reply && size) {
		len = hdr.len < size ? hdr.len : size - 1;
		memcpy(reply, body, len);
		reply[len] = '\0';
	}
out:
	close(fd);
	return ret;
}

/* Writes this domain's "target" key (a path relative to its directory). */
static int write_target(const char *value)
{
	char args[64];
	int len = snprintf(args, sizeof(args), "target%c%s", '\0', value);

	return xs_request(XS_WRITE, args, len, NULL, 0);
}

static int read_target(char *value, size_t size)
{
	return xs_request(XS_READ, "target", sizeof("target"), value, size);
}

static int remove_target(void)
{
	return xs_request(XS_RM, "target", sizeof("target"), NULL, 0);
}

/* Unloads the driver (and xenfs over it) if loaded. */
static void unload_driver(void)
{
	umount("/proc/xen");
	if (module_loaded("xenfs"))
		unload_module("xenfs");
	if (module_loaded(driver_name()))
		unload_module(driver_name());
}

/*
 * Loads the driver with @params once "target" holds @target (or is
 * removed, for NULL), and opens the device: the open file, or -1.
 */
static int start(struct __test_metadata *_metadata, const char *target,
		 const char *params)
{
	int fd;

	unload_driver();
	if (target) {
		ASSERT_EQ(0, write_target(target));
	} else {
		ASSERT_EQ(0, remove_target());
	}
	ASSERT_EQ(0, load_module(driver_file(), params)) TH_LOG("%s: %m", driver_file());
	fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd) TH_LOG("%s: %m", PRIVCMD_PATH);
	return fd;
}

/* xen_version(XENVER_version): the version, or -errno. */
static long xen_version(int fd)
{
	return hcall(fd, __HYPERVISOR_xen_version, 0, 0, 0);
}

/* IOCTL_PRIVCMD_DM_OP on @dom with no buffers: 0 or -errno. */
static long dm_op_none(int fd, domid_t dom)
{
	privcmd_dm_op_t op = { .dom = dom };

	return ioctl(fd, IOCTL_PRIVCMD_DM_OP, &op) == -1 ? -errno : 0;
}

/* IOCTL_PRIVCMD_DM_OP on @dom with one buffer, which Xen reads. */
static long dm_op_one(int fd, domid_t dom)
{
	static uint8_t buf[64];
	privcmd_dm_op_buf_t bufs[1] = { { .uptr = buf, .size = sizeof(buf) } };
	privcmd_dm_op_t op = { .dom = dom, .num = 1, .ubufs = bufs };

	return ioctl(fd, IOCTL_PRIVCMD_DM_OP, &op) == -1 ? -errno : 0;
}

static long restrict_to(int fd, domid_t dom)
{
	return ioctl(fd, IOCTL_PRIVCMD_RESTRICT, &dom) == -1 ? -errno : 0;
}

/*
 * Fails the test unless @fd is restricted to @dom: no hypercall, no other
 * domain named, no restriction to another.
 */
static void expect_restricted(struct __test_metadata *_metadata, int fd,
			      domid_t dom)
{
	EXPECT_EQ(-EPERM, xen_version(fd));
	EXPECT_EQ(0, dm_op_none(fd, dom));
	EXPECT_EQ(-EPERM, dm_op_none(fd, dom + 1));
	EXPECT_EQ(-EPERM, dm_op_none(fd, 0));
	EXPECT_EQ(-EINVAL, restrict_to(fd, dom + 1));
	EXPECT_EQ(-EINVAL, restrict_to(fd, DOMID_INVALID));
	EXPECT_EQ(0, restrict_to(fd, dom));
	EXPECT_EQ(-EPERM, xen_version(fd));
}

/* The key as dom0 wrote it, before the guest started: the target domain. */
TEST(target_from_dom0_restricts_the_file)
{
	char value[32] = "";
	int fd;

	ASSERT_EQ(0, read_target(value, sizeof(value)));
	ASSERT_EQ(TARGET, strtol(value, NULL, 10)) TH_LOG("target is \"%s\"", value);
	unload_driver();
	ASSERT_EQ(0, load_module(driver_file(), ""));
	fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	expect_restricted(_metadata, fd, TARGET);
	close(fd);
	unload_driver();
}

/* A call naming the target reaches Xen, which has no such domain. */
TEST(target_calls_reach_xen)
{
	int fd = start(_metadata, "28672", "");

	EXPECT_EQ(-ESRCH, dm_op_one(fd, TARGET));
	EXPECT_EQ(-EPERM, dm_op_one(fd, OTHER));
	close(fd);
	unload_driver();
}

/* Every ioctl that names a domain refuses another than the target. */
TEST(target_other_domain_is_eperm_in_every_ioctl)
{
	int fd = start(_metadata, "28672", "");
	privcmd_mmapbatch_v2_t batch = { .dom = OTHER };
	privcmd_mmap_t map = { .dom = OTHER };
	privcmd_mmap_resource_t res = { .dom = OTHER };
	struct privcmd_irqfd irqfd = { .dom = OTHER, .fd = -1 };
	struct privcmd_ioeventfd ioeventfd = { .dom = OTHER, .event_fd = -1 };

	EXPECT_EQ(-1, ioctl(fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &batch));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(fd, IOCTL_PRIVCMD_MMAP, &map));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(fd, IOCTL_PRIVCMD_MMAP_RESOURCE, &res));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(fd, IOCTL_PRIVCMD_IRQFD, &irqfd));
	EXPECT_EQ(EPERM, errno);
	EXPECT_EQ(-1, ioctl(fd, IOCTL_PRIVCMD_IOEVENTFD, &ioeventfd));
	EXPECT_EQ(EPERM, errno);
	/* The target itself gets past the restriction, to the next check. */
	batch.dom = TARGET;
	EXPECT_EQ(-1, ioctl(fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &batch));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
	unload_driver();
}

/* /proc/xen/privcmd (xenfs over the driver) is restricted the same way. */
TEST(target_restricts_xenfs_privcmd)
{
	int fd = start(_metadata, "28672", ""), xfd;

	close(fd);
	ASSERT_EQ(0, load_module("xenfs", "")) TH_LOG("xenfs: %m");
	mkdir("/proc/xen", 0755);
	ASSERT_EQ(0, mount("xenfs", "/proc/xen", "xenfs", 0, NULL)) TH_LOG("%m");
	xfd = open("/proc/xen/privcmd", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, xfd) TH_LOG("/proc/xen/privcmd: %m");
	expect_restricted(_metadata, xfd, TARGET);
	close(xfd);
	unload_driver();
}

/* The key is read when the driver loads, not at each open. */
TEST(target_is_read_at_load)
{
	int fd = start(_metadata, "7\n", ""), fd2;

	expect_restricted(_metadata, fd, 7);
	ASSERT_EQ(0, write_target("28672"));
	fd2 = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd2);
	EXPECT_EQ(0, dm_op_none(fd2, 7));
	EXPECT_EQ(-EPERM, dm_op_none(fd2, TARGET));
	close(fd2);
	close(fd);
	unload_driver();
}

/* "unrestricted=1": any hypercall, any domain, RESTRICT as in dom0. */
TEST(unrestricted_lifts_the_target)
{
	int fd = start(_metadata, "28672", "unrestricted=1");

	EXPECT_LT(0, xen_version(fd));
	EXPECT_EQ(0, dm_op_none(fd, OTHER));
	EXPECT_EQ(0, dm_op_none(fd, 0));
	EXPECT_EQ(0, restrict_to(fd, OTHER));
	EXPECT_EQ(-EPERM, dm_op_none(fd, TARGET));
	EXPECT_EQ(-EPERM, xen_version(fd));
	close(fd);
	unload_driver();
}

/* A target that is not a number: every file is restricted to DOMID_IDLE. */
TEST(target_not_a_number_is_domid_idle)
{
	int fd = start(_metadata, "dom7", "");

	expect_restricted(_metadata, fd, DOMID_IDLE);
	close(fd);
	unload_driver();
}

/*
 * A target that names no domain: DOMID_INVALID (32756), and 65536 + 7.
 * The Rust driver restricts files to DOMID_IDLE; the C driver keeps the
 * number's low 16 bits as the domain, so that DOMID_INVALID lifts the
 * restriction and 65543 restricts files to domain 7.
 */
TEST(target_naming_no_domain_is_domid_idle)
{
	int fd = start(_metadata, "32756", "");

	if (c_driver()) {
		long version = xen_version(fd), named = dm_op_none(fd, OTHER);
		long seven, other;

		close(fd);
		fd = start(_metadata, "65543", "");
		seven = dm_op_none(fd, 7);
		other = dm_op_none(fd, OTHER);
		close(fd);
		unload_driver();
		SKIP(return, "C driver: target 32756 (DOMID_INVALID) lifts the restriction (xen_version: %ld, dm_op on another domain: %ld); target 65543 names domain 7 (dm_op on 7: %ld, on another: %ld)",
		     version, named, seven, other);
	}
	expect_restricted(_metadata, fd, DOMID_IDLE);
	close(fd);
	fd = start(_metadata, "65543", "");
	expect_restricted(_metadata, fd, DOMID_IDLE);
	EXPECT_EQ(-EPERM, dm_op_none(fd, 7));
	close(fd);
	unload_driver();
}

/* Last: a domU cannot create the key again once it is removed. */
TEST(no_target_refuses_every_hypercall)
{
	char value[32];
	int fd = start(_metadata, NULL, "");

	EXPECT_EQ(-ENOENT, read_target(value, sizeof(value)));
	expect_restricted(_metadata, fd, DOMID_IDLE);
	EXPECT_EQ(-EPERM, dm_op_one(fd, TARGET));
	close(fd);
	unload_driver();
}

TEST(no_target_unrestricted_lifts_it)
{
	int fd;

	unload_driver();
	ASSERT_EQ(0, load_module(driver_file(), "unrestricted=1"));
	fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_LT(0, xen_version(fd));
	EXPECT_EQ(0, dm_op_none(fd, TARGET));
	close(fd);
	unload_driver();
}

TEST_HARNESS_MAIN
