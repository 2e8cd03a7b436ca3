// SPDX-License-Identifier: GPL-2.0
/*
 * Fault injection over every path of /dev/xen/privcmd and /dev/xen/hypercall:
 * each allocation a call makes is failed in turn, with fail-nth.
 *
 * Writing n to /proc/thread-self/fail-nth makes the n-th allocation of
 * this thread that a fault attribute looks at fail; reading it back after
 * the call gives 0 if that happened, and what was left of the count if the
 * call made fewer than n.  Both attributes look at every allocation while
 * fail-nth counts (lib/fault-inject.c), so each walk makes one of them see
 * nothing: the failslab walk sets fail_page_alloc's min-order out of
 * reach, the fail_page_alloc walk turns failslab's cache filter on with no
 * cache marked.  Both are told to fail sleeping allocations too.
 *
 * For each path, a call that goes as deep as this world takes it: under
 * Xen the mapping ioctls claim and fill mappings of a scratch domain's
 * grant frame or of frames no domain has, the ioeventfd binds a real event
 * channel; on the stub several of them answer ENOSYS or EFAULT after the
 * driver's checks, which is as deep as they go there.  Then for n = 1, 2,
 * ...: the call with its n-th allocation failed must fail cleanly (ENOMEM,
 * or the error it gives anyway) or succeed if the failure was tolerated;
 * what succeeded is undone, and the next unfailed call must work as
 * before.  The walk ends at the first n the call does not reach, where the
 * call must give what it gives without fault injection.
 *
 * "Tolerated" failures are those a call survives: under failslab, every
 * other one is kmemleak's own record of the object just allocated (it
 * falls back on its pool), and a kvmalloc'd array falls back on vmalloc
 * (whose own allocations one fail-nth does not reach).
 *
 * Leaks: kmemleak is cleared before the walks and scanned after them (the
 * last test); frames borrowed from the Xen balloon, which kmemleak does
 * not see, must all be back after each walk.  Reports in the kernel log
 * fail the run (scripts/check-log.sh).
 * The whole suite skips on a kernel without fault injection (the dom0
 * kernel of the plain Xen worlds).
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

#include <xen/event_channel.h>
#include <xen/hvm/dm_op.h>
#include <xen/sys/evtchn.h>

/* Newer than Xen 4.17's copy of the UAPI: Linux's include/uapi/xen/evtchn.h. */
#ifndef IOCTL_EVTCHN_BIND_STATIC
struct ioctl_evtchn_bind {
	unsigned int port;
};

#define IOCTL_EVTCHN_BIND_STATIC \
	_IOC(_IOC_NONE, 'E', 7, sizeof(struct ioctl_evtchn_bind))
#endif

#define PAGE 4096UL
#define HYPERCALL_BUF_PATH "/dev/xen/hypercall"
#define FAIL_NTH "/proc/thread-self/fail-nth"
#define DEBUGFS "/sys/kernel/debug"
#define KMEMLEAK DEBUGFS "/kmemleak"
/* A domain that does not exist: Xen's domids of domUs start at 1. */
#define NO_SUCH_DOMAIN 0x7000
/* A frame that no domain has. */
#define BAD_FRAME 0x7ffffffffULL
/* A virtio-mmio device's address. */
#define DEVICE_ADDR 0xfe000000ULL
/* No path makes this many allocations: reaching it is a failure. */
#define WALK_CAP 2000
/*
 * Frames of the large batch: its arrays (16 KiB) are beyond the slab's
 * sizes, its mapping (8 MiB) needs page tables of its own.
 */
#define BIG_BATCH 2048
/* Seconds one call may take before it counts as a hang. */
#define CALL_SECONDS 60

/*
 * The fault attributes' settings of each walk: failslab's, then
 * fail_page_alloc's.  The values there before are restored after.
 */
static const struct knob {
	const char *file;
	const char *slab;	/* in the failslab walk */
	const char *page;	/* in the fail_page_alloc walk */
} knobs[] = {
	{ DEBUGFS "/failslab/ignore-gfp-wait", "N", "N" },
	{ DEBUGFS "/failslab/cache-filter", "N", "Y" },
	{ DEBUGFS "/failslab/verbose", "0", "0" },
	{ DEBUGFS "/fail_page_alloc/ignore-gfp-wait", "N", "N" },
	{ DEBUGFS "/fail_page_alloc/ignore-gfp-highmem", "N", "N" },
	{ DEBUGFS "/fail_page_alloc/min-order", "4294967295", "0" },
	{ DEBUGFS "/fail_page_alloc/verbose", "0", "0" },
};
#define NR_KNOBS (sizeof(knobs) / sizeof(knobs[0]))

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
	return 0;
}

static int write_file(const char *path, const char *value)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, value, strlen(value));
	close(fd);
	return n == (ssize_t)strlen(value) ? 0 : -1;
}

/*
 * KiB of guest frames in the Xen balloon, from which an auto-translated
 * dom0's mappings borrow; -1 where there is no balloon.  Frames borrowed
 * and never given back leave it for good: kmemleak does not see them.
 */
static long balloon_kib(void)
{
	static const char *const files[] = {
		"/sys/devices/system/xen_memory/xen_memory0/info/low_kb",
		"/sys/devices/system/xen_memory/xen_memory0/info/high_kb",
	};
	long kib = 0;
	char buf[32];
	unsigned int i;

	for (i = 0; i < 2; i++) {
		if (read_file(files[i], buf, sizeof(buf)))
			return -1;
		kib += strtol(buf, NULL, 10);
	}
	return kib;
}

/* Why fault injection cannot run here, or "". */
static const char *no_fault_injection(void)
{
	if (access(FAIL_NTH, W_OK))
		return "no " FAIL_NTH " (CONFIG_FAULT_INJECTION)";
	if (access(DEBUGFS "/failslab", F_OK))
		return "no " DEBUGFS "/failslab (CONFIG_FAILSLAB, debugfs)";
	if (access(DEBUGFS "/fail_page_alloc", F_OK))
		return "no " DEBUGFS "/fail_page_alloc (CONFIG_FAIL_PAGE_ALLOC)";
	return "";
}

/* ---- kmemleak: cleared first, scanned last ---- */

FIXTURE(kmemleak_before) {
};

FIXTURE_SETUP(kmemleak_before)
{
	const char *why = no_fault_injection();

	if (*why)
		SKIP(return, "%s", why);
	if (access(KMEMLEAK, W_OK))
		SKIP(return, "no kmemleak");
}

FIXTURE_TEARDOWN(kmemleak_before)
{
}

/* What kmemleak suspects now is not the walks': forgotten. */
/* Where kmemleak_before leaves the jiffies at which the walks began. */
#define WALKS_BEGAN "/tmp/fault_test.jiffies"

/* The kernel's jiffies (/proc/timer_list), or 0 if it does not show them. */
static unsigned long long jiffies_now(void)
{
	unsigned long long j = 0;
	char line[256];
	FILE *f = fopen("/proc/timer_list", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "jiffies: %llu", &j) == 1)
			break;
	if (f)
		fclose(f);
	return j;
}

TEST_F_TIMEOUT(kmemleak_before, cleared, 600)
{
	char buf[32];

	ASSERT_EQ(0, write_file(KMEMLEAK, "scan"));
	ASSERT_EQ(0, write_file(KMEMLEAK, "clear"));
	snprintf(buf, sizeof(buf), "%llu", jiffies_now());
	ASSERT_EQ(0, write_file(WALKS_BEGAN, buf)) TH_LOG("%m");
}

/* ---- the walks ---- */

FIXTURE(fault) {
	int nth;		/* this thread's fail-nth */
	char saved[NR_KNOBS][32];
	int fd;			/* privcmd, for the ioctls of most paths */
	/* What a call uses and its preparation sets up; -1 or NULL if none. */
	int fd2;
	int hfd;		/* /dev/xen/hypercall */
	int efd;		/* an eventfd */
	char *map;
	size_t map_len;
	/* A scratch domain (Xen), 0 if none. */
	domid_t dom;
	/* Its grant frame, mapped as a page of request slots (PVH dom0). */
	char *slots;
	int evtchn;		/* the backend's /dev/xen/evtchn */
	uint32_t ports[2];	/* a loopback channel: the vCPU's port, the ringer */
	struct xen_dm_op op;
	privcmd_dm_op_buf_t bufs[2];
	struct privcmd_ioeventfd ioreq;
	/* Frames of a batch (at most BIG_BATCH), and their errors. */
	unsigned int nr;
	xen_pfn_t *arr;
	int *err;
	/* Tallies of the walk. */
	unsigned int failed, tolerated, errnos[256];
};

FIXTURE_VARIANT(fault) {
	int page_alloc;		/* 0: failslab, 1: fail_page_alloc */
};

FIXTURE_VARIANT_ADD(fault, failslab) {
	.page_alloc = 0,
};

FIXTURE_VARIANT_ADD(fault, fail_page_alloc) {
	.page_alloc = 1,
};

FIXTURE_SETUP(fault)
{
	const char *why = no_fault_injection();
	unsigned int i;

	self->nth = -1;
	self->fd = self->fd2 = self->hfd = self->efd = self->evtchn = -1;
	self->map = NULL;
	self->dom = 0;
	self->slots = NULL;
	if (*why)
		SKIP(return, "%s", why);
	for (i = 0; i < NR_KNOBS; i++)
		ASSERT_EQ(0, read_file(knobs[i].file, self->saved[i],
				       sizeof(self->saved[i])))
			TH_LOG("knob %u: %m", i);
	for (i = 0; i < NR_KNOBS; i++)
		ASSERT_EQ(0, write_file(knobs[i].file, variant->page_alloc ?
					knobs[i].page : knobs[i].slab))
			TH_LOG("knob %u: %m", i);
	self->nth = open(FAIL_NTH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->nth);
	self->fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
}

static long evtchn_op(int fd, int cmd, void *arg)
{
	return hcall(fd, __HYPERVISOR_event_channel_op, cmd, (uintptr_t)arg, 0);
}

static long close_port(int fd, uint32_t port)
{
	struct evtchn_close req = { .port = port };

	return evtchn_op(fd, EVTCHNOP_close, &req);
}

FIXTURE_TEARDOWN(fault)
{
	unsigned int i;

	if (self->nth >= 0) {
		if (pwrite(self->nth, "0", 1, 0) != 1)
			perror("fail-nth");
		close(self->nth);
	}
	if (self->evtchn >= 0)
		close(self->evtchn);
	if (self->ports[0] && self->fd >= 0) {
		close_port(self->fd, self->ports[0]);
		close_port(self->fd, self->ports[1]);
	}
	if (self->slots)
		munmap(self->slots, PAGE);
	if (self->dom)
		destroy_domain(self->fd, self->dom);
	if (self->efd >= 0)
		close(self->efd);
	if (self->fd >= 0)
		close(self->fd);
	/* Set only once all were read. */
	if (self->nth >= 0)
		for (i = 0; i < NR_KNOBS; i++)
			write_file(knobs[i].file, self->saved[i]);
}

/*
 * One path: prepare() sets up what the call needs (0, or -errno), call()
 * is the call walked over (its result, or -errno), undo() releases what
 * the call made if it succeeded and what prepare() set up (0, or -errno if
 * that failed: the failed call left something behind).
 */
struct path {
	const char *name;
	int (*prepare)(FIXTURE_DATA(fault) *self);
	long (*call)(FIXTURE_DATA(fault) *self);
	int (*undo)(FIXTURE_DATA(fault) *self, long ret);
};

static int no_prepare(FIXTURE_DATA(fault) *self)
{
	return 0;
}

static int err_of(long ret)
{
	return ret == -1 ? -errno : ret;
}

/* Arms fail-nth: the n-th allocation from here on fails. */
static int arm(int nth, unsigned int n)
{
	char buf[16];
	int len = snprintf(buf, sizeof(buf), "%u", n);

	return pwrite(nth, buf, len, 0) == len ? 0 : -1;
}

/* What is left of the count (0: the n-th allocation was failed); disarms. */
static unsigned int disarm(int nth)
{
	char buf[16] = "";
	unsigned int left = ~0U;

	if (pread(nth, buf, sizeof(buf) - 1, 0) > 0)
		left = strtoul(buf, NULL, 10);
	if (pwrite(nth, "0", 1, 0) != 1)
		left = ~0U;
	return left;
}

static void on_alarm(int sig)
{
	static const char msg[] = "# a call under fault injection hangs\n";

	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(2);
	_exit(1);
}

static const char *errno_name(int e)
{
	const char *name = strerrorname_np(e);

	return name ? name : "?";
}

/* The result of a call, as the diagnostic shows it. */
static const char *result_name(long ret, char *buf, size_t len)
{
	if (ret < 0)
		return errno_name(-ret);
	snprintf(buf, len, "%ld", ret);
	return buf;
}

/*
 * Walks a path: every allocation of its call failed once, in turn.  A
 * failed call must give ENOMEM or what it gives without a fault; a call
 * that succeeds though an allocation failed tolerated it.
 */
static void walk(struct __test_metadata *_metadata, FIXTURE_DATA(fault) *self,
		 const FIXTURE_VARIANT(fault) *variant, const struct path *p)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	char seen[512] = "", buf[32];
	unsigned int n, left = 0, i;
	long base, ret, balloon;
	size_t at = 0;

	sigaction(SIGALRM, &sa, NULL);
	self->failed = self->tolerated = 0;
	memset(self->errnos, 0, sizeof(self->errnos));

	/*
	 * Without faults, twice: the result to compare with, and all that
	 * the call touches in this process faulted in and locked, so that
	 * no page fault of the process's own takes a failed allocation.
	 */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, p->prepare(self)) TH_LOG("%s: preparing: %m", p->name);
		base = p->call(self);
		ASSERT_EQ(0, p->undo(self, base)) TH_LOG("%s: undoing", p->name);
	}
	ASSERT_EQ(0, mlockall(MCL_CURRENT)) TH_LOG("mlockall: %m");
	balloon = balloon_kib();

	for (n = 1; n <= WALK_CAP; n++) {
		ASSERT_EQ(0, p->prepare(self)) TH_LOG("%s, n = %u: preparing: %m", p->name, n);
		alarm(CALL_SECONDS);
		ASSERT_EQ(0, arm(self->nth, n));
		ret = p->call(self);
		left = disarm(self->nth);
		alarm(0);
		ASSERT_NE(~0U, left) TH_LOG("fail-nth unreadable");
		EXPECT_EQ(0, p->undo(self, ret))
			TH_LOG("%s, allocation %u failed: gave %s, and left something behind",
			       p->name, n, result_name(ret, buf, sizeof(buf)));
		if (left)
			break;
		self->failed++;
		if (ret >= 0 && base >= 0) {
			self->tolerated++;
			continue;
		}
		if (ret < 0 && -ret < 256)
			self->errnos[-ret]++;
		/* Only a call that fails anyway may fail otherwise than ENOMEM. */
		EXPECT_TRUE(ret == -ENOMEM || ret == base)
			TH_LOG("%s, allocation %u failed: gave %s (without faults: %s)",
			       p->name, n, result_name(ret, buf, sizeof(buf)),
			       result_name(base, seen, sizeof(seen)));
	}
	EXPECT_NE(0, left) TH_LOG("%s: more than %u allocations", p->name, WALK_CAP);
	/* The last call failed nothing: it gives what it gave before. */
	if (left) {
		if (base >= 0) {
			EXPECT_LE(0, ret);
		} else {
			EXPECT_EQ(base, ret);
		}
		if ((ret < 0) != (base < 0) || (ret < 0 && ret != base))
			TH_LOG("%s: after the walk gives %s, before %s", p->name,
			       result_name(ret, buf, sizeof(buf)),
			       result_name(base, seen, sizeof(seen)));
	}

	/* Every frame borrowed from the balloon is back (it may have grown). */
	if (balloon >= 0)
		EXPECT_LE(balloon, balloon_kib())
			TH_LOG("%s: %ld KiB of the balloon's frames not given back",
			       p->name, balloon - balloon_kib());

	seen[0] = '\0';
	for (i = 1; i < 256; i++)
		if (self->errnos[i] && at < sizeof(seen))
			at += snprintf(seen + at, sizeof(seen) - at, "%s%s x%u",
				       at ? ", " : "", errno_name(i), self->errnos[i]);
	if (self->tolerated && at < sizeof(seen))
		at += snprintf(seen + at, sizeof(seen) - at, "%stolerated x%u",
			       at ? ", " : "", self->tolerated);
	printf("# %s [%s, %s]: %u allocations failed in turn, errnos seen: %s (without faults: %s)\n",
	       p->name, variant->page_alloc ? "fail_page_alloc" : "failslab",
	       on_stub() ? "stub" : c_driver() ? "Xen, C driver" : "Xen",
	       self->failed, at ? seen : "none",
	       result_name(base, buf, sizeof(buf)));
	fflush(stdout);
}

/* ---- open, close ---- */

static long open_privcmd(FIXTURE_DATA(fault) *self)
{
	self->fd2 = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	return self->fd2 < 0 ? -errno : 0;
}

static long open_hypercall(FIXTURE_DATA(fault) *self)
{
	self->fd2 = open(HYPERCALL_BUF_PATH, O_RDWR | O_CLOEXEC);
	return self->fd2 < 0 ? -errno : 0;
}

/* Closes what the call or its preparation opened and mapped. */
static int close_fd2(FIXTURE_DATA(fault) *self, long ret)
{
	int rc = 0;

	if (self->map && munmap(self->map, self->map_len))
		rc = -errno;
	self->map = NULL;
	if (self->fd2 >= 0 && close(self->fd2) && !rc)
		rc = -errno;
	self->fd2 = -1;
	return rc;
}

static const struct path open_privcmd_path = {
	"open /dev/xen/privcmd", no_prepare, open_privcmd, close_fd2,
};

static const struct path open_hypercall_path = {
	"open /dev/xen/hypercall", no_prepare, open_hypercall, close_fd2,
};

TEST_F_TIMEOUT(fault, open_privcmd, 1800)
{
	walk(_metadata, self, variant, &open_privcmd_path);
}

TEST_F_TIMEOUT(fault, open_hypercall, 1800)
{
	walk(_metadata, self, variant, &open_hypercall_path);
}

/* ---- IOCTL_PRIVCMD_HYPERCALL ---- */

static long xen_version(FIXTURE_DATA(fault) *self)
{
	return hcall(self->fd, __HYPERVISOR_xen_version, XENVER_version, 0, 0);
}

static int nothing_to_undo(FIXTURE_DATA(fault) *self, long ret)
{
	return 0;
}

static const struct path hypercall_path = {
	"IOCTL_PRIVCMD_HYPERCALL (xen_version)", no_prepare, xen_version,
	nothing_to_undo,
};

TEST_F_TIMEOUT(fault, hypercall, 1800)
{
	walk(_metadata, self, variant, &hypercall_path);
}

/* ---- mmap of the devices ---- */

static long map_fd(int fd, FIXTURE_DATA(fault) *self, size_t pages)
{
	void *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		       fd, 0);

	if (p == MAP_FAILED)
		return -errno;
	self->map = p;
	self->map_len = pages * PAGE;
	return 0;
}

static long mmap_privcmd(FIXTURE_DATA(fault) *self)
{
	return map_fd(self->fd, self, 2);
}

static long mmap_hypercall(FIXTURE_DATA(fault) *self)
{
	return map_fd(self->hfd, self, 4);
}

static int unmap(FIXTURE_DATA(fault) *self, long ret)
{
	int rc = 0;

	if (self->map && munmap(self->map, self->map_len))
		rc = -errno;
	self->map = NULL;
	return rc;
}

static const struct path mmap_privcmd_path = {
	"mmap of /dev/xen/privcmd", no_prepare, mmap_privcmd, unmap,
};

static const struct path mmap_hypercall_path = {
	"mmap of /dev/xen/hypercall (4 pages)", no_prepare, mmap_hypercall, unmap,
};

TEST_F_TIMEOUT(fault, mmap_privcmd, 1800)
{
	walk(_metadata, self, variant, &mmap_privcmd_path);
}

TEST_F_TIMEOUT(fault, mmap_hypercall, 1800)
{
	self->hfd = open(HYPERCALL_BUF_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->hfd);
	walk(_metadata, self, variant, &mmap_hypercall_path);
	close(self->hfd);
}

/* ---- the mapping ioctls ---- */

/* Whether this world has foreign frames to map (Xen, not the stub). */
static int foreign_frames(void)
{
	return !on_stub();
}

/* The scratch domain and its grant frame, for what maps a resource. */
static int scratch_domain(struct __test_metadata *_metadata,
			  FIXTURE_DATA(fault) *self)
{
	if (!foreign_frames())
		return 0;
	self->dom = create_domain(self->fd, 0, 0);
	if (!self->dom)
		TH_LOG("no scratch domain: %m");
	return self->dom ? 0 : -1;
}

/*
 * A resource fills the whole mapping: the C driver's munmap releases as
 * many frames as the VMA has pages, past its array of them when the
 * resource was smaller (mmap_test.c, resource_costs_what_it_maps_...).
 */
static int prepare_mapping(FIXTURE_DATA(fault) *self)
{
	return err_of(map_fd(self->fd, self, 1));
}

static int prepare_batch(FIXTURE_DATA(fault) *self)
{
	unsigned int i;

	for (i = 0; i < self->nr; i++)
		self->arr[i] = BAD_FRAME;
	return err_of(map_fd(self->fd, self, self->nr));
}

static long mmap_resource(FIXTURE_DATA(fault) *self)
{
	/* Where there is no domain (the stub), one that does not exist. */
	privcmd_mmap_resource_t r = {
		.dom = self->dom ?: NO_SUCH_DOMAIN,
		.type = XENMEM_resource_grant_table,
		.id = XENMEM_resource_grant_table_id_shared,
		.idx = 0, .num = 1, .addr = (uintptr_t)self->map,
	};

	return err_of(ioctl(self->fd, IOCTL_PRIVCMD_MMAP_RESOURCE, &r));
}

/* Frames no domain has, to a domain that does not exist: claims the mapping. */
static long mmapbatch_v2(FIXTURE_DATA(fault) *self)
{
	privcmd_mmapbatch_v2_t b = {
		.num = self->nr, .dom = NO_SUCH_DOMAIN,
		.addr = (uintptr_t)self->map, .arr = self->arr, .err = self->err,
	};

	return err_of(ioctl(self->fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &b));
}

static long mmapbatch_v1(FIXTURE_DATA(fault) *self)
{
	privcmd_mmapbatch_t b = {
		.num = self->nr, .dom = NO_SUCH_DOMAIN,
		.addr = (uintptr_t)self->map, .arr = self->arr,
	};

	return err_of(ioctl(self->fd, IOCTL_PRIVCMD_MMAPBATCH, &b));
}

static long mmap_range(FIXTURE_DATA(fault) *self)
{
	privcmd_mmap_entry_t entry = {
		.va = (uintptr_t)self->map, .mfn = BAD_FRAME, .npages = self->nr,
	};
	privcmd_mmap_t range = {
		.num = 1, .dom = NO_SUCH_DOMAIN, .entry = &entry,
	};

	return err_of(ioctl(self->fd, IOCTL_PRIVCMD_MMAP, &range));
}

static const struct path mmap_resource_path = {
	"IOCTL_PRIVCMD_MMAP_RESOURCE (a grant frame)", prepare_mapping,
	mmap_resource, unmap,
};

static const struct path mmapbatch_v2_path = {
	"IOCTL_PRIVCMD_MMAPBATCH_V2 (2 frames)", prepare_batch, mmapbatch_v2,
	unmap,
};

static const struct path mmapbatch_v2_big_path = {
	"IOCTL_PRIVCMD_MMAPBATCH_V2 (2048 frames)", prepare_batch, mmapbatch_v2,
	unmap,
};

static const struct path mmapbatch_path = {
	"IOCTL_PRIVCMD_MMAPBATCH (2 frames)", prepare_batch, mmapbatch_v1,
	unmap,
};

static const struct path mmapbatch_big_path = {
	"IOCTL_PRIVCMD_MMAPBATCH (2048 frames)", prepare_batch, mmapbatch_v1,
	unmap,
};

static xen_pfn_t batch_frames[BIG_BATCH];
static int batch_errors[BIG_BATCH];

static const struct path mmap_path = {
	"IOCTL_PRIVCMD_MMAP (2 frames)", prepare_batch, mmap_range, unmap,
};

TEST_F_TIMEOUT(fault, mmap_resource, 1800)
{
	ASSERT_EQ(0, scratch_domain(_metadata, self));
	walk(_metadata, self, variant, &mmap_resource_path);
}

TEST_F_TIMEOUT(fault, mmapbatch_v2, 1800)
{
	self->arr = batch_frames;
	self->err = batch_errors;
	self->nr = 2;
	walk(_metadata, self, variant, &mmapbatch_v2_path);
	self->nr = BIG_BATCH;
	walk(_metadata, self, variant, &mmapbatch_v2_big_path);
}

TEST_F_TIMEOUT(fault, mmapbatch, 1800)
{
	self->arr = batch_frames;
	self->nr = 2;
	walk(_metadata, self, variant, &mmapbatch_path);
	self->nr = BIG_BATCH;
	walk(_metadata, self, variant, &mmapbatch_big_path);
}

TEST_F_TIMEOUT(fault, mmap, 1800)
{
	self->arr = batch_frames;
	self->nr = 2;
	walk(_metadata, self, variant, &mmap_path);
}

/* munmap of a mapping filled with a resource (Xen) or not filled (stub). */
static int prepare_filled(FIXTURE_DATA(fault) *self)
{
	long rc = map_fd(self->fd, self, 1);

	if (!rc && foreign_frames())
		rc = mmap_resource(self);
	return rc;
}

static long munmap_mapping(FIXTURE_DATA(fault) *self)
{
	long rc = err_of(munmap(self->map, self->map_len));

	if (!rc)
		self->map = NULL;
	return rc;
}

static const struct path munmap_privcmd_path = {
	"munmap of a filled /dev/xen/privcmd mapping", prepare_filled,
	munmap_mapping, unmap,
};

TEST_F_TIMEOUT(fault, munmap_privcmd, 1800)
{
	ASSERT_EQ(0, scratch_domain(_metadata, self));
	walk(_metadata, self, variant, &munmap_privcmd_path);
}

/* munmap of a hypercall buffer, whole and in part. */
static int prepare_buffer(FIXTURE_DATA(fault) *self)
{
	long rc = map_fd(self->hfd, self, 4);

	if (!rc)
		memset(self->map, 1, self->map_len);
	return rc;
}

static long munmap_part(FIXTURE_DATA(fault) *self)
{
	return err_of(munmap(self->map + PAGE, PAGE));
}

static const struct path munmap_hypercall_path = {
	"munmap of a /dev/xen/hypercall mapping", prepare_buffer,
	munmap_mapping, unmap,
};

static const struct path munmap_hypercall_part_path = {
	"munmap of a page inside a /dev/xen/hypercall mapping", prepare_buffer,
	munmap_part, unmap,
};

TEST_F_TIMEOUT(fault, munmap_hypercall, 1800)
{
	self->hfd = open(HYPERCALL_BUF_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->hfd);
	walk(_metadata, self, variant, &munmap_hypercall_path);
	walk(_metadata, self, variant, &munmap_hypercall_part_path);
	close(self->hfd);
}

/*
 * close of files whose mappings were filled and unmapped, and of a privcmd
 * file with an irqfd assigned through it: the last reference goes.
 */
static int prepare_privcmd_file(FIXTURE_DATA(fault) *self)
{
	struct privcmd_irqfd req = {
		.dm_op = (uintptr_t)&self->op, .size = sizeof(self->op),
		.fd = self->efd, .dom = NO_SUCH_DOMAIN,
	};
	domid_t restrict_to = self->dom ?: NO_SUCH_DOMAIN;
	long rc;

	self->fd2 = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	if (self->fd2 < 0)
		return -errno;
	self->map = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd2, 0);
	if (self->map == MAP_FAILED) {
		self->map = NULL;
		return -errno;
	}
	self->map_len = PAGE;
	if (foreign_frames()) {
		privcmd_mmap_resource_t r = {
			.dom = self->dom,
			.type = XENMEM_resource_grant_table,
			.id = XENMEM_resource_grant_table_id_shared,
			.num = 1, .addr = (uintptr_t)self->map,
		};

		if (ioctl(self->fd2, IOCTL_PRIVCMD_MMAP_RESOURCE, &r))
			return -errno;
	}
	rc = munmap(self->map, self->map_len);
	self->map = NULL;
	if (rc)
		return -errno;
	if (ioctl(self->fd2, IOCTL_PRIVCMD_IRQFD, &req))
		return -errno;
	return err_of(ioctl(self->fd2, IOCTL_PRIVCMD_RESTRICT, &restrict_to));
}

static long close_file(FIXTURE_DATA(fault) *self)
{
	long rc = err_of(close(self->fd2));

	self->fd2 = -1;
	return rc;
}

/* The irqfd outlives the file: deassigned through the fixture's. */
static int deassign_after_close(FIXTURE_DATA(fault) *self, long ret)
{
	struct privcmd_irqfd req = {
		.fd = self->efd, .flags = PRIVCMD_IRQFD_FLAG_DEASSIGN,
		.dom = NO_SUCH_DOMAIN,
	};
	int rc = close_fd2(self, ret);

	if (ioctl(self->fd, IOCTL_PRIVCMD_IRQFD, &req) && !rc)
		rc = -errno;
	return rc;
}

static int prepare_hypercall_file(FIXTURE_DATA(fault) *self)
{
	self->fd2 = open(HYPERCALL_BUF_PATH, O_RDWR | O_CLOEXEC);
	if (self->fd2 < 0)
		return -errno;
	self->map = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			 self->fd2, 0);
	if (self->map == MAP_FAILED) {
		self->map = NULL;
		return -errno;
	}
	memset(self->map, 1, 2 * PAGE);
	munmap(self->map, 2 * PAGE);
	self->map = NULL;
	return 0;
}

static const struct path close_privcmd_path = {
	"close of /dev/xen/privcmd (unmapped, irqfd, restricted)",
	prepare_privcmd_file, close_file, deassign_after_close,
};

static const struct path close_hypercall_path = {
	"close of /dev/xen/hypercall (unmapped)", prepare_hypercall_file,
	close_file, close_fd2,
};

static void set_irqfd_op(FIXTURE_DATA(fault) *self)
{
	memset(&self->op, 0, sizeof(self->op));
	self->op.op = XEN_DMOP_set_isa_irq_level;
	self->op.u.set_isa_irq_level.isa_irq = 5;
	self->op.u.set_isa_irq_level.level = 1;
}

TEST_F_TIMEOUT(fault, close_privcmd, 1800)
{
	set_irqfd_op(self);
	ASSERT_EQ(0, scratch_domain(_metadata, self));
	walk(_metadata, self, variant, &close_privcmd_path);
}

TEST_F_TIMEOUT(fault, close_hypercall, 1800)
{
	walk(_metadata, self, variant, &close_hypercall_path);
}

/* ---- IOCTL_PRIVCMD_DM_OP, IOCTL_PRIVCMD_RESTRICT, IOCTL_PRIVCMD_PCIDEV_GET_GSI ---- */

/* Two buffers for a domain that does not exist: Xen's ESRCH, after all copies. */
static long dm_op(FIXTURE_DATA(fault) *self)
{
	privcmd_dm_op_t op = { .dom = NO_SUCH_DOMAIN, .num = 2, .ubufs = self->bufs };

	return err_of(ioctl(self->fd, IOCTL_PRIVCMD_DM_OP, &op));
}

static const struct path dm_op_path = {
	"IOCTL_PRIVCMD_DM_OP (2 buffers)", no_prepare, dm_op, nothing_to_undo,
};

TEST_F_TIMEOUT(fault, dm_op, 1800)
{
	static uint64_t second[64];

	memset(&self->op, 0, sizeof(self->op));
	self->op.op = XEN_DMOP_create_ioreq_server;
	self->bufs[0].uptr = &self->op;
	self->bufs[0].size = sizeof(self->op);
	self->bufs[1].uptr = second;
	self->bufs[1].size = sizeof(second);
	walk(_metadata, self, variant, &dm_op_path);
}

static int prepare_file(FIXTURE_DATA(fault) *self)
{
	self->fd2 = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	return self->fd2 < 0 ? -errno : 0;
}

static long restrict_file(FIXTURE_DATA(fault) *self)
{
	domid_t dom = NO_SUCH_DOMAIN + 1;

	return err_of(ioctl(self->fd2, IOCTL_PRIVCMD_RESTRICT, &dom));
}

static const struct path restrict_path = {
	"IOCTL_PRIVCMD_RESTRICT", prepare_file, restrict_file, close_fd2,
};

TEST_F_TIMEOUT(fault, restrict, 1800)
{
	walk(_metadata, self, variant, &restrict_path);
}

static long get_gsi(FIXTURE_DATA(fault) *self)
{
	struct privcmd_pcidev_get_gsi dev = { .sbdf = 0x0018 };

	return err_of(ioctl(self->fd, IOCTL_PRIVCMD_PCIDEV_GET_GSI, &dev));
}

static const struct path get_gsi_path = {
	"IOCTL_PRIVCMD_PCIDEV_GET_GSI", no_prepare, get_gsi, nothing_to_undo,
};

TEST_F_TIMEOUT(fault, pcidev_get_gsi, 1800)
{
	walk(_metadata, self, variant, &get_gsi_path);
}

/* ---- IOCTL_PRIVCMD_IRQFD ---- */

static long irqfd_req(FIXTURE_DATA(fault) *self, uint32_t flags)
{
	struct privcmd_irqfd req = {
		.dm_op = (uintptr_t)&self->op, .size = sizeof(self->op),
		.fd = self->efd, .flags = flags, .dom = NO_SUCH_DOMAIN,
	};

	return err_of(ioctl(self->fd, IOCTL_PRIVCMD_IRQFD, &req));
}

static long irqfd_assign(FIXTURE_DATA(fault) *self)
{
	return irqfd_req(self, 0);
}

static long irqfd_deassign(FIXTURE_DATA(fault) *self)
{
	return irqfd_req(self, PRIVCMD_IRQFD_FLAG_DEASSIGN);
}

/*
 * After an assign: deassigned if it succeeded; if it failed, nothing may
 * be left assigned, which a new assign (then deassigned) shows.
 */
static int irqfd_undo_assign(FIXTURE_DATA(fault) *self, long ret)
{
	long rc;

	if (ret < 0) {
		rc = irqfd_assign(self);
		if (rc)
			return rc;
	}
	return irqfd_deassign(self);
}

static int irqfd_prepare_deassign(FIXTURE_DATA(fault) *self)
{
	return irqfd_assign(self);
}

/* After a deassign that failed: still assigned, deassigned now. */
static int irqfd_undo_deassign(FIXTURE_DATA(fault) *self, long ret)
{
	if (ret < 0)
		return irqfd_deassign(self);
	/* Nothing left: a new assign works. */
	ret = irqfd_assign(self);
	return ret ? ret : irqfd_deassign(self);
}

static const struct path irqfd_assign_path = {
	"IOCTL_PRIVCMD_IRQFD assign", no_prepare, irqfd_assign,
	irqfd_undo_assign,
};

static const struct path irqfd_deassign_path = {
	"IOCTL_PRIVCMD_IRQFD deassign", irqfd_prepare_deassign, irqfd_deassign,
	irqfd_undo_deassign,
};

TEST_F_TIMEOUT(fault, irqfd, 1800)
{
	set_irqfd_op(self);
	walk(_metadata, self, variant, &irqfd_assign_path);
	walk(_metadata, self, variant, &irqfd_deassign_path);
}

/* ---- IOCTL_PRIVCMD_IOEVENTFD ---- */

/*
 * Request slots need a page the kernel addresses (a PVH dom0's mapping of
 * the scratch domain's grant frame), and a channel: a loopback one, its
 * vCPU end bound (static) through /dev/xen/evtchn, as a backend does.
 * Elsewhere, the request names an address with nothing mapped (EFAULT,
 * after the driver's checks).
 */
static int request_slots(struct __test_metadata *_metadata,
			 FIXTURE_DATA(fault) *self)
{
	struct evtchn_alloc_unbound unbound = {
		.dom = DOMID_SELF, .remote_dom = 0,
	};
	struct evtchn_bind_interdomain peer = { .remote_dom = DOMID_SELF };
	privcmd_mmap_resource_t res = {
		.type = XENMEM_resource_grant_table,
		.id = XENMEM_resource_grant_table_id_shared,
		.num = 1,
	};
	struct ioctl_evtchn_bind bind;

	memset(&self->ioreq, 0, sizeof(self->ioreq));
	self->ioreq.ioreq = 0x7ffffffff000ULL;
	self->ioreq.ports = (uintptr_t)self->ports;
	self->ioreq.addr = DEVICE_ADDR;
	self->ioreq.addr_len = 4;
	self->ioreq.event_fd = self->efd;
	self->ioreq.vcpus = 1;
	self->ioreq.vq = 1;
	self->ioreq.dom = NO_SUCH_DOMAIN;
	if (on_stub() || guest_type_is("PV"))
		return 0;

	if (scratch_domain(_metadata, self))
		return -1;
	self->slots = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
			   self->fd, 0);
	if (self->slots == MAP_FAILED) {
		self->slots = NULL;
		return -1;
	}
	res.dom = self->dom;
	res.addr = (uintptr_t)self->slots;
	if (ioctl(self->fd, IOCTL_PRIVCMD_MMAP_RESOURCE, &res))
		return -1;
	if (evtchn_op(self->fd, EVTCHNOP_alloc_unbound, &unbound))
		return -1;
	peer.remote_port = unbound.port;
	if (evtchn_op(self->fd, EVTCHNOP_bind_interdomain, &peer)) {
		close_port(self->fd, unbound.port);
		return -1;
	}
	self->ports[0] = unbound.port;
	self->ports[1] = peer.local_port;
	self->evtchn = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	if (self->evtchn < 0)
		return -1;
	bind.port = self->ports[0];
	if (ioctl(self->evtchn, IOCTL_EVTCHN_BIND_STATIC, &bind))
		return -1;
	self->ioreq.ioreq = (uintptr_t)self->slots;
	self->ioreq.dom = self->dom;
	TH_LOG("request slots in d%u's grant frame, port %u", self->dom,
	       self->ports[0]);
	return 0;
}

static long ioeventfd_req(FIXTURE_DATA(fault) *self, uint32_t flags)
{
	struct privcmd_ioeventfd req = self->ioreq;

	req.flags = flags;
	return err_of(ioctl(self->fd, IOCTL_PRIVCMD_IOEVENTFD, &req));
}

static long ioeventfd_assign(FIXTURE_DATA(fault) *self)
{
	return ioeventfd_req(self, 0);
}

static long ioeventfd_deassign(FIXTURE_DATA(fault) *self)
{
	return ioeventfd_req(self, PRIVCMD_IOEVENTFD_FLAG_DEASSIGN);
}

/*
 * After an assign: deassigned if it succeeded; if it failed, nothing may
 * be left assigned (deassign is ENODEV).
 */
static int ioeventfd_undo_assign(FIXTURE_DATA(fault) *self, long ret)
{
	long rc = ioeventfd_deassign(self);

	if (ret < 0)
		return rc == -ENODEV ? 0 : -EPROTO;
	return rc;
}

static int ioeventfd_prepare_deassign(FIXTURE_DATA(fault) *self)
{
	long rc = ioeventfd_assign(self);

	/* Where the assign fails anyway, the deassign is walked alone. */
	return rc == -EFAULT && !self->slots ? 0 : rc;
}

/* After a deassign that failed: still assigned, deassigned now. */
static int ioeventfd_undo_deassign(FIXTURE_DATA(fault) *self, long ret)
{
	if (ret < 0 && self->slots)
		return ioeventfd_deassign(self);
	return 0;
}

static const struct path ioeventfd_assign_path = {
	"IOCTL_PRIVCMD_IOEVENTFD assign", no_prepare, ioeventfd_assign,
	ioeventfd_undo_assign,
};

static const struct path ioeventfd_deassign_path = {
	"IOCTL_PRIVCMD_IOEVENTFD deassign", ioeventfd_prepare_deassign,
	ioeventfd_deassign, ioeventfd_undo_deassign,
};

TEST_F_TIMEOUT(fault, ioeventfd, 1800)
{
	ASSERT_EQ(0, request_slots(_metadata, self)) TH_LOG("%m");
	walk(_metadata, self, variant, &ioeventfd_assign_path);
	walk(_metadata, self, variant, &ioeventfd_deassign_path);
}

/* ---- kmemleak after the walks ---- */

FIXTURE(kmemleak_after) {
};

FIXTURE_SETUP(kmemleak_after)
{
	const char *why = no_fault_injection();

	if (*why)
		SKIP(return, "%s", why);
	if (access(KMEMLEAK, W_OK))
		SKIP(return, "no kmemleak");
}

FIXTURE_TEARDOWN(kmemleak_after)
{
}

/*
 * Nothing that the walks allocated is left unreferenced.  kmemleak leaves
 * objects younger than 5 s alone, and wants them unreferenced in two
 * scans to be sure; its report is printed.  What was allocated before the
 * walks began (by jiffies, where /proc/timer_list shows them; else what
 * another program allocated) and only came to be unreferenced since, the
 * kernel's own modules' say, is listed but not counted.
 */
TEST_F_TIMEOUT(kmemleak_after, no_new_suspected_leaks, 900)
{
	static char report[1 << 16];
	unsigned long long began = 0, at;
	int fd, i, ours = 0, theirs = 0, counted = 0, objects = 0;
	char buf[32], comm[32], *line, *save;
	ssize_t n, total = 0;

	if (!read_file(WALKS_BEGAN, buf, sizeof(buf)))
		began = strtoull(buf, NULL, 10);
	for (i = 0; i < 2; i++) {
		sleep(6);
		ASSERT_EQ(0, write_file(KMEMLEAK, "scan"));
	}
	fd = open(KMEMLEAK, O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, fd);
	while (total < (ssize_t)sizeof(report) - 1 &&
	       (n = read(fd, report + total, sizeof(report) - 1 - total)) > 0)
		total += n;
	close(fd);
	report[total] = '\0';
	for (line = strtok_r(report, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		objects += !strncmp(line, "unreferenced object", 19);
		if (sscanf(line, " comm \"%31[^\"]\", pid %*d, jiffies %llu",
			   comm, &at) == 2) {
			counted = began ? at >= began :
				  strstr(comm, "fault_test") != NULL;
			ours += counted;
			theirs += !counted;
			printf("# kmemleak: %s (%s)\n", line,
			       counted ? "during the walks" : "before the walks: not counted");
		} else {
			printf("# kmemleak: %s\n", line);
		}
	}
	/* An object whose origin was not read counts. */
	if (objects > ours + theirs)
		ours = objects - theirs;
	if (theirs)
		printf("# kmemleak: %d object(s) allocated before the walks, not counted\n",
		       theirs);
	EXPECT_EQ(0, ours);
}

TEST_HARNESS_MAIN
