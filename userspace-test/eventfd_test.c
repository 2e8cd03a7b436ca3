// SPDX-License-Identifier: GPL-2.0
/*
 * The eventfd ioctls of a virtio backend in dom0: IOCTL_PRIVCMD_IRQFD,
 * which turns each signal of an eventfd into a dm_op that raises the
 * guest's interrupt, and IOCTL_PRIVCMD_IOEVENTFD, which signals an eventfd
 * when a guest vCPU's request (in an ioreq server's pages) notifies a
 * virtqueue.
 *
 * The driver's checks come first, with the C driver's errno values and in
 * its order.  Then what an irqfd does, seen from userspace: a signal of an
 * assigned eventfd is consumed (its count drops to zero) as the driver
 * issues the dm_op, and a failed one is logged, once until one succeeds.
 * The dm_ops name a domain that does not exist, so Xen refuses them
 * (ESRCH) and no guest is touched; the stub has no dm_op (ENOSYS), which
 * shows the same path.
 *
 * An ioeventfd is shown at work in an auto-translated (PVH) dom0 without a
 * guest that runs: a domain is created only to lend a frame (its grant
 * table, mapped as a resource) for the request slot, which the test fills
 * as Xen would; an event channel that dom0 binds to itself stands for the
 * vCPU's.  The driver claims the request, signals the eventfd and answers.
 */
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

#include <xen/event_channel.h>
#include <xen/hvm/dm_op.h>
#include <xen/hvm/ioreq.h>
#include <xen/sched.h>
#include <xen/sys/evtchn.h>

/* Newer than Xen 4.17's copy of the UAPI: Linux's include/uapi/xen/evtchn.h. */
#ifndef IOCTL_EVTCHN_BIND_STATIC
struct ioctl_evtchn_bind {
	unsigned int port;
};

#define IOCTL_EVTCHN_BIND_STATIC \
	_IOC(_IOC_NONE, 'E', 7, sizeof(struct ioctl_evtchn_bind))
#endif

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

/* Event channel and domain control through the privcmd hypercall. */
static long evtchn_op(int fd, int cmd, void *arg)
{
	return hcall(fd, __HYPERVISOR_event_channel_op, cmd, (uintptr_t)arg, 0);
}

/* Whether domain dom has shut down; -1 if there is no such domain. */
static int domain_is_shut_down(int fd, domid_t dom)
{
	struct xen_domctl d = { .cmd = XEN_DOMCTL_getdomaininfo, .domain = dom };

	if (domctl(fd, &d) || d.u.getdomaininfo.domain != dom)
		return -1;
	return !!(d.u.getdomaininfo.flags & XEN_DOMINF_shutdown);
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

TEST_F(irqfd, operation_too_large_to_allocate_is_enomem)
{
	if (c_driver())
		SKIP(return, "the C driver's allocation of it warns in the kernel log");
	EXPECT_EQ(-ENOMEM, irqfd(self->fd, self->efd, NO_SUCH_DOMAIN, &self->op,
				 UINT32_MAX, 0));
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

/*
 * The operation takes effect: a signal makes the driver ask Xen to shut an
 * HVM domain down (XEN_DMOP_remote_shutdown), which then is.  HVM needs
 * the PVH world's emulated SVM.
 */
TEST_F(irqfd, signal_runs_the_operation)
{
	domid_t dom;

	XEN_ONLY("the stub has no dm_op");
	if (!guest_type_is("PVH"))
		SKIP(return, "an HVM domain needs SVM, which only the PVH world's CPU has");
	dom = create_domain(self->fd, XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
			    XEN_X86_EMU_LAPIC);
	ASSERT_NE(0, dom) TH_LOG("no HVM domain: %m");
	memset(&self->op, 0, sizeof(self->op));
	self->op.op = XEN_DMOP_remote_shutdown;
	self->op.u.remote_shutdown.reason = SHUTDOWN_poweroff;

	ASSERT_EQ(0, assign(self->fd, self->efd, dom, &self->op));
	EXPECT_EQ(0, domain_is_shut_down(self->fd, dom));
	signal_eventfd(self->efd, 1);
	EXPECT_EQ(0, take(self->efd));
	EXPECT_EQ(1, domain_is_shut_down(self->fd, dom));
	EXPECT_EQ(0, failures_logged(dom));
	EXPECT_EQ(0, deassign(self->fd, self->efd, dom));
	destroy_domain(self->fd, dom);
	EXPECT_EQ(-1, domain_is_shut_down(self->fd, dom));
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

struct irqfd_race {
	int fd, efd;
	domid_t dom;
	pthread_barrier_t go;
	int deassigned;
};

static void *deassign_after_the_barrier(void *arg)
{
	struct irqfd_race *r = arg;

	pthread_barrier_wait(&r->go);
	r->deassigned = deassign(r->fd, r->efd, r->dom);
	return NULL;
}

/*
 * A deassign racing the eventfd's close, which ends the irqfd too (the
 * eventfd's hang-up): the irqfd ends once.  The close comes after delays
 * that step through the deassign's end of it.  Linux's C driver ends it a
 * second time when the hang-up comes while its shutdown work waits for
 * readers: that work runs again, and removes the freed irqfd from the
 * eventfd's wait queue (general protection fault on the list poison in
 * eventfd_ctx_remove_wait_queue, the queue's lock held: the kernel hangs).
 * Found by privcmd_fuzz --race (seed 1 with --known, round 87, PV dom0).
 */
TEST_F(irqfd, deassign_racing_the_eventfds_close_ends_it_once)
{
	domid_t dom = NO_SUCH_DOMAIN + 8;
	int i;

	if (c_driver())
		SKIP(return, "the C driver ends the irqfd twice: a general protection fault in irqfd_shutdown, then a hang");
	for (i = 0; i < 200; i++) {
		struct irqfd_race r = { .fd = self->fd, .dom = dom };
		pthread_t t;

		r.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ASSERT_LE(0, r.efd);
		ASSERT_EQ(0, assign(self->fd, r.efd, dom, &self->op));
		ASSERT_EQ(0, pthread_barrier_init(&r.go, NULL, 2));
		ASSERT_EQ(0, pthread_create(&t, NULL, deassign_after_the_barrier, &r));
		pthread_barrier_wait(&r.go);
		if (i % 10)
			usleep((i % 10) * 100);
		close(r.efd);
		pthread_join(t, NULL);
		pthread_barrier_destroy(&r.go);
		/* The deassign found the irqfd, or the number closed already. */
		EXPECT_TRUE(r.deassigned == 0 || r.deassigned == -EBADF)
			TH_LOG("round %d: %d", i, r.deassigned);
	}
	/* The eventfd's number and the domain are free again. */
	ASSERT_LE(0, self->efd);
	EXPECT_EQ(0, assign(self->fd, self->efd, dom, &self->op));
	EXPECT_EQ(0, deassign(self->fd, self->efd, dom));
}

/* ---- IOCTL_PRIVCMD_IOEVENTFD ---- */

/* A virtio-mmio device's address, and its QueueNotify register. */
#define DEVICE_ADDR 0xfe000000ULL
#define QUEUE_NOTIFY 0x50

FIXTURE(ioeventfd) {
	int fd;
	int efd;
	uint32_t ports[2];
	struct privcmd_ioeventfd req;
};

FIXTURE_SETUP(ioeventfd)
{
	self->fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	self->ports[0] = self->ports[1] = 0;
	memset(&self->req, 0, sizeof(self->req));
	/* Nothing is mapped at the top page of user space. */
	self->req.ioreq = 0x7ffffffff000ULL;
	self->req.ports = (uintptr_t)self->ports;
	self->req.addr = DEVICE_ADDR;
	self->req.addr_len = 4;
	self->req.event_fd = self->efd;
	self->req.vcpus = 1;
	self->req.vq = 1;
	self->req.dom = NO_SUCH_DOMAIN;
}

FIXTURE_TEARDOWN(ioeventfd)
{
	close(self->efd);
	close(self->fd);
}

static int ioeventfd(int fd, const struct privcmd_ioeventfd *req)
{
	return ioctl(fd, IOCTL_PRIVCMD_IOEVENTFD, req) == -1 ? -errno : 0;
}

static int ioeventfd_deassign(int fd, struct privcmd_ioeventfd req)
{
	req.flags = PRIVCMD_IOEVENTFD_FLAG_DEASSIGN;
	return ioeventfd(fd, &req);
}

TEST_F(ioeventfd, null_argument_is_efault)
{
	EXPECT_EQ(-1, ioctl(self->fd, IOCTL_PRIVCMD_IOEVENTFD, NULL));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(ioeventfd, unknown_flags_are_einval)
{
	self->req.flags = 2;
	EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req));
}

TEST_F(ioeventfd, restricted_file_names_only_its_domain)
{
	domid_t dom = NO_SUCH_DOMAIN + 1;

	ASSERT_EQ(0, ioctl(self->fd, IOCTL_PRIVCMD_RESTRICT, &dom));
	EXPECT_EQ(-EPERM, ioeventfd(self->fd, &self->req));
	EXPECT_EQ(-EPERM, ioeventfd_deassign(self->fd, self->req));
}

TEST_F(ioeventfd, address_range_that_wraps_is_einval)
{
	self->req.addr = ~0ULL - 2;
	EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req));
}

TEST_F(ioeventfd, width_other_than_1_2_4_8_is_einval)
{
	static const uint32_t bad[] = { 0, 3, 5, 16, 0x80000004 };
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		self->req.addr_len = bad[i];
		EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req))
			TH_LOG("width %u", bad[i]);
	}
}

TEST_F(ioeventfd, no_or_too_many_vcpus_is_einval)
{
	self->req.vcpus = 0;
	EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req));
	self->req.vcpus = 4097;
	EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req));
	/* All before the eventfd is looked at. */
	self->req.event_fd = -1;
	EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req));
}

TEST_F(ioeventfd, bad_eventfd_is_ebadf_or_einval)
{
	self->req.event_fd = -1;
	EXPECT_EQ(-EBADF, ioeventfd(self->fd, &self->req));
	EXPECT_EQ(-EBADF, ioeventfd_deassign(self->fd, self->req));
	self->req.event_fd = self->fd;
	EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req));
	EXPECT_EQ(-EINVAL, ioeventfd_deassign(self->fd, self->req));
}

TEST_F(ioeventfd, no_request_pages_mapped_is_efault)
{
	EXPECT_EQ(-EFAULT, ioeventfd(self->fd, &self->req));
	/* Nor is the port list readable. */
	self->req.ports = 0;
	EXPECT_EQ(-EFAULT, ioeventfd(self->fd, &self->req));
}

/*
 * Memory that holds no request pages: an anonymous mapping, a privcmd
 * mapping not filled yet, and on a PV dom0 a filled one, whose foreign
 * frames the kernel cannot address.  Linux's C driver takes the VMA's
 * private data for a page array in each case and dereferences it.
 */
TEST_F(ioeventfd, memory_without_request_pages_is_efault)
{
	char *anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *dev = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd, 0);

	if (c_driver())
		SKIP(return, "the C driver dereferences such a VMA's private data");
	ASSERT_NE(MAP_FAILED, anon);
	ASSERT_NE(MAP_FAILED, dev);
	self->req.ioreq = (uintptr_t)anon;
	EXPECT_EQ(-EFAULT, ioeventfd(self->fd, &self->req));
	self->req.ioreq = (uintptr_t)dev;
	EXPECT_EQ(-EFAULT, ioeventfd(self->fd, &self->req));
	munmap(anon, 4096);
	munmap(dev, 4096);
}

TEST_F(ioeventfd, deassigning_what_is_not_assigned_is_enodev)
{
	EXPECT_EQ(-ENODEV, ioeventfd_deassign(self->fd, self->req));
}

/*
 * A page for request slots in an auto-translated dom0: the grant table
 * frame of a new PV domain, mapped as a resource at *page.  The domain,
 * or 0 on failure.
 */
static domid_t map_request_page(int fd, char **page)
{
	struct privcmd_mmap_resource res = {
		.type = XENMEM_resource_grant_table,
		.id = XENMEM_resource_grant_table_id_shared,
		.num = 1,
	};
	domid_t dom = create_domain(fd, 0, 0);

	if (!dom)
		return 0;
	*page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	res.dom = dom;
	res.addr = (uintptr_t)*page;
	if (*page == MAP_FAILED ||
	    ioctl(fd, IOCTL_PRIVCMD_MMAP_RESOURCE, &res)) {
		destroy_domain(fd, dom);
		return 0;
	}
	return dom;
}

/*
 * An event channel of dom0 to itself: *vcpu for a vCPU's port, *ring to
 * notify it.  0, or -errno.
 */
static int loopback_ports(int fd, uint32_t *vcpu, uint32_t *ring)
{
	struct evtchn_alloc_unbound unbound = {
		.dom = DOMID_SELF, .remote_dom = 0,
	};
	struct evtchn_bind_interdomain peer = { .remote_dom = DOMID_SELF };
	long rc = evtchn_op(fd, EVTCHNOP_alloc_unbound, &unbound);

	if (rc)
		return rc;
	peer.remote_port = unbound.port;
	rc = evtchn_op(fd, EVTCHNOP_bind_interdomain, &peer);
	*vcpu = unbound.port;
	*ring = peer.local_port;
	return rc;
}

static long close_port(int fd, uint32_t port)
{
	struct evtchn_close req = { .port = port };

	return evtchn_op(fd, EVTCHNOP_close, &req);
}

static long ring(int fd, uint32_t port)
{
	struct evtchn_send req = { .port = port };

	return evtchn_op(fd, EVTCHNOP_send, &req);
}

/* Fills vCPU 0's slot with a write of queue 1's number to QueueNotify. */
static void notify_queue(volatile struct ioreq *slot)
{
	memset((void *)slot, 0, sizeof(*slot));
	slot->addr = DEVICE_ADDR + QUEUE_NOTIFY;
	slot->data = 1;
	slot->size = 4;
	slot->count = 1;
	slot->dir = IOREQ_WRITE;
	slot->type = IOREQ_TYPE_COPY;
	__sync_synchronize();
	slot->state = STATE_IOREQ_READY;
}

/* The eventfd's count, once it is not zero, or 0 after a second. */
static uint64_t wait_for(int efd)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };

	if (poll(&p, 1, 1000) != 1)
		return 0;
	return take(efd);
}

/* Ends the backend's event on port: as a backend's loop does, it unmasks it. */
static void end_event(int evtchn, uint32_t port)
{
	if (write(evtchn, &port, sizeof(port)) != sizeof(port))
		perror("evtchn write");
}

/* The next port the backend's /dev/xen/evtchn reports, or 0 after a second. */
static uint32_t pending_port(int evtchn)
{
	struct pollfd p = { .fd = evtchn, .events = POLLIN };
	uint32_t port = 0;

	if (poll(&p, 1, 1000) != 1 ||
	    read(evtchn, &port, sizeof(port)) != sizeof(port))
		return 0;
	return port;
}

/*
 * Request slots need a page that the kernel addresses: an auto-translated
 * dom0's.  The stub has no event channels.
 */
#define SLOTS_NEEDED() do {						\
	XEN_ONLY("the stub has no event channels");			\
	if (guest_type_is("PV"))					\
		SKIP(return, "a PV dom0's mappings hold no pages the kernel can address"); \
} while (0)

/*
 * A vCPU's notification, claimed by the driver: eventfd signalled,
 * answered.  The vCPU's port is the backend's, bound (static) through
 * /dev/xen/evtchn before the ioeventfd joins it; ringer rings it.
 */
TEST_F(ioeventfd, vcpu_notification_signals_the_eventfd)
{
	struct ioctl_evtchn_bind bind;
	volatile struct ioreq *slot;
	uint32_t ringer;
	domid_t dom;
	char *page;
	int evtchn;

	SLOTS_NEEDED();
	evtchn = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, evtchn);
	dom = map_request_page(self->fd, &page);
	ASSERT_NE(0, dom) TH_LOG("no grant frame to map: %m");
	ASSERT_EQ(0, loopback_ports(self->fd, &self->ports[0], &ringer));
	bind.port = self->ports[0];
	ASSERT_EQ(0, ioctl(evtchn, IOCTL_EVTCHN_BIND_STATIC, &bind)) TH_LOG("%m");
	TH_LOG("ports %u and %u, slot in d%u's grant frame", self->ports[0],
	       ringer, dom);

	self->req.ioreq = (uintptr_t)page;
	self->req.dom = dom;
	ASSERT_EQ(0, ioeventfd(self->fd, &self->req));
	EXPECT_EQ(-EBUSY, ioeventfd(self->fd, &self->req));
	/* The mapping is known now, with its domain and vCPUs. */
	self->req.vcpus = 2;
	EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req));
	self->req.vcpus = 1;

	slot = (volatile struct ioreq *)page;
	notify_queue(slot);
	ASSERT_EQ(0, ring(self->fd, ringer));
	EXPECT_EQ(1, wait_for(self->efd));
	EXPECT_EQ(STATE_IORESP_READY, (int)slot->state);
	/* The backend sees the event too, and ends it. */
	EXPECT_EQ(self->ports[0], pending_port(evtchn));
	end_event(evtchn, self->ports[0]);

	/* The mapping may go first: the slots are no longer read. */
	munmap(page, 4096);
	EXPECT_EQ(0, ioeventfd_deassign(self->fd, self->req));
	EXPECT_EQ(-ENODEV, ioeventfd_deassign(self->fd, self->req));

	/* The backend's binding held the channel; a static one leaves it open. */
	close(evtchn);
	EXPECT_EQ(0, close_port(self->fd, ringer));
	EXPECT_EQ(0, close_port(self->fd, self->ports[0]));
	destroy_domain(self->fd, dom);
}

/*
 * As a virtio backend has it: the vCPU's port is bound through
 * /dev/xen/evtchn too, which the backend reads and unmasks.  Each
 * notification reaches the eventfd, and the backend's binding outlives
 * the ioeventfd.
 */
TEST_F(ioeventfd, backend_keeps_its_event_channel)
{
	struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
	struct evtchn_bind_interdomain peer = { .remote_dom = DOMID_SELF };
	uint32_t port;
	domid_t dom;
	char *page;
	int evtchn, i;

	SLOTS_NEEDED();
	evtchn = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, evtchn);
	ASSERT_LT(0, self->ports[0] = ioctl(evtchn, IOCTL_EVTCHN_BIND_UNBOUND_PORT,
					   &bind));
	peer.remote_port = self->ports[0];
	ASSERT_EQ(0, evtchn_op(self->fd, EVTCHNOP_bind_interdomain, &peer));
	dom = map_request_page(self->fd, &page);
	ASSERT_NE(0, dom) TH_LOG("no grant frame to map: %m");

	self->req.ioreq = (uintptr_t)page;
	self->req.dom = dom;
	ASSERT_EQ(0, ioeventfd(self->fd, &self->req));
	for (i = 0; i < 3; i++) {
		notify_queue((volatile struct ioreq *)page);
		ASSERT_EQ(0, ring(self->fd, peer.local_port));
		EXPECT_EQ(1, wait_for(self->efd)) TH_LOG("notification %d", i);
		EXPECT_EQ(STATE_IORESP_READY,
			  (int)((volatile struct ioreq *)page)->state);
		/* The backend sees the event too, and ends it. */
		port = pending_port(evtchn);
		EXPECT_EQ(self->ports[0], port);
		ASSERT_EQ(sizeof(port), write(evtchn, &port, sizeof(port)));
	}
	EXPECT_EQ(0, ioeventfd_deassign(self->fd, self->req));

	/* The backend's binding still gets the port's events. */
	ASSERT_EQ(0, ring(self->fd, peer.local_port));
	EXPECT_EQ(self->ports[0], pending_port(evtchn));

	close(evtchn);
	EXPECT_EQ(0, close_port(self->fd, peer.local_port));
	munmap(page, 4096);
	destroy_domain(self->fd, dom);
}

/* Xen's EVTCHNSTAT_ state of dom0's port, or -errno. */
static long port_status(int fd, uint32_t port)
{
	struct evtchn_status req = { .dom = DOMID_SELF, .port = port };
	long rc = evtchn_op(fd, EVTCHNOP_status, &req);

	return rc ? rc : (long)req.status;
}

/*
 * Notifies the queue through ringer until the driver, which joins the
 * backend's binding of port within a retry, signals efd (up to ten tries):
 * its count, or 0.  The backend sees every event, and ends it.
 */
static uint64_t notify_until_joined(int fd, int efd, int evtchn,
				    volatile struct ioreq *slot,
				    uint32_t ringer, uint32_t port)
{
	uint64_t signalled = 0;
	int i;

	for (i = 0; i < 10 && !signalled; i++) {
		notify_queue(slot);
		if (ring(fd, ringer))
			return 0;
		signalled = wait_for(efd);
		if (pending_port(evtchn) != port)
			return 0;
		end_event(evtchn, port);
	}
	return signalled;
}

/*
 * An ioeventfd on the request page of a new domain (returned, or 0 on
 * failure), assigned on a port that Xen has free again: bound through
 * the backend's evtchn file and unbound, so that no channel holds it.
 */
static domid_t assign_on_a_free_port(int fd, struct privcmd_ioeventfd *req,
				     uint32_t *ports, int evtchn, char **page,
				     uint32_t *port)
{
	struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
	struct ioctl_evtchn_unbind unbind;
	domid_t dom = map_request_page(fd, page);
	int rc;

	if (!dom)
		return 0;
	rc = ioctl(evtchn, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind);
	unbind.port = rc;
	if (rc > 0 && !ioctl(evtchn, IOCTL_EVTCHN_UNBIND, &unbind)) {
		ports[0] = *port = rc;
		req->ioreq = (uintptr_t)*page;
		req->dom = dom;
		if (!ioeventfd(fd, req))
			return dom;
	}
	munmap(*page, 4096);
	destroy_domain(fd, dom);
	return 0;
}

/*
 * The other order: the ioeventfd is assigned first, naming a port that no
 * channel holds yet, and the backend's /dev/xen/evtchn then binds it (Xen
 * hands out its lowest free port, so the one just closed comes back).  No
 * binding may be left that the backend's would trip over: the driver's
 * joins the backend's, which counts its users, so that each holds the
 * channel as long as it needs it.  And the driver's deassign unbinds only
 * its own binding, not that of a channel bound since on another port.
 * (A backend that closes its /dev/xen/evtchn disables the interrupt it
 * shared: the driver's binding then holds the channel, deaf, until it
 * goes.)
 */
TEST_F(ioeventfd, backend_may_bind_after_the_ioeventfd)
{
	struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
	struct evtchn_bind_interdomain peer = { .remote_dom = DOMID_SELF };
	struct evtchn_bind_interdomain other = { .remote_dom = DOMID_SELF };
	volatile struct ioreq *slot;
	uint32_t port, next;
	int evtchn, backend2;
	domid_t dom;
	char *page;

	SLOTS_NEEDED();
	if (c_driver())
		SKIP(return, "the C driver's binding of the port trips the backend's, which the kernel then frees under it");
	evtchn = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, evtchn);
	dom = assign_on_a_free_port(self->fd, &self->req, self->ports, evtchn,
				    &page, &port);
	ASSERT_NE(0, dom) TH_LOG("no ioeventfd on a free port: %m");
	slot = (volatile struct ioreq *)page;

	/* The backend binds it now, and its vCPU's end is connected. */
	ASSERT_EQ(port, ioctl(evtchn, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind))
		TH_LOG("Xen did not hand out port %u again", port);
	peer.remote_port = port;
	ASSERT_EQ(0, evtchn_op(self->fd, EVTCHNOP_bind_interdomain, &peer));
	TH_LOG("port %u, rung from %u", port, peer.local_port);

	/*
	 * The driver's binding joins the backend's: not necessarily before
	 * the first notification, which is then the backend's alone.
	 */
	EXPECT_EQ(1, notify_until_joined(self->fd, self->efd, evtchn, slot,
					 peer.local_port, port));
	EXPECT_EQ(STATE_IORESP_READY, (int)slot->state);

	/* The backend goes first: the driver's binding keeps the channel. */
	close(evtchn);
	EXPECT_EQ(EVTCHNSTAT_interdomain, port_status(self->fd, port));

	/* Another backend binds a channel meanwhile; the deassign leaves it be. */
	backend2 = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, backend2);
	ASSERT_LT(0, next = ioctl(backend2, IOCTL_EVTCHN_BIND_UNBOUND_PORT,
				  &bind));
	other.remote_port = next;
	ASSERT_EQ(0, evtchn_op(self->fd, EVTCHNOP_bind_interdomain, &other));
	TH_LOG("the other backend's port %u", next);
	EXPECT_EQ(0, ioeventfd_deassign(self->fd, self->req));
	ASSERT_EQ(0, ring(self->fd, other.local_port));
	EXPECT_EQ(next, pending_port(backend2));
	end_event(backend2, next);

	/* The driver's unbinding was the port's last: the kernel closed it. */
	if (next != port)
		EXPECT_EQ(EVTCHNSTAT_closed, port_status(self->fd, port));
	close(backend2);
	EXPECT_EQ(0, close_port(self->fd, other.local_port));
	EXPECT_EQ(0, close_port(self->fd, peer.local_port));
	munmap(page, 4096);
	destroy_domain(self->fd, dom);
}

/*
 * An ioeventfd deassigned while its port waits for a channel: nothing of
 * the driver's is left to join the backend's binding when it comes.
 */
TEST_F(ioeventfd, deassigned_before_the_backend_binds_nothing)
{
	struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
	struct evtchn_bind_interdomain peer = { .remote_dom = DOMID_SELF };
	volatile struct ioreq *slot;
	uint32_t port;
	domid_t dom;
	char *page;
	int evtchn;

	SLOTS_NEEDED();
	if (c_driver())
		SKIP(return, "the C driver binds the closed port; unbinding it, the kernel's close of it fails, a BUG");
	evtchn = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, evtchn);
	dom = assign_on_a_free_port(self->fd, &self->req, self->ports, evtchn,
				    &page, &port);
	ASSERT_NE(0, dom) TH_LOG("no ioeventfd on a free port: %m");
	slot = (volatile struct ioreq *)page;
	/* Some retries pass; the port is left as it was. */
	usleep(200 * 1000);
	EXPECT_EQ(EVTCHNSTAT_closed, port_status(self->fd, port));
	EXPECT_EQ(0, ioeventfd_deassign(self->fd, self->req));

	ASSERT_EQ(port, ioctl(evtchn, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind))
		TH_LOG("Xen did not hand out port %u again", port);
	peer.remote_port = port;
	ASSERT_EQ(0, evtchn_op(self->fd, EVTCHNOP_bind_interdomain, &peer));
	usleep(200 * 1000);
	notify_queue(slot);
	ASSERT_EQ(0, ring(self->fd, peer.local_port));
	EXPECT_EQ(port, pending_port(evtchn));
	end_event(evtchn, port);
	EXPECT_EQ(0, take(self->efd));
	EXPECT_EQ(STATE_IOREQ_READY, (int)slot->state);

	close(evtchn);
	EXPECT_EQ(EVTCHNSTAT_closed, port_status(self->fd, port));
	EXPECT_EQ(0, close_port(self->fd, peer.local_port));
	munmap(page, 4096);
	destroy_domain(self->fd, dom);
}

/*
 * Unloading the driver ends an ioeventfd whose port still waits for a
 * channel: its retries stop with it, and nothing of it is bound when the
 * backend's binding comes.
 */
TEST_F(ioeventfd, unload_ends_an_ioeventfd_that_waits)
{
	struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
	struct evtchn_bind_interdomain peer = { .remote_dom = DOMID_SELF };
	uint32_t port;
	domid_t dom;
	char *page;
	int evtchn;

	SLOTS_NEEDED();
	if (c_driver())
		SKIP(return, "the C driver binds the closed port, as in deassigned_before_the_backend_binds_nothing");
	evtchn = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, evtchn);
	dom = assign_on_a_free_port(self->fd, &self->req, self->ports, evtchn,
				    &page, &port);
	ASSERT_NE(0, dom) TH_LOG("no ioeventfd on a free port: %m");

	/* Nothing pins the module but the mapping and the file. */
	munmap(page, 4096);
	close(self->fd);
	usleep(100 * 1000);
	ASSERT_EQ(0, unload_module("rust_privcmd")) TH_LOG("%m");
	ASSERT_EQ(0, load_module("rust_privcmd", "")) TH_LOG("%m");
	self->fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);

	ASSERT_EQ(port, ioctl(evtchn, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind))
		TH_LOG("Xen did not hand out port %u again", port);
	peer.remote_port = port;
	ASSERT_EQ(0, evtchn_op(self->fd, EVTCHNOP_bind_interdomain, &peer));
	ASSERT_EQ(0, ring(self->fd, peer.local_port));
	EXPECT_EQ(port, pending_port(evtchn));
	EXPECT_EQ(0, take(self->efd));

	close(evtchn);
	EXPECT_EQ(EVTCHNSTAT_closed, port_status(self->fd, port));
	EXPECT_EQ(0, close_port(self->fd, peer.local_port));
	destroy_domain(self->fd, dom);
}

/*
 * A channel that Xen has open and no binding holds yet, as between a
 * backend's hypercall and its binding: the driver does not bind it first
 * but joins the backend's binding when it comes (here a static one, which
 * binds an open port as it is).  A first binding of the driver's there
 * trips the event channel core when the backend's comes (WARNING at
 * events_base.c:1222), with either driver before this one's fix.
 */
TEST_F(ioeventfd, backend_binds_an_open_channel_after_the_ioeventfd)
{
	struct ioctl_evtchn_bind bind;
	volatile struct ioreq *slot;
	uint32_t ringer;
	int evtchn;
	domid_t dom;
	char *page;

	SLOTS_NEEDED();
	if (c_driver())
		SKIP(return, "the C driver binds the channel first, and the backend's binding then trips the event channel core");
	evtchn = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, evtchn);
	dom = map_request_page(self->fd, &page);
	ASSERT_NE(0, dom) TH_LOG("no grant frame to map: %m");
	ASSERT_EQ(0, loopback_ports(self->fd, &self->ports[0], &ringer));
	self->req.ioreq = (uintptr_t)page;
	self->req.dom = dom;
	ASSERT_EQ(0, ioeventfd(self->fd, &self->req));
	/* Some retries pass: nothing binds the port meanwhile. */
	usleep(200 * 1000);
	bind.port = self->ports[0];
	ASSERT_EQ(0, ioctl(evtchn, IOCTL_EVTCHN_BIND_STATIC, &bind)) TH_LOG("%m");

	slot = (volatile struct ioreq *)page;
	EXPECT_EQ(1, notify_until_joined(self->fd, self->efd, evtchn, slot,
					 ringer, self->ports[0]));
	EXPECT_EQ(STATE_IORESP_READY, (int)slot->state);

	close(evtchn);
	EXPECT_EQ(0, ioeventfd_deassign(self->fd, self->req));
	/* A static binding leaves the channel open when it goes. */
	EXPECT_EQ(0, close_port(self->fd, self->ports[0]));
	EXPECT_EQ(0, close_port(self->fd, ringer));
	munmap(page, 4096);
	destroy_domain(self->fd, dom);
}

/* The vCPUs' slots must lie in the mapping: 129 of them take 4128 bytes. */
TEST_F(ioeventfd, slots_past_the_mapping_are_einval)
{
	uint32_t ports[129] = { 0 };
	domid_t dom;
	char *page;

	SLOTS_NEEDED();
	if (c_driver())
		SKIP(return, "the C driver reads the slots past the page");
	dom = map_request_page(self->fd, &page);
	ASSERT_NE(0, dom) TH_LOG("no grant frame to map: %m");
	self->req.ioreq = (uintptr_t)page;
	self->req.ports = (uintptr_t)ports;
	self->req.dom = dom;
	self->req.vcpus = 129;
	EXPECT_EQ(-EINVAL, ioeventfd(self->fd, &self->req));
	munmap(page, 4096);
	destroy_domain(self->fd, dom);
}

/* A port cannot serve two vCPUs of a request: EBUSY, nothing bound. */
TEST_F(ioeventfd, one_port_for_two_vcpus_is_ebusy)
{
	uint32_t ringer;
	domid_t dom;
	char *page;

	SLOTS_NEEDED();
	if (c_driver())
		SKIP(return, "the C driver's second binding of it warns in the kernel log");
	dom = map_request_page(self->fd, &page);
	ASSERT_NE(0, dom) TH_LOG("no grant frame to map: %m");
	ASSERT_EQ(0, loopback_ports(self->fd, &self->ports[0], &ringer));
	self->ports[1] = self->ports[0];
	self->req.ioreq = (uintptr_t)page;
	self->req.dom = dom;
	self->req.vcpus = 2;
	EXPECT_EQ(-EBUSY, ioeventfd(self->fd, &self->req));
	/* Nothing is left assigned, and the channel is as it was. */
	EXPECT_EQ(-ENODEV, ioeventfd_deassign(self->fd, self->req));
	EXPECT_EQ(0, close_port(self->fd, self->ports[0]));
	EXPECT_EQ(0, close_port(self->fd, ringer));
	munmap(page, 4096);
	destroy_domain(self->fd, dom);
}

TEST_HARNESS_MAIN
