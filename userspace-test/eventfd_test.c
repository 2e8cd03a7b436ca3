// SPDX-License-Identifier: GPL-2.0
/*
 * The eventfd ioctls of a virtio backend in dom0: IOCTL_PRIVCMD_IRQFD,
 * which turns each signal of an eventfd into a dm_op that raises the
 * guest's interrupt.
 *
 * The driver's checks come first, with the C driver's errno values and in
 * its order.  Then what an irqfd does, seen from userspace: a signal of an
 * assigned eventfd is consumed (its count drops to zero) as the driver
 * issues the dm_op, and a failed one is logged, once until one succeeds.
 * The dm_ops name a domain that does not exist, so Xen refuses them
 * (ESRCH) and no guest is touched; the stub has no dm_op (ENOSYS), which
 * shows the same path.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

#include <xen/hvm/dm_op.h>

/* Domains that do not exist (domUs start at 1), one per test that logs. */
#define NO_SUCH_DOMAIN 0x7000

FIXTURE(irqfd) {
	int fd;
	int efd;
	struct xen_dm_op op;
};

FIXTURE_SETUP(irqfd)
{
	self->fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	memset(&self->op, 0, sizeof(self->op));
	self->op.op = XEN_DMOP_set_isa_irq_level;
	self->op.u.set_isa_irq_level.isa_irq = 5;
	self->op.u.set_isa_irq_level.level = 1;
}

FIXTURE_TEARDOWN(irqfd)
{
	close(self->efd);
	close(self->fd);
}

static int irqfd(int fd, int efd, domid_t dom, const void *op, uint32_t size,
		 uint32_t flags)
{
	struct privcmd_irqfd req = {
		.dm_op = (uintptr_t)op,
		.size = size,
		.fd = efd,
		.flags = flags,
		.dom = dom,
	};

	return ioctl(fd, IOCTL_PRIVCMD_IRQFD, &req) == -1 ? -errno : 0;
}

static int assign(int fd, int efd, domid_t dom, const struct xen_dm_op *op)
{
	return irqfd(fd, efd, dom, op, sizeof(*op), 0);
}

static int deassign(int fd, int efd, domid_t dom)
{
	return irqfd(fd, efd, dom, NULL, 0, PRIVCMD_IRQFD_FLAG_DEASSIGN);
}

/* The eventfd's count, taken (0 if there is none: EAGAIN). */
static uint64_t take(int efd)
{
	uint64_t count = 0;

	if (read(efd, &count, sizeof(count)) != sizeof(count))
		return 0;
	return count;
}

static void signal_eventfd(int efd, uint64_t n)
{
	if (write(efd, &n, sizeof(n)) != sizeof(n))
		perror("eventfd write");
}

/* Lines the driver logged for failed injections into dom. */
static int failures_logged(domid_t dom)
{
	char rust[32], c[32];

	/* Ours, then the C driver's wording. */
	snprintf(rust, sizeof(rust), "domain %u failed", dom);
	snprintf(c, sizeof(c), "guest domain: %u", dom);
	return kernel_log_count(rust) + kernel_log_count(c);
}

TEST_F(irqfd, null_argument_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_IRQFD, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(irqfd, unknown_flags_are_einval)
{
	EXPECT_EQ(-EINVAL, irqfd(self->fd, self->efd, NO_SUCH_DOMAIN,
				 &self->op, sizeof(self->op), 2));
	EXPECT_EQ(-EINVAL, irqfd(self->fd, self->efd, NO_SUCH_DOMAIN,
				 &self->op, sizeof(self->op),
				 PRIVCMD_IRQFD_FLAG_DEASSIGN | 0x80000000));
}

TEST_F(irqfd, restricted_file_names_only_its_domain)
{
	domid_t dom = NO_SUCH_DOMAIN + 1;

	ASSERT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, &dom));
	EXPECT_EQ(-EPERM, assign(self->fd, self->efd, NO_SUCH_DOMAIN,
				 &self->op));
	EXPECT_EQ(-EPERM, deassign(self->fd, self->efd, NO_SUCH_DOMAIN));
	/* Flags are checked first. */
	EXPECT_EQ(-EINVAL, irqfd(self->fd, self->efd, NO_SUCH_DOMAIN,
				 &self->op, sizeof(self->op), 2));
	/* Its own domain passes. */
	EXPECT_EQ(0, assign(self->fd, self->efd, dom, &self->op));
	EXPECT_EQ(0, deassign(self->fd, self->efd, dom));
}

TEST_F(irqfd, bad_file_is_ebadf)
{
	EXPECT_EQ(-EBADF, assign(self->fd, -1, NO_SUCH_DOMAIN, &self->op));
	EXPECT_EQ(-EBADF, assign(self->fd, 1000000, NO_SUCH_DOMAIN,
				 &self->op));
	EXPECT_EQ(-EBADF, deassign(self->fd, -1, NO_SUCH_DOMAIN));
}

TEST_F(irqfd, operation_is_read_before_the_file)
{
	EXPECT_EQ(-EFAULT, irqfd(self->fd, -1, NO_SUCH_DOMAIN, NULL, 8, 0));
	EXPECT_EQ(-EFAULT, irqfd(self->fd, self->efd, NO_SUCH_DOMAIN,
				 unmapped(), sizeof(self->op), 0));
	EXPECT_EQ(-EFAULT, irqfd(self->fd, self->efd, NO_SUCH_DOMAIN,
				 straddle(8), sizeof(self->op), 0));
	EXPECT_EQ(-EFAULT, irqfd(self->fd, self->efd, NO_SUCH_DOMAIN,
				 (void *)KERNEL_ADDR, sizeof(self->op), 0));
}

TEST_F(irqfd, file_that_is_no_eventfd_is_einval)
{
	EXPECT_EQ(-EINVAL, assign(self->fd, self->fd, NO_SUCH_DOMAIN,
				  &self->op));
	EXPECT_EQ(-EINVAL, deassign(self->fd, self->fd, NO_SUCH_DOMAIN));
	EXPECT_EQ(-EINVAL, assign(self->fd, 0, NO_SUCH_DOMAIN, &self->op));
}

TEST_F(irqfd, eventfd_is_assigned_once)
{
	int other = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, other);
	ASSERT_EQ(0, assign(self->fd, self->efd, NO_SUCH_DOMAIN, &self->op));
	EXPECT_EQ(-EBUSY, assign(self->fd, self->efd, NO_SUCH_DOMAIN,
				 &self->op));
	/* Whatever the domain, and through another file. */
	EXPECT_EQ(-EBUSY, assign(other, self->efd, NO_SUCH_DOMAIN + 2,
				 &self->op));
	EXPECT_EQ(0, deassign(self->fd, self->efd, NO_SUCH_DOMAIN));
	EXPECT_EQ(0, assign(other, self->efd, NO_SUCH_DOMAIN, &self->op));
	EXPECT_EQ(0, deassign(other, self->efd, NO_SUCH_DOMAIN));
	close(other);
}

TEST_F(irqfd, deassigning_what_is_not_assigned_succeeds)
{
	EXPECT_EQ(0, deassign(self->fd, self->efd, NO_SUCH_DOMAIN));
	ASSERT_EQ(0, assign(self->fd, self->efd, NO_SUCH_DOMAIN, &self->op));
	EXPECT_EQ(0, deassign(self->fd, self->efd, NO_SUCH_DOMAIN));
	EXPECT_EQ(0, deassign(self->fd, self->efd, NO_SUCH_DOMAIN));
}

TEST_F(irqfd, signal_is_consumed_while_assigned)
{
	domid_t dom = NO_SUCH_DOMAIN + 3;

	ASSERT_EQ(0, assign(self->fd, self->efd, dom, &self->op));
	signal_eventfd(self->efd, 1);
	EXPECT_EQ(0, take(self->efd));
	signal_eventfd(self->efd, 5);
	EXPECT_EQ(0, take(self->efd));
	ASSERT_EQ(0, deassign(self->fd, self->efd, dom));
	/* Not after. */
	signal_eventfd(self->efd, 7);
	EXPECT_EQ(7, take(self->efd));
}

TEST_F(irqfd, signal_before_assigning_is_injected_then)
{
	domid_t dom = NO_SUCH_DOMAIN + 4;

	signal_eventfd(self->efd, 3);
	ASSERT_EQ(0, assign(self->fd, self->efd, dom, &self->op));
	EXPECT_EQ(0, take(self->efd));
	EXPECT_EQ(1, failures_logged(dom));
	EXPECT_EQ(0, deassign(self->fd, self->efd, dom));
}

TEST_F(irqfd, failure_is_logged_once)
{
	domid_t dom = NO_SUCH_DOMAIN + 5;
	int i;

	ASSERT_EQ(0, failures_logged(dom));
	ASSERT_EQ(0, assign(self->fd, self->efd, dom, &self->op));
	for (i = 0; i < 10; i++)
		signal_eventfd(self->efd, 1);
	EXPECT_EQ(1, failures_logged(dom));
	EXPECT_EQ(0, deassign(self->fd, self->efd, dom));
}

TEST_F(irqfd, operation_of_any_size)
{
	/* Xen judges the operation; the driver passes on what it is given. */
	EXPECT_EQ(0, irqfd(self->fd, self->efd, NO_SUCH_DOMAIN + 6, &self->op,
			   0, 0));
	EXPECT_EQ(0, deassign(self->fd, self->efd, NO_SUCH_DOMAIN + 6));
}

TEST_F(irqfd, closing_the_eventfd_ends_the_irqfd)
{
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int again;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, assign(self->fd, efd, NO_SUCH_DOMAIN, &self->op));
	close(efd);
	/* A new eventfd, perhaps in the same memory, is free to assign. */
	again = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, again);
	EXPECT_EQ(0, assign(self->fd, again, NO_SUCH_DOMAIN, &self->op));
	EXPECT_EQ(0, deassign(self->fd, again, NO_SUCH_DOMAIN));
	close(again);
}

TEST_F(irqfd, irqfd_outlives_the_privcmd_file)
{
	domid_t dom = NO_SUCH_DOMAIN + 7;
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, assign(fd, self->efd, dom, &self->op));
	close(fd);
	signal_eventfd(self->efd, 1);
	EXPECT_EQ(0, take(self->efd));
	EXPECT_EQ(0, deassign(self->fd, self->efd, dom));
}

TEST_HARNESS_MAIN
