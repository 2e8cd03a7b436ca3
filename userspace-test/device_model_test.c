// SPDX-License-Identifier: GPL-2.0
/*
 * The ioctls of a device model (QEMU's Xen backends, through
 * libxendevicemodel): IOCTL_PRIVCMD_DM_OP and IOCTL_PRIVCMD_PCIDEV_GET_GSI.
 *
 * The driver's checks come first, with the C driver's errno values and in
 * its order; then what Xen answers, for operations on a domain that cannot
 * take them (no domain, or dom0 itself), which change nothing.  The stub
 * has no dm_op (-ENOSYS), so what only Xen can answer skips there.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

#include <xen/hvm/dm_op.h>

/* The C driver's default limits (module parameters of both drivers). */
#define DM_OP_MAX_NR_BUFS 16
#define DM_OP_BUF_MAX_SIZE 4096

#ifndef PAGE_SIZE
#define PAGE_SIZE 4096UL
#endif

/* A domain that does not exist: Xen's domids of domUs start at 1. */
#define NO_SUCH_DOMAIN 0x7000

FIXTURE(dm_op) {
	int fd;
	struct xen_dm_op op;
	privcmd_dm_op_buf_t bufs[DM_OP_MAX_NR_BUFS + 1];
};

FIXTURE_SETUP(dm_op)
{
	int i;

	self->fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	memset(&self->op, 0, sizeof(self->op));
	self->op.op = XEN_DMOP_create_ioreq_server;
	for (i = 0; i < DM_OP_MAX_NR_BUFS + 1; i++) {
		self->bufs[i].uptr = &self->op;
		self->bufs[i].size = sizeof(self->op);
	}
}

FIXTURE_TEARDOWN(dm_op)
{
	close(self->fd);
}

static long dm_op(int fd, domid_t dom, unsigned int num,
		  const privcmd_dm_op_buf_t *bufs)
{
	privcmd_dm_op_t op = { .dom = dom, .num = num, .ubufs = bufs };

	return ioctl(fd, IOCTL_PRIVCMD_DM_OP, &op) == -1 ? -errno : 0;
}

TEST_F(dm_op, null_argument_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_DM_OP, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(dm_op, no_buffers_is_nothing_to_do)
{
	EXPECT_EQ(0, dm_op(self->fd, NO_SUCH_DOMAIN, 0, NULL));
}

TEST_F(dm_op, too_many_buffers_is_e2big)
{
	EXPECT_EQ(-E2BIG, dm_op(self->fd, NO_SUCH_DOMAIN,
				DM_OP_MAX_NR_BUFS + 1, self->bufs));
	/* The count is checked before the list is read. */
	EXPECT_EQ(-E2BIG, dm_op(self->fd, NO_SUCH_DOMAIN,
				DM_OP_MAX_NR_BUFS + 1, NULL));
}

TEST_F(dm_op, unreadable_buffer_list_is_efault)
{
	EXPECT_EQ(-EFAULT, dm_op(self->fd, NO_SUCH_DOMAIN, 1, NULL));
	EXPECT_EQ(-EFAULT, dm_op(self->fd, NO_SUCH_DOMAIN, 1,
				 (void *)KERNEL_ADDR));
}

TEST_F(dm_op, buffer_too_large_is_e2big)
{
	self->bufs[1].size = DM_OP_BUF_MAX_SIZE + 1;
	EXPECT_EQ(-E2BIG, dm_op(self->fd, NO_SUCH_DOMAIN, 2, self->bufs));
}

TEST_F(dm_op, buffer_outside_user_space_is_efault)
{
	self->bufs[1].uptr = (void *)KERNEL_ADDR;
	EXPECT_EQ(-EFAULT, dm_op(self->fd, NO_SUCH_DOMAIN, 2, self->bufs));
	/* A size that wraps around the address space. */
	self->bufs[1].uptr = (void *)0x1000;
	self->bufs[1].size = ~0UL;
	EXPECT_EQ(-E2BIG, dm_op(self->fd, NO_SUCH_DOMAIN, 2, self->bufs));
}

/* Buffers are checked in order: the first bad one decides. */
TEST_F(dm_op, first_bad_buffer_decides)
{
	self->bufs[0].uptr = (void *)KERNEL_ADDR;
	self->bufs[1].size = DM_OP_BUF_MAX_SIZE + 1;
	EXPECT_EQ(-EFAULT, dm_op(self->fd, NO_SUCH_DOMAIN, 2, self->bufs));
	self->bufs[0].uptr = &self->op;
	self->bufs[0].size = DM_OP_BUF_MAX_SIZE + 1;
	self->bufs[1].uptr = (void *)KERNEL_ADDR;
	self->bufs[1].size = sizeof(self->op);
	EXPECT_EQ(-E2BIG, dm_op(self->fd, NO_SUCH_DOMAIN, 2, self->bufs));
}

/* In user space but not mapped: the pages cannot be pinned. */
TEST_F(dm_op, unmapped_buffer_is_efault)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p, 4096));
	self->bufs[0].uptr = p;
	EXPECT_EQ(-EFAULT, dm_op(self->fd, NO_SUCH_DOMAIN, 1, self->bufs));
}

/* Pinned for Xen to write: a read-only buffer cannot be. */
TEST_F(dm_op, read_only_buffer_is_efault)
{
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);

	ASSERT_NE(MAP_FAILED, p);
	self->bufs[0].uptr = p;
	EXPECT_EQ(-EFAULT, dm_op(self->fd, NO_SUCH_DOMAIN, 1, self->bufs));
	munmap(p, 4096);
}

TEST_F(dm_op, restricted_file_refuses_other_domains)
{
	domid_t dom = 5;

	ASSERT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, &dom));
	EXPECT_EQ(-EPERM, dm_op(self->fd, 6, 1, self->bufs));
	/* Even with nothing to do. */
	EXPECT_EQ(-EPERM, dm_op(self->fd, 6, 0, NULL));
	EXPECT_EQ(0, dm_op(self->fd, 5, 0, NULL));
}

/* Xen: rcu_lock_remote_domain_by_id() finds no such domain. */
TEST_F(dm_op, missing_domain_is_esrch)
{
	XEN_ONLY("the hypervisor stub has no dm_op");
	EXPECT_EQ(-ESRCH, dm_op(self->fd, NO_SUCH_DOMAIN, 1, self->bufs));
	EXPECT_EQ(-ESRCH, dm_op(self->fd, NO_SUCH_DOMAIN, 2, self->bufs));
}

/*
 * Xen takes at most two buffers (struct dmop_args in Xen 4.17), fewer
 * than the driver's limit: the driver passes 3 to 16 on, Xen refuses.
 */
TEST_F(dm_op, more_buffers_than_xen_takes_is_e2big)
{
	XEN_ONLY("the hypervisor stub has no dm_op");
	EXPECT_EQ(-E2BIG, dm_op(self->fd, NO_SUCH_DOMAIN, 3, self->bufs));
	EXPECT_EQ(-E2BIG, dm_op(self->fd, NO_SUCH_DOMAIN, DM_OP_MAX_NR_BUFS,
				self->bufs));
}

/* Xen: a domain is never its own device model's target. */
TEST_F(dm_op, own_domain_is_eperm)
{
	XEN_ONLY("the hypervisor stub has no dm_op");
	EXPECT_EQ(-EPERM, dm_op(self->fd, 0, 1, self->bufs));
}

/*
 * A buffer of no bytes that begins a page spans no page.  Found by the
 * fuzzer over Linux's C driver in the sanitized world (seed 1, operation
 * 8449): the C driver counts no page for it but still asks
 * pin_user_pages_fast() for zero pages, and the kernel's fast path pins
 * the page at the address and those after it, while they are present,
 * into its array, already full with the buffers before: KASAN's
 * "slab-out-of-bounds in gup_fast_fallback" from lock_pages().  Here the
 * buffer pins nothing and the operation goes on to the hypervisor.
 */
TEST_F(dm_op, empty_buffer_at_a_page_start_pins_nothing)
{
	char *pages = mmap(NULL, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	int reports = kernel_log_count("BUG:");

	if (c_driver() && !getenv("PRIVCMD_C_HOLES"))
		SKIP(return, "Linux's C driver writes past its page array (PRIVCMD_C_HOLES=1 runs it)");
	ASSERT_NE(MAP_FAILED, pages);
	memcpy(pages, &self->op, sizeof(self->op));
	/* One page for the first buffer: the array is full after it. */
	self->bufs[0].uptr = pages;
	self->bufs[1].uptr = pages + PAGE_SIZE;
	self->bufs[1].size = 0;
	EXPECT_EQ(on_stub() ? -ENOSYS : -ESRCH,
		  dm_op(self->fd, NO_SUCH_DOMAIN, 2, self->bufs));
	/* The same after pages of other buffers. */
	self->bufs[0].uptr = pages + PAGE_SIZE - 8;
	self->bufs[0].size = 16;
	self->bufs[1].uptr = pages + 4 * PAGE_SIZE;
	self->bufs[1].size = 0;
	EXPECT_EQ(on_stub() ? -ENOSYS : -ESRCH,
		  dm_op(self->fd, NO_SUCH_DOMAIN, 2, self->bufs));
	EXPECT_EQ(reports, kernel_log_count("BUG:"));
	munmap(pages, 16 * PAGE_SIZE);
}

TEST_F(dm_op, stub_has_no_dm_op)
{
	if (!on_stub())
		SKIP(return, "Xen has dm_op");
	EXPECT_EQ(-ENOSYS, dm_op(self->fd, NO_SUCH_DOMAIN, 1, self->bufs));
}

/* ---- IOCTL_PRIVCMD_PCIDEV_GET_GSI ---- */

static long get_gsi(uint32_t sbdf, uint32_t *gsi)
{
	struct privcmd_pcidev_get_gsi dev = { .sbdf = sbdf, .gsi = ~0U };
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	long ret;

	if (fd < 0)
		return -errno;
	ret = ioctl(fd, IOCTL_PRIVCMD_PCIDEV_GET_GSI, &dev) == -1 ? -errno : 0;
	close(fd);
	if (gsi)
		*gsi = dev.gsi;
	return ret;
}

TEST(get_gsi_null_argument_is_efault)
{
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, IOCTL_PRIVCMD_PCIDEV_GET_GSI, NULL));
	EXPECT_EQ(EFAULT, errno);
	close(fd);
}

/* Only xen-pciback knows GSIs; without it, nobody answers. */
TEST(get_gsi_without_pciback_is_eopnotsupp)
{
	if (module_loaded("xen_pciback"))
		SKIP(return, "xen-pciback is loaded");
	EXPECT_EQ(-EOPNOTSUPP, get_gsi(0x0018, NULL));
}

/*
 * The first PCI device that no driver holds and that is not a bridge
 * (pciback seizes endpoints only), as "0000:00:03.0".
 */
static int free_pci_device(char *name, size_t len)
{
	unsigned int class = 0;
	struct dirent *d;
	char path[PATH_MAX];
	DIR *dir = opendir("/sys/bus/pci/devices");
	FILE *f;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver",
			 d->d_name);
		if (access(path, F_OK) == 0)
			continue;
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/class",
			 d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fscanf(f, "%x", &class) != 1)
			class = 0x060000;
		fclose(f);
		if ((class >> 16) == 0x06)
			continue;
		snprintf(name, len, "%s", d->d_name);
		closedir(dir);
		return 0;
	}
	closedir(dir);
	return -1;
}

/*
 * With xen-pciback loaded (asked to hide a free device): ENODEV for a
 * device it does not hold.  What it answers for the device it seized is
 * logged, not asserted: under QEMU, Linux 7.3.4's pciback answers ENODEV
 * for it too, over either driver.
 */
TEST(get_gsi_through_pciback)
{
	unsigned int seg, bus, slot, fn;
	char dev[NAME_MAX + 1], params[NAME_MAX + 16], path[PATH_MAX];
	uint32_t sbdf, gsi;

	if (on_stub())
		SKIP(return, "xen-pciback needs Xen");
	if (access("/modules/xen-pciback.ko", F_OK))
		SKIP(return, "no xen-pciback.ko in this image");
	if (free_pci_device(dev, sizeof(dev)))
		SKIP(return, "no PCI device without a driver");
	ASSERT_EQ(4, sscanf(dev, "%x:%x:%x.%x", &seg, &bus, &slot, &fn));
	sbdf = seg << 16 | bus << 8 | slot << 3 | fn;

	snprintf(params, sizeof(params), "hide=(%s)", dev);
	ASSERT_EQ(0, load_module("xen-pciback", params)) TH_LOG("%m");

	EXPECT_EQ(-ENODEV, get_gsi(sbdf ^ 0x80, NULL));
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/pciback/%s", dev);
	if (access(path, F_OK) == 0) {
		long ret = get_gsi(sbdf, &gsi);

		TH_LOG("%s seized by pciback: GET_GSI %ld, gsi %u", dev, ret, gsi);
	}
	EXPECT_EQ(0, unload_module("xen_pciback"));
}

TEST_HARNESS_MAIN
