// SPDX-License-Identifier: GPL-2.0
/*
 * A seeded fuzzer of the device surface: /dev/xen/privcmd (every ioctl of
 * the UAPI, an unknown one, mmap) and /dev/xen/hypercall, interleaved with
 * munmap (whole and partial), mremap, madvise, mprotect, fork, close and
 * eventfd writes, on structures built from boundary values and random ones.
 *
 *   privcmd_fuzz [--seed N] [--ops N] [--alarm S] [--known] [--no-steer]
 *                [--c-safe] [--race] [-v] [--verbose-from N]
 *
 * Reproducible: the operations are drawn from splitmix64 generators seeded
 * by --seed, and the program runs with address-space randomisation off (it
 * re-executes itself so), so the same seed and operation count on the same
 * kernel, hypervisor and driver replay the same sequence.  Where the kernel
 * has KCOV (the debug kernel: the stub world and the sanitized PVH world),
 * the fuzzer is steered by the drivers' edges: an operation that reached a
 * new edge is kept as an input, and a quarter of the operations replay a
 * kept input with one of its draws changed.  The same seed then replays the
 * same run as long as the kernel answers the same way (what the driver does
 * in process context is deterministic; --no-steer takes the steering away
 * when it is not).  -v prints each
 * operation (its index, what it does, then its result) before it runs: too
 * slow on an emulated serial console for long runs, so without it only the
 * seed, the count, and progress every 1000 operations are printed.  To see
 * what led to a failure, run the same seed with the same --ops and -v, or
 * --verbose-from N to print from operation N on (the kernel's reports are
 * printed with the operation after which they came: the first twenty, then
 * the first of each kind).
 *
 * Safe by design: the only hypercalls on a file that is not restricted are
 * harmless ones (xen_version, console_io, memory_op queries on
 * DOMID_SELF), with buffers in the fuzzer's own memory.  Everything else,
 * any other hypercall, DM_OP, IRQFD, IOEVENTFD and the mapping ioctls, goes
 * through a file restricted (IOCTL_PRIVCMD_RESTRICT) to a scratch domain
 * that the fuzzer creates under Xen and destroys at the end (on the stub:
 * a domain number that no domain has), or to such an unused number.
 * Random structures are read by the driver only from the fuzzer's own
 * buffers; a bad structure address is one where nothing can be read.
 *
 * Left out over Linux's C driver, whose holes turn them into kernel
 * crashes or warnings: mapping ioctls anywhere but at the start of a
 * privcmd mapping, for more pages than it has (or more than 16), and in an
 * auto-translated dom0 a resource that does not fill its mapping or a
 * second mapping ioctl on one mapping (BUG_ON in alloc_empty_pages);
 * mremap of a privcmd mapping in an auto-translated dom0; an IRQFD
 * operation larger than a page; an IOEVENTFD assignment that gets past
 * its width and vCPU checks; unaligned or straddling structure addresses;
 * MADV_DOFORK on a privcmd mapping; a DM_OP buffer of no bytes at a page
 * start (a heap overflow).  --c-safe leaves the same out over this driver,
 * so that one seed draws the same operations over both (with --no-steer:
 * the drivers' edges differ), for scripts/fuzz-compare.sh.  Left out over
 * either driver unless
 * --known: mprotect of a privcmd mapping in a PV dom0 (see op_mprotect).
 *
 * --race: races instead (the race mode's section, before main()), --ops
 * rounds of them.  Each round draws a scenario and all its choices from
 * the seed, prepares the state, releases 2 to 4 threads together through
 * a barrier (each after a drawn spin), joins them, checks that each result
 * is one that its operation may give in that race (the unexpected ones
 * are printed) and what must hold afterwards, cleans up and reads the
 * kernel log; a round that hangs ends the run when its alarm fires, with
 * a line naming the round and the scenario.  The scenarios, each on one
 * file and on two:
 *  1. a mapping ioctl (MMAPBATCH, MMAPBATCH_V2, MMAP_RESOURCE of the scratch
 *     domain's grant table frame) into a privcmd mapping against munmap
 *     (whole or a page) and mremap (shrink, grow, move), or, in a forked
 *     child, against exit_group from the child's other thread;
 *  2. IRQFD assign and deassign against close and write of its eventfd;
 *  3. IOEVENTFD assign and deassign against munmap of its request page and
 *     close of its eventfd (an assignment succeeds in a PVH dom0 only,
 *     joining a port the fuzzer binds through /dev/xen/evtchn);
 *  4. RESTRICT against xen_version HYPERCALLs on that file (and another):
 *     afterwards the file is restricted and a hypercall EPERM;
 *  5. close of a privcmd file against ioctls on it and on a dup of it;
 *  6. delete_module of rust_privcmd against open, ioctl and close of the
 *     devices (and an irqfd's eventfd write): only in the stub world over
 *     our driver where $PRIVCMD_MODULES (default /modules) holds
 *     rust_privcmd.ko, as in the harness's guests.  The module stays
 *     (EAGAIN, EBUSY), or goes and is loaded again before the next round.
 * Left out over Linux's C driver, besides the list above: scenario 3 (its
 * assignment), scenario 6 (not its module); unless --known, in scenario 2
 * an IRQFD deassign beside the eventfd's close (it ends the irqfd twice:
 * a general protection fault, then a hang) and an eventfd write beside an
 * assignment (read without the eventfd's lock: a lockdep WARNING); and
 * where MMAP_RESOURCE is
 * in the race, a partial munmap or an mremap (it does not check the
 * mapping's end or start); in an auto-translated dom0 also any partial
 * munmap (the pieces would share its page array), any mremap, and a
 * second mapping ioctl on one mapping.  The last line is
 *
 *   fuzz: <world> <driver> seed <n> races <n> reports <n>
 *
 * and the exit status 1 if there were reports or unexpected results.
 *
 * Each operation runs under alarm(): a hang ends the program with a line
 * naming the operation.  The last line is
 *
 *   fuzz: <world> <driver> seed <n> ops <n> reports <n> edges <n> paths <n>
 *
 * where reports counts the kernel log lines that appeared during the run
 * and match Oops|BUG:|WARNING:|KASAN:|lockdep|kmemleak: (read from
 * /dev/kmsg after each operation: the first are printed with the
 * operation after which they came, and a ring buffer that wraps loses none),
 * edges the distinct KCOV edges of the driver (its Rust module, or Linux's
 * C privcmd) reached by the fuzzer's own process ("-" where the kernel has
 * no KCOV: the dom0 kernel of the plain Xen worlds), and paths the distinct
 * (ioctl, result) pairs reached, each listed before on a "# path:" line.
 * The exit status is 1 if there were reports.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <linux/kcov.h>
#include <sys/eventfd.h>
#include <sys/klog.h>
#include <sys/personality.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>

#include "privcmd_test.h"

#include <xen/hvm/dm_op.h>

#define HYPERCALL_BUF_PATH "/dev/xen/hypercall"
#define PAGE 4096UL
#define UNUSED_DOMAIN 0x7000
/* Page-table boundaries of x86_64: a page table maps 2 MiB, a directory 1 GiB. */
#define PMD_SIZE_ (2UL << 20)
#define PUD_SIZE_ (1UL << 30)
#define TIB_PAGES (1UL << 28)
#define BAD_FRAME 0x7ffffffffULL

#define NFDS 4
#define NEFDS 4
#define NMAPS 24
#define ARR_ENTRIES 4096

/* ---- the generator ---- */

/*
 * Two splitmix64 streams: the run's, seeded by --seed, draws each
 * operation's input; the operation's, seeded by its input's seed, draws
 * everything the operation does.  An input is that seed and up to two
 * mutations: draw number at[k] of the operation is replaced by val[k].
 */
struct input {
	uint64_t seed;
	int at[2];		/* -1: none */
	uint64_t val[2];
};

static uint64_t run_state, rng_state;
static struct input cur_in = { 0, { -1, -1 } };
static int draws;

static uint64_t splitmix(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static uint64_t rnd(void)
{
	/* The stream advances either way: later draws stay the parent's. */
	uint64_t v = splitmix(&rng_state);
	int d = draws++;

	if (cur_in.at[0] == d)
		return cur_in.val[0];
	if (cur_in.at[1] == d)
		return cur_in.val[1];
	return v;
}

/* A number below n (n > 0). */
static uint64_t below(uint64_t n)
{
	return rnd() % n;
}

/* True one time in n. */
static int one_in(uint64_t n)
{
	return below(n) == 0;
}

#define PICK(arr) (arr)[below(sizeof(arr) / sizeof((arr)[0]))]

/* ---- state ---- */

enum map_kind { K_DEV, K_HBUF, K_ANON };

struct mapping {
	char *addr;		/* NULL: free slot */
	size_t len;
	enum map_kind kind;
	int tried;		/* a mapping ioctl has named it */
};

static struct {
	int fd;			/* -1: closed */
	domid_t dom;		/* DOMID_INVALID: not restricted */
} pfd[NFDS];

static int hfd[2] = { -1, -1 };	/* /dev/xen/hypercall */
static int efd[NEFDS] = { -1, -1, -1, -1 };
static struct mapping maps[NMAPS];

static int ctl_fd = -1;		/* creates and destroys the scratch domain */
static domid_t scratch;
static int stub, c_drv, pv;
/*
 * Leave out what crashes Linux's C driver: over it, or with --c-safe over
 * this one, so that the same seed draws the same operations over both.
 */
static int c_safe;
static int verbose;
static unsigned long verbose_from = -1UL;	/* -v from this operation on */
static int known;		/* --known: also what found the known bugs */
static unsigned long cur_op;
static int op_printed;
static const char *cur_name = "start";

/* Buffers of the fuzzer's own that ioctls and hypercalls may read and write. */
static char *buf;		/* 16 pages */
static char *ro_page;		/* read-only */
static char *hole;		/* nothing mapped */
static char *edge;		/* a mapped page followed by a hole */
static xen_pfn_t *arr;		/* ARR_ENTRIES frames */
static int *errs;		/* ARR_ENTRIES error codes */

/* ---- paths: (operation, result) pairs reached ---- */

enum op_name {
	I_HYPERCALL, I_MMAP, I_MMAPBATCH, I_MMAPBATCH_V2, I_DM_OP,
	I_RESTRICT, I_MMAP_RESOURCE, I_IRQFD, I_IOEVENTFD, I_PCIDEV_GET_GSI,
	I_UNKNOWN, I_HBUF_IOCTL, NR_IOCTLS,
	S_OPEN = NR_IOCTLS, S_CLOSE, S_MMAP, S_MUNMAP, S_MREMAP, S_MADVISE,
	S_MPROTECT, S_FORK, S_TOUCH, S_EVENTFD, S_EVENTFD_WRITE, NR_OPS,
};

static const char *const op_names[NR_OPS] = {
	"HYPERCALL", "MMAP", "MMAPBATCH", "MMAPBATCH_V2", "DM_OP",
	"RESTRICT", "MMAP_RESOURCE", "IRQFD", "IOEVENTFD", "PCIDEV_GET_GSI",
	"unknown", "hypercall-device ioctl",
	"open", "close", "mmap", "munmap", "mremap", "madvise", "mprotect",
	"fork", "touch", "eventfd", "eventfd write",
};

#define MAX_ERRNO 4096
/* Index MAX_ERRNO: success. */
static unsigned char seen[NR_OPS][MAX_ERRNO + 1];

static void reached(enum op_name op, long ret)
{
	int e = ret >= 0 ? MAX_ERRNO : (int)(-ret < MAX_ERRNO ? -ret : MAX_ERRNO - 1);

	seen[op][e] = 1;
}

/* ---- coverage: KCOV edges of the drivers, and the inputs they keep ---- */

/*
 * The debug kernel instruments only the two privcmd drivers with KCOV
 * (kernel/debug.config, Kbuild), at edge level: each program counter it
 * records stands for one edge of a driver's control flow.  The fuzzer
 * counts the distinct ones ("edges") and keeps, as an input, the seed of
 * every operation that reached a new one; a quarter of later operations
 * replay a kept seed with one of its draws replaced by a fresh one.
 */
#define COVER_WORDS (64UL << 10)
#define EDGE_SLOTS (1UL << 16)
#define CORPUS 4096

static unsigned long *cover;	/* NULL: no KCOV */
static unsigned long *edge_set;	/* open addressing, 0: free */
static unsigned long nedges;
static struct input corpus[CORPUS];
static unsigned int ncorpus;
static int steer = 1;

/*
 * The fuzzer hands the kernel addresses next to its own mappings, and the
 * kernel writes there: the coverage buffer and the edge set live between
 * two 16 MiB guards where nothing can be written, far from what it maps.
 */
#define COVER_GUARD (16UL << 20)

static void cover_open(void)
{
	size_t cover_len = COVER_WORDS * sizeof(*cover);
	size_t set_len = EDGE_SLOTS * sizeof(*edge_set);
	char *area;
	int fd = open("/sys/kernel/debug/kcov", O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return;
	area = mmap(NULL, 2 * COVER_GUARD + cover_len + set_len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED || ioctl(fd, KCOV_INIT_TRACE, COVER_WORDS))
		goto out;
	cover = mmap(area + COVER_GUARD, cover_len, PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_FIXED, fd, 0);
	edge_set = mmap(area + COVER_GUARD + cover_len, set_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	if (cover == MAP_FAILED || edge_set == MAP_FAILED ||
	    ioctl(fd, KCOV_ENABLE, KCOV_TRACE_PC)) {
		cover = NULL;
		goto out;
	}
	/* The descriptor stays open for the process's life (kept out of forks'
	 * coverage: KCOV follows the task that enabled it). */
	return;
out:
	close(fd);
}

static void cover_reset(void)
{
	if (cover)
		__atomic_store_n(&cover[0], 0, __ATOMIC_RELAXED);
}

/* The edges of the operation that just ran not seen before. */
static unsigned long cover_collect(void)
{
	unsigned long n, i, fresh = 0;

	if (!cover)
		return 0;
	n = __atomic_load_n(&cover[0], __ATOMIC_RELAXED);
	if (n >= COVER_WORDS)
		n = COVER_WORDS - 1;
	for (i = 1; i <= n; i++) {
		unsigned long pc = cover[i], h = (pc * 0x9e3779b97f4a7c15UL) >> 48;

		/* Kernel text only: anything else was not written by KCOV. */
		if (pc < 0xffffffff80000000UL)
			continue;
		while (edge_set[h] && edge_set[h] != pc)
			h = (h + 1) & (EDGE_SLOTS - 1);
		if (edge_set[h] || nedges >= EDGE_SLOTS / 2)
			continue;
		edge_set[h] = pc;
		nedges++;
		fresh++;
	}
	return fresh;
}

/* ---- output ---- */

static void say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

/* In verbose mode: what the operation is, before it runs. */
static void op_begin(const char *fmt, ...)
{
	va_list ap;

	if (!verbose)
		return;
	op_printed = 1;
	printf("op %lu: ", cur_op);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	fflush(stdout);
}

static long op_end(enum op_name op, long ret)
{
	reached(op, ret);
	if (verbose) {
		if (ret < 0 && (op == S_TOUCH || op == S_FORK))
			printf(" = SIG%s\n", sigabbrev_np(-ret) ?: "?");
		else if (ret < 0)
			printf(" = -%s\n", strerrorname_np(-ret) ?: "?");
		else
			printf(" = %ld\n", ret);
		fflush(stdout);
	}
	return ret;
}

static long sys_ret(long ret)
{
	return ret == -1 ? -errno : ret;
}

static void on_alarm(int sig)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg),
			 "fuzz: op %lu (%s) did not finish within the alarm: hung\n",
			 cur_op, cur_name);

	(void)sig;
	if (write(STDOUT_FILENO, msg, n) < 0)
		_exit(3);
	_exit(3);
}

/* ---- touching memory that may fault ---- */

static sigjmp_buf fault_jmp;
static volatile sig_atomic_t fault_armed;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
	char msg[200];
	int n;

	if (!fault_armed) {
		/* The fuzzer's own fault: where, for the report. */
		n = snprintf(msg, sizeof(msg),
			     "fuzz: op %lu (%s): signal %d at address %p, ip %#llx\n",
			     cur_op, cur_name, sig, si->si_addr,
			     (unsigned long long)((ucontext_t *)uc)->uc_mcontext.gregs[REG_RIP]);
		if (write(STDOUT_FILENO, msg, n) < 0)
			_exit(4);
		signal(sig, SIG_DFL);
		raise(sig);
		return;
	}
	siglongjmp(fault_jmp, sig);
}

/* Reads a byte at addr: 0, or the signal it raised. */
static int touch(const char *addr)
{
	int sig;

	fault_armed = 1;
	sig = sigsetjmp(fault_jmp, 1);
	if (!sig)
		(void)*(volatile const char *)addr;
	fault_armed = 0;
	return sig;
}

/* ---- value pools ---- */

static uint64_t boundary_u64(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 15, 16, 17, 4095, 4096, 4097, INT_MAX,
		(uint64_t)INT_MAX + 1, 1ULL << 28, (1ULL << 28) + 1,
		UINT32_MAX, (uint64_t)UINT32_MAX + 1, -1ULL, -2ULL,
		1ULL << 63, 1ULL << 18, 0x7ff0, 0x7fff, 0xffff,
	};

	return one_in(4) ? rnd() >> below(64) : PICK(v);
}

static uint32_t boundary_u32(void)
{
	return (uint32_t)boundary_u64();
}

/* A count: small mostly, at the limits sometimes. */
static uint64_t count(void)
{
	static const uint64_t v[] = {
		0, 1, 2, 3, 16, 17, 256, 1024, 4096, 4097, INT_MAX,
		(uint64_t)INT_MAX + 1, 1ULL << 28, (1ULL << 28) + 1,
		UINT32_MAX, -1ULL, 1ULL << 18,
	};

	return one_in(2) ? below(4) + 1 : PICK(v);
}

static struct mapping *pick_mapping(int kind)
{
	int i, start = below(NMAPS);

	for (i = 0; i < NMAPS; i++) {
		struct mapping *m = &maps[(start + i) % NMAPS];

		if (m->addr && (kind < 0 || (int)m->kind == kind))
			return m;
	}
	return NULL;
}

/*
 * An address where nothing can be read: NULL, a hole, kernel addresses,
 * non-canonical ones, the end of user space.
 */
static uint64_t bad_addr(void)
{
	switch (below(6)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)hole;
	case 2:
		return KERNEL_ADDR;
	case 3:
		return 0xffff888000000000ULL + below(1 << 20) * PAGE;
	case 4:
		return 0x8000000000000000ULL;
	default:
		return 0x0000800000000000ULL - 8;
	}
}

/*
 * An address for the driver to read or write through: the fuzzer's own
 * buffers and mappings (+- a page, +- 16), and bad ones: NULL, a hole, a
 * page's end, read-only memory, kernel addresses, non-canonical ones.
 */
static uint64_t user_addr(void)
{
	struct mapping *m;
	uint64_t a;

	switch (below(10)) {
	case 0:
	case 1:
		return bad_addr();
	case 2:
		return (uintptr_t)edge - below(64);
	case 3:
		return (uintptr_t)ro_page;
	case 4:
	case 5:
		m = pick_mapping(-1);
		if (!m)
			break;
		a = (uintptr_t)m->addr;
		switch (below(6)) {
		case 0:
			return a - PAGE;
		case 1:
			return a + PAGE;
		case 2:
			return a + m->len - PAGE;
		case 3:
			return a + m->len;
		case 4:
			return a + 16;
		default:
			return a;
		}
	default:
		break;
	}
	return (uintptr_t)buf + (one_in(4) ? below(16 * PAGE) : 0);
}

/*
 * An address for a hypercall argument that Xen reads or writes: only the
 * fuzzer's own user memory, or no memory (NULL, a hole): Xen does not
 * check a PV dom0's pointers against its kernel.
 */
static uint64_t hcall_addr(void)
{
	struct mapping *m;

	switch (below(8)) {
	case 0:
		return 0;
	case 1:
		return (uintptr_t)hole;
	case 2:
		return (uintptr_t)edge - below(64);
	case 3:
		return (uintptr_t)ro_page;
	case 4:
		m = pick_mapping(-1);
		if (m)
			return (uintptr_t)m->addr;
		break;
	default:
		break;
	}
	return (uintptr_t)buf + below(8 * PAGE);
}

static domid_t any_domain(void)
{
	static const domid_t v[] = {
		0, DOMID_SELF, DOMID_INVALID, UNUSED_DOMAIN, UNUSED_DOMAIN + 1,
		DOMID_IO, DOMID_XEN, 1, 0x7fef,
	};

	return one_in(2) ? scratch : one_in(4) ? (domid_t)rnd() : PICK(v);
}

static void fill_random(void *p, size_t len)
{
	uint64_t v;
	size_t i;

	for (i = 0; i < len; i += sizeof(v)) {
		v = one_in(2) ? boundary_u64() : rnd();
		memcpy((char *)p + i, &v, len - i < sizeof(v) ? len - i : sizeof(v));
	}
}

/* ---- files ---- */

static int any_fd(void)
{
	switch (below(16)) {
	case 0:
		return hfd[below(2)];
	case 1:
		return efd[below(NEFDS)];
	case 2:
		return one_in(2) ? -1 : 1000;
	default:
		return pfd[below(NFDS)].fd;
	}
}

/* A privcmd file restricted to a domain that is not dom0: -1 if none. */
static int restricted_fd(domid_t *dom)
{
	int i, start = below(NFDS);

	for (i = 0; i < NFDS; i++) {
		int k = (start + i) % NFDS;

		if (pfd[k].fd >= 0 && pfd[k].dom != DOMID_INVALID) {
			*dom = pfd[k].dom;
			return pfd[k].fd;
		}
	}
	return -1;
}

static int unrestricted_fd(void)
{
	int i, start = below(NFDS);

	for (i = 0; i < NFDS; i++) {
		int k = (start + i) % NFDS;

		if (pfd[k].fd >= 0 && pfd[k].dom == DOMID_INVALID)
			return pfd[k].fd;
	}
	return -1;
}

/* A domain for a restricted file's ioctl: its own mostly. */
static domid_t domain_for(domid_t own)
{
	return one_in(4) ? any_domain() : own;
}

static void op_open(void)
{
	int k = below(NFDS + 2);
	int *slot;
	const char *path;
	long ret;

	if (k < NFDS) {
		slot = &pfd[k].fd;
		path = PRIVCMD_PATH;
	} else {
		slot = &hfd[k - NFDS];
		path = HYPERCALL_BUF_PATH;
	}
	cur_name = "open";
	op_begin("open %s (slot %d)", path, k);
	if (*slot >= 0) {
		close(*slot);
		*slot = -1;
	}
	ret = sys_ret(open(path, O_RDWR | O_CLOEXEC));
	op_end(S_OPEN, ret < 0 ? ret : 0);
	if (ret >= 0) {
		*slot = ret;
		if (k < NFDS)
			pfd[k].dom = DOMID_INVALID;
	}
}

static void op_close(void)
{
	int k = below(NFDS + 2 + NEFDS);
	int *slot;

	if (k < NFDS)
		slot = &pfd[k].fd;
	else if (k < NFDS + 2)
		slot = &hfd[k - NFDS];
	else
		slot = &efd[k - NFDS - 2];
	cur_name = "close";
	op_begin("close slot %d (fd %d)", k, *slot);
	if (*slot < 0) {
		op_end(S_CLOSE, -EBADF);
		return;
	}
	op_end(S_CLOSE, sys_ret(close(*slot)));
	*slot = -1;
}

static void op_eventfd(void)
{
	int k = below(NEFDS);
	uint64_t v;
	long ret;

	if (efd[k] < 0 || one_in(8)) {
		cur_name = "eventfd";
		op_begin("eventfd (slot %d)", k);
		if (efd[k] >= 0)
			close(efd[k]);
		efd[k] = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		op_end(S_EVENTFD, efd[k] < 0 ? -errno : 0);
		return;
	}
	cur_name = "eventfd write";
	v = one_in(8) ? PICK(((const uint64_t[]){ 0, -1ULL, -2ULL })) : 1;
	op_begin("eventfd write %#llx (slot %d)", (unsigned long long)v, k);
	ret = sys_ret(write(efd[k], &v, sizeof(v)));
	op_end(S_EVENTFD_WRITE, ret < 0 ? ret : 0);
	if (one_in(2) && read(efd[k], &v, sizeof(v)) < 0)
		v = 0;
}

/* ---- memory ---- */

static struct mapping *free_slot(void)
{
	int i;

	for (i = 0; i < NMAPS; i++)
		if (!maps[i].addr)
			return &maps[i];
	return NULL;
}

/* Forgets [a, a + len) wherever the fuzzer had it mapped. */
static void forget_range(char *a, size_t len)
{
	int i;

	for (i = 0; i < NMAPS; i++) {
		struct mapping *m = &maps[i];
		char *s = m->addr, *e = m->addr + m->len;
		struct mapping *rest;

		if (!s || a + len <= s || a >= e)
			continue;
		if (a <= s && a + len >= e) {
			m->addr = NULL;
		} else if (a <= s) {
			m->len = e - (a + len);
			m->addr = a + len;
		} else if (a + len >= e) {
			m->len = a - s;
		} else {
			m->len = a - s;
			rest = free_slot();
			if (rest) {
				rest->addr = a + len;
				rest->len = e - (a + len);
				rest->kind = m->kind;
				rest->tried = m->tried;
			}
		}
	}
}

static void remember(char *a, size_t len, enum map_kind kind)
{
	struct mapping *m;

	forget_range(a, len);
	m = free_slot();
	if (m) {
		m->addr = a;
		m->len = len;
		m->kind = kind;
		m->tried = 0;
	} else {
		/* Out of slots: not kept. */
		munmap(a, len);
	}
}

static void op_mmap(void)
{
	static const unsigned long dev_pages[] = { 1, 2, 3, 16, 1UL << 18, TIB_PAGES };
	static const unsigned long at[] = {
		0x40000000UL + PMD_SIZE_, 4 * PUD_SIZE_, 0x1000000000UL,
	};
	unsigned long pages, hint = 0;
	int kind = below(3), flags = MAP_SHARED, prot = PROT_READ | PROT_WRITE;
	int fd = -1;
	char *p;

	if (!free_slot())
		return;
	if (kind == K_DEV) {
		fd = pfd[below(NFDS)].fd;
		pages = PICK(dev_pages);
	} else if (kind == K_HBUF) {
		fd = hfd[below(2)];
		pages = below(16) + 1;
	} else {
		flags = MAP_PRIVATE | MAP_ANONYMOUS;
		pages = below(8) + 1;
	}
	if (pages >= (1UL << 18))
		flags |= MAP_NORESERVE;
	if (one_in(3)) {
		/* Straddling a 2 MiB or a 1 GiB boundary. */
		hint = PICK(at) - below(4) * PAGE;
		flags |= MAP_FIXED_NOREPLACE;
	}
	if (one_in(16))
		flags = (flags & ~MAP_SHARED) | MAP_PRIVATE;
	if (one_in(16))
		prot = PROT_READ;
	cur_name = "mmap";
	op_begin("mmap %s fd %d, %lu pages at %#lx, flags %#x prot %#x",
		 kind == K_DEV ? "privcmd" : kind == K_HBUF ? "hypercall" : "anon",
		 fd, pages, hint, flags, prot);
	p = mmap((void *)hint, pages * PAGE, prot, flags, fd, 0);
	op_end(S_MMAP, p == MAP_FAILED ? -errno : 0);
	if (p != MAP_FAILED)
		remember(p, pages * PAGE, kind);
}

/* Over the C driver in an auto-translated dom0, a privcmd mapping does not move. */
static int c_safe_mremap(struct mapping *m)
{
	return !c_safe || pv || m->kind != K_DEV;
}

/*
 * Whether the page at a may be unmapped: one of the fuzzer's mappings, or
 * nothing (never its own buffers, the reserved bad addresses, the vDSO).
 */
static int may_unmap(char *a)
{
	int i;

	for (i = 0; i < NMAPS; i++)
		if (maps[i].addr && a >= maps[i].addr && a < maps[i].addr + maps[i].len)
			return 1;
	return msync(a, PAGE, MS_ASYNC) == -1 && errno == ENOMEM;
}

static void op_munmap(void)
{
	struct mapping *m = pick_mapping(-1);
	size_t off = 0, len;
	long ret;

	if (!m)
		return;
	len = m->len;
	switch (below(4)) {
	case 0:
		/* The first page. */
		len = PAGE;
		break;
	case 1:
		/* The last page. */
		off = len - PAGE;
		len = PAGE;
		break;
	case 2:
		/* One in the middle, and past the end. */
		off = (below(m->len / PAGE)) * PAGE;
		len = one_in(2) ? PAGE : m->len - off + PAGE;
		break;
	default:
		break;
	}
	if (off + len > m->len && !may_unmap(m->addr + m->len))
		len = m->len - off;
	cur_name = "munmap";
	op_begin("munmap %p + %#zx, %#zx", m->addr, off, len);
	ret = op_end(S_MUNMAP, sys_ret(munmap(m->addr + off, len)));
	if (!ret)
		forget_range(m->addr + off, len);
}

static void op_mremap(void)
{
	struct mapping *m = pick_mapping(-1);
	size_t len, new_len;
	char *p, *to = NULL;
	int flags = MREMAP_MAYMOVE, i;

	if (!m || !c_safe_mremap(m))
		return;
	len = m->len;
	new_len = len;
	switch (below(4)) {
	case 0:
		new_len = len + PAGE;
		break;
	case 1:
		new_len = len > PAGE ? len - PAGE : len;
		break;
	case 2:
		/* Moved to a hole a page below a 2 MiB boundary. */
		to = (char *)(0x60000000UL - PAGE);
		flags |= MREMAP_FIXED;
		break;
	default:
		flags |= one_in(2) ? MREMAP_DONTUNMAP : 0;
		break;
	}
	if (flags & MREMAP_FIXED && len > (1UL << 20))
		return;
	cur_name = "mremap";
	op_begin("mremap %p, %#zx -> %#zx, flags %#x to %p", m->addr, len,
		 new_len, flags, to);
	p = mremap(m->addr, len, new_len, flags, to);
	op_end(S_MREMAP, p == MAP_FAILED ? -errno : 0);
	if (p != MAP_FAILED) {
		enum map_kind kind = m->kind;
		char *old = m->addr;

		/* MREMAP_FIXED replaced what was there. */
		if (to)
			forget_range(to, new_len);
		int tried = m->tried;

		if (!(flags & MREMAP_DONTUNMAP) || p == old)
			forget_range(old, len);
		remember(p, new_len, kind);
		for (i = 0; i < NMAPS; i++)
			if (maps[i].addr == p)
				maps[i].tried = tried;
	}
}

static void op_madvise(void)
{
	static const int advice[] = {
		MADV_DONTNEED, MADV_WILLNEED, MADV_DONTFORK, MADV_DOFORK,
		MADV_FREE, MADV_COLD, MADV_PAGEOUT, MADV_NORMAL, MADV_RANDOM,
		MADV_DONTDUMP, MADV_POPULATE_READ, MADV_POPULATE_WRITE,
		MADV_REMOVE, MADV_HUGEPAGE, MADV_MERGEABLE,
	};
	struct mapping *m = pick_mapping(-1);
	size_t len;
	int adv = PICK(advice);

	if (!m)
		return;
	len = one_in(2) ? m->len : PAGE;
	/* A 1 TiB populate would fault in 2^28 pages (of anonymous memory). */
	if ((adv == MADV_POPULATE_READ || adv == MADV_POPULATE_WRITE) && len > 64 * PAGE)
		len = 64 * PAGE;
	/* Over the C driver, a privcmd mapping keeps its pages (DOFORK) out of children. */
	if (c_safe && m->kind == K_DEV && adv == MADV_DOFORK)
		return;
	cur_name = "madvise";
	op_begin("madvise %p, %#zx, %d", m->addr, len, adv);
	op_end(S_MADVISE, sys_ret(madvise(m->addr, len, adv)));
}

static void op_mprotect(void)
{
	static const int prots[] = {
		PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE, PROT_READ | PROT_EXEC,
		PROT_WRITE,
	};
	struct mapping *m = pick_mapping(-1);
	size_t len, off = 0;
	int prot = PICK(prots);

	if (!m)
		return;
	/*
	 * Known, over either driver (seed 1, op 8593): in a PV dom0, a frame
	 * mapped into a PROT_NONE privcmd mapping is a PTE that Xen does not
	 * check; made accessible, Xen refuses it (a WARNING), and a touch
	 * faults for ever.  Left out unless --known.
	 */
	if (m->kind == K_DEV && !stub && pv && !known)
		return;
	len = m->len;
	if (one_in(2) && len > PAGE) {
		off = PAGE;
		len = PAGE;
	}
	cur_name = "mprotect";
	op_begin("mprotect %p + %#zx, %#zx, %d", m->addr, off, len, prot);
	op_end(S_MPROTECT, sys_ret(mprotect(m->addr + off, len, prot)));
}

static void op_touch(void)
{
	struct mapping *m = pick_mapping(-1);
	size_t off;

	if (!m)
		return;
	off = below(m->len / PAGE < 64 ? m->len / PAGE : 64) * PAGE;
	cur_name = "touch";
	op_begin("read %p + %#zx", m->addr, off);
	op_end(S_TOUCH, -touch(m->addr + off));
}

/*
 * A child that reads from the mappings it inherited (the privcmd ones are
 * not), unmaps one, and exits; or exits at once.
 */
static void op_fork(void)
{
	uint64_t r = rnd();
	int status;
	pid_t pid;

	cur_name = "fork";
	op_begin("fork (%#llx)", (unsigned long long)(r & 0xff));
	pid = fork();
	if (pid == 0) {
		int i;

		alarm(0);
		for (i = 0; i < NMAPS; i++)
			if (maps[i].addr && (r >> i) & 1)
				touch(maps[i].addr);
		for (i = 0; i < NMAPS; i++)
			if (maps[i].addr && (r >> (i + 24)) & 1) {
				munmap(maps[i].addr, maps[i].len);
				break;
			}
		if (r & (1ULL << 50))
			for (i = 0; i < NFDS; i++)
				if (pfd[i].fd >= 0)
					close(pfd[i].fd);
		_exit(0);
	}
	if (pid < 0) {
		op_end(S_FORK, -errno);
		return;
	}
	if (waitpid(pid, &status, 0) != pid)
		op_end(S_FORK, -errno);
	else
		op_end(S_FORK, WIFSIGNALED(status) ? -WTERMSIG(status) : 0);
}

/* ---- ioctls ---- */

static long do_ioctl(enum op_name op, int fd, unsigned long cmd, uint64_t arg)
{
	return op_end(op, sys_ret(ioctl(fd, cmd, (void *)(uintptr_t)arg)));
}

/*
 * The structure at its own address mostly; sometimes where nothing can be
 * read, or (over our driver) straddling the end of a page, of which only
 * the start can be.  Never memory that holds something else: read as a
 * structure, it would ask for anything.
 */
static uint64_t struct_addr(void *s, size_t size)
{
	if (!one_in(16))
		return (uintptr_t)s;
	if (!c_safe && one_in(2))
		return (uintptr_t)edge - 1 - below(size - 1);
	return bad_addr();
}

#define STRUCT_ADDR(s) struct_addr(s, sizeof(*(s)))

static void harmless_hypercall(int fd)
{
	static domid_t self = DOMID_SELF;
	privcmd_hypercall_t h = { 0 };
	static const char msg[] = "privcmd_fuzz\n";

	switch (below(4)) {
	case 0:
		h.op = __HYPERVISOR_xen_version;
		h.arg[0] = one_in(8) ? (uint32_t)rnd() : below(12);
		h.arg[1] = hcall_addr();
		break;
	case 1:
		h.op = __HYPERVISOR_console_io;
		if (one_in(2)) {
			/* A short write, of nothing mostly: the console is slow. */
			h.arg[0] = CONSOLEIO_write;
			h.arg[1] = one_in(32) ? sizeof(msg) - 1 : 0;
			h.arg[2] = (uintptr_t)msg;
		} else {
			h.arg[0] = CONSOLEIO_read;
			/* Within buf from wherever hcall_addr() put it there. */
			h.arg[1] = one_in(4) ? boundary_u32() & 0xfff : below(64);
			h.arg[2] = hcall_addr();
		}
		break;
	default:
		h.op = __HYPERVISOR_memory_op;
		h.arg[0] = PICK(((const uint64_t[]){ XENMEM_maximum_ram_page,
			XENMEM_current_reservation, XENMEM_maximum_reservation,
			XENMEM_maximum_gpfn }));
		h.arg[1] = one_in(4) ? hcall_addr() : (uintptr_t)&self;
		break;
	}
	op_begin("HYPERCALL fd %d op %llu (%#llx, %#llx, %#llx)", fd,
		 (unsigned long long)h.op, (unsigned long long)h.arg[0],
		 (unsigned long long)h.arg[1], (unsigned long long)h.arg[2]);
	/* Unrestricted: a bad structure only where nothing can be read. */
	do_ioctl(I_HYPERCALL, fd, IOCTL_PRIVCMD_HYPERCALL,
		 one_in(16) ? bad_addr() : (uintptr_t)&h);
}

static void op_hypercall(void)
{
	privcmd_hypercall_t h;
	domid_t dom;
	int fd, i;

	cur_name = "HYPERCALL";
	if (one_in(2)) {
		/* Anything at all, but on a restricted file: refused. */
		fd = restricted_fd(&dom);
		if (fd < 0)
			return;
		h.op = one_in(2) ? below(HYPERCALL_PAGE_ENTRIES + 2) : boundary_u64();
		for (i = 0; i < 5; i++)
			h.arg[i] = boundary_u64();
		op_begin("HYPERCALL restricted fd %d op %#llx", fd,
			 (unsigned long long)h.op);
		do_ioctl(I_HYPERCALL, fd, IOCTL_PRIVCMD_HYPERCALL, STRUCT_ADDR(&h));
		return;
	}
	/* Any file: a restricted one refuses, the others have no such ioctl. */
	fd = one_in(8) ? any_fd() : unrestricted_fd();
	if (fd < 0 && !one_in(8))
		return;
	harmless_hypercall(fd);
}

static void op_restrict(void)
{
	int k = below(NFDS);
	domid_t d;
	long ret;

	cur_name = "RESTRICT";
	if (pfd[k].fd < 0)
		return;
	/*
	 * The scratch domain, an unused number, or DOMID_INVALID (which
	 * leaves a file unrestricted): never dom0, DOMID_SELF or Xen's own.
	 */
	switch (below(8)) {
	case 0:
		d = UNUSED_DOMAIN + below(4);
		break;
	case 1:
		d = DOMID_INVALID;
		break;
	default:
		d = scratch;
		break;
	}
	op_begin("RESTRICT fd %d to %u", pfd[k].fd, d);
	if (one_in(16)) {
		/* Where nothing can be read, or only the first byte. */
		uint64_t a = one_in(4) && !c_safe ? (uintptr_t)edge - 1 : bad_addr();

		ret = do_ioctl(I_RESTRICT, pfd[k].fd, IOCTL_PRIVCMD_RESTRICT, a);
		/* Restricted to who knows what: not used again. */
		if (!ret) {
			close(pfd[k].fd);
			pfd[k].fd = -1;
		}
		return;
	}
	ret = do_ioctl(I_RESTRICT, pfd[k].fd, IOCTL_PRIVCMD_RESTRICT, (uintptr_t)&d);
	if (!ret && d != DOMID_INVALID)
		pfd[k].dom = d;
}

/* Fills arr with frames: bad ones, random ones, its own indices. */
static void fill_frames(unsigned int n)
{
	unsigned int i;
	int how = below(3);

	for (i = 0; i < n && i < ARR_ENTRIES; i++)
		arr[i] = how == 0 ? BAD_FRAME : how == 1 ? boundary_u64() : i;
}

/* An address in a privcmd mapping mostly, and where it was asked. */
static uint64_t map_addr(struct mapping **which)
{
	struct mapping *m = pick_mapping(one_in(4) ? -1 : K_DEV);

	*which = m;
	if (!m || one_in(8)) {
		*which = NULL;
		return user_addr();
	}
	switch (below(8)) {
	case 0:
		return (uintptr_t)m->addr + PAGE;
	case 1:
		return (uintptr_t)m->addr + 16;
	case 2:
		return (uintptr_t)m->addr + m->len - PAGE;
	default:
		return (uintptr_t)m->addr;
	}
}

/* A frame array address: arr mostly, a bad one sometimes. */
static uint64_t arr_addr(void)
{
	return one_in(8) ? user_addr() : (uintptr_t)arr + (one_in(8) ? 8 * below(ARR_ENTRIES) : 0);
}

/*
 * Over the C driver, a mapping ioctl names a page-aligned address at the
 * start of one of the fuzzer's privcmd mappings, and no more pages than the
 * mapping has (in an auto-translated dom0, a resource fills it exactly):
 * it does not check the mapping's end, and walks page tables from inside a
 * page.
 */
static int c_safe_mapping(struct mapping *m, uint64_t addr, uint64_t pages, int resource)
{
	if (!c_safe)
		return 1;
	if (!m || m->kind != K_DEV || addr != (uintptr_t)m->addr)
		return 0;
	if (pages > m->len / PAGE || pages > 16)
		return 0;
	/*
	 * In an auto-translated dom0, it fills a mapping that holds pages
	 * already (BUG_ON in alloc_empty_pages, seed 1 of this fuzzer over
	 * it): one mapping ioctl per mapping.
	 */
	if (!pv) {
		if (m->tried)
			return 0;
		m->tried = 1;
	}
	return !resource || pv || pages == m->len / PAGE;
}

static void op_mmap_ioctl(void)
{
	privcmd_mmap_entry_t ent[4];
	privcmd_mmap_t mm;
	struct mapping *m;
	uint64_t a;
	domid_t own;
	int fd, i, n;

	cur_name = "MMAP";
	fd = restricted_fd(&own);
	if (fd < 0)
		return;
	n = below(5);
	a = map_addr(&m);
	for (i = 0; i < 4; i++) {
		ent[i].va = a + i * PAGE;
		ent[i].mfn = one_in(2) ? BAD_FRAME : boundary_u64();
		ent[i].npages = one_in(2) ? 1 : count();
	}
	if (!c_safe_mapping(m, ent[0].va, ent[0].npages, 0))
		return;
	if (c_safe && n > 1)
		n = 1;
	mm.num = one_in(8) ? (int)boundary_u32() : n;
	if (c_safe)
		mm.num = n;
	mm.dom = domain_for(own);
	mm.entry = one_in(8) && !c_safe ? (void *)(uintptr_t)user_addr() : ent;
	op_begin("MMAP fd %d num %d dom %u va %#llx npages %llu", fd, mm.num,
		 mm.dom, (unsigned long long)ent[0].va,
		 (unsigned long long)ent[0].npages);
	do_ioctl(I_MMAP, fd, IOCTL_PRIVCMD_MMAP, STRUCT_ADDR(&mm));
}

static void op_mmapbatch(int v2)
{
	privcmd_mmapbatch_v2_t b2;
	privcmd_mmapbatch_t b1;
	struct mapping *m;
	uint64_t a, num;
	domid_t own;
	int fd;

	cur_name = v2 ? "MMAPBATCH_V2" : "MMAPBATCH";
	fd = restricted_fd(&own);
	if (fd < 0)
		return;
	a = map_addr(&m);
	num = one_in(2) && m ? m->len / PAGE : count();
	if (!c_safe_mapping(m, a, num, 0))
		return;
	/* Over the C driver: the whole mapping (it checks that itself). */
	fill_frames(num < ARR_ENTRIES ? num : ARR_ENTRIES);
	if (v2) {
		b2.num = num;
		b2.dom = domain_for(own);
		b2.addr = a;
		b2.arr = (void *)(uintptr_t)arr_addr();
		b2.err = one_in(8) ? (void *)(uintptr_t)user_addr() : errs;
		op_begin("MMAPBATCH_V2 fd %d num %u dom %u addr %#llx", fd,
			 b2.num, b2.dom, (unsigned long long)b2.addr);
		do_ioctl(I_MMAPBATCH_V2, fd, IOCTL_PRIVCMD_MMAPBATCH_V2, STRUCT_ADDR(&b2));
	} else {
		b1.num = num;
		b1.dom = domain_for(own);
		b1.addr = a;
		b1.arr = (void *)(uintptr_t)arr_addr();
		op_begin("MMAPBATCH fd %d num %d dom %u addr %#llx", fd,
			 b1.num, b1.dom, (unsigned long long)b1.addr);
		do_ioctl(I_MMAPBATCH, fd, IOCTL_PRIVCMD_MMAPBATCH, STRUCT_ADDR(&b1));
	}
}

static void op_mmap_resource(void)
{
	privcmd_mmap_resource_t r;
	struct mapping *m;
	domid_t own;
	int fd;

	cur_name = "MMAP_RESOURCE";
	fd = restricted_fd(&own);
	if (fd < 0)
		return;
	r.dom = domain_for(own);
	r.type = one_in(4) ? boundary_u32() : below(4);
	r.id = one_in(4) ? boundary_u32() : below(2);
	r.idx = one_in(4) ? boundary_u32() : below(2);
	r.addr = map_addr(&m);
	r.num = one_in(2) && m ? m->len / PAGE : count();
	if (one_in(16)) {
		/* A query of the resource's size. */
		r.addr = 0;
		r.num = 0;
	} else if (!c_safe_mapping(m, r.addr, r.num, 1)) {
		return;
	}
	op_begin("MMAP_RESOURCE fd %d dom %u type %u id %u idx %u num %llu addr %#llx",
		 fd, r.dom, r.type, r.id, r.idx, (unsigned long long)r.num,
		 (unsigned long long)r.addr);
	do_ioctl(I_MMAP_RESOURCE, fd, IOCTL_PRIVCMD_MMAP_RESOURCE, STRUCT_ADDR(&r));
}

static void op_dm_op(void)
{
	privcmd_dm_op_buf_t bufs[18];
	privcmd_dm_op_t op;
	domid_t own;
	int fd, i;

	cur_name = "DM_OP";
	fd = restricted_fd(&own);
	if (fd < 0)
		return;
	fill_random(buf, 2 * PAGE);
	if (one_in(2))
		((struct xen_dm_op *)buf)->op = below(40);
	for (i = 0; i < 18; i++) {
		bufs[i].uptr = one_in(8) ? (void *)(uintptr_t)user_addr() : buf + below(4) * 64;
		bufs[i].size = one_in(4) ? boundary_u64() : below(sizeof(struct xen_dm_op) + 8);
	}
	/* The C driver overflows its page array with an empty buffer at a page start. */
	for (i = 0; i < 18 && c_safe; i++)
		if (!bufs[i].size && !((uintptr_t)bufs[i].uptr & (PAGE - 1)))
			bufs[i].size = 1;
	op.dom = domain_for(own);
	op.num = one_in(4) ? (uint16_t)boundary_u32() : below(18);
	op.ubufs = one_in(8) ? (void *)(uintptr_t)user_addr() : bufs;
	op_begin("DM_OP fd %d dom %u num %u op %u size %zu", fd, op.dom, op.num,
		 ((struct xen_dm_op *)buf)->op, bufs[0].size);
	if (verbose && op.ubufs != bufs)
		printf(" ubufs %p", op.ubufs);
	for (i = 0; verbose && op.ubufs == bufs && i < op.num && i < 18; i++)
		printf("%s%p+%#zx", i ? " " : " bufs ", bufs[i].uptr, bufs[i].size);
	do_ioctl(I_DM_OP, fd, IOCTL_PRIVCMD_DM_OP, STRUCT_ADDR(&op));
}

static void op_irqfd(void)
{
	struct privcmd_irqfd r = { 0 };
	domid_t own;
	int fd;

	cur_name = "IRQFD";
	fd = restricted_fd(&own);
	if (fd < 0)
		return;
	fill_random(buf + 8 * PAGE, sizeof(struct xen_dm_op));
	((struct xen_dm_op *)(buf + 8 * PAGE))->op = one_in(2) ?
		XEN_DMOP_set_isa_irq_level : below(40);
	r.dm_op = one_in(8) ? user_addr() : (uintptr_t)buf + 8 * PAGE;
	r.size = one_in(4) ? boundary_u32() : sizeof(struct xen_dm_op);
	/* The C driver's allocation of a large operation warns. */
	if (c_safe && r.size > PAGE)
		r.size = PAGE;
	r.fd = one_in(8) ? (uint32_t)any_fd() : (uint32_t)efd[below(NEFDS)];
	r.flags = one_in(8) ? boundary_u32() : one_in(3) ? PRIVCMD_IRQFD_FLAG_DEASSIGN : 0;
	r.dom = domain_for(own);
	op_begin("IRQFD fd %d efd %d dom %u size %u flags %#x", fd, (int)r.fd,
		 r.dom, r.size, r.flags);
	do_ioctl(I_IRQFD, fd, IOCTL_PRIVCMD_IRQFD, STRUCT_ADDR(&r));
}

static void op_ioeventfd(void)
{
	static const uint32_t port_values[] = {
		0, 4095, 4096, 1U << 17, UINT32_MAX, 0x7fffffff,
	};
	static const uint32_t lens[] = { 0, 1, 2, 3, 4, 8, 16, UINT32_MAX };
	static const uint32_t vcpus[] = { 0, 1, 2, 129, 4096, 4097, UINT32_MAX };
	struct privcmd_ioeventfd r = { 0 };
	uint32_t *ports = (uint32_t *)(buf + 12 * PAGE);
	struct mapping *m;
	domid_t own;
	int fd, i;

	cur_name = "IOEVENTFD";
	fd = restricted_fd(&own);
	if (fd < 0)
		return;
	/*
	 * Ports that no channel of dom0 can be on (0, beyond the 2-level
	 * limit) or that Xen has closed (4095): never one of dom0's own.
	 */
	for (i = 0; i < 1024; i++)
		ports[i] = one_in(4) ? (uint32_t)rnd() | (1U << 17) : PICK(port_values);
	r.ioreq = map_addr(&m);
	r.ports = one_in(8) ? user_addr() : (uintptr_t)ports;
	r.addr = one_in(2) ? 0x10000 : boundary_u64();
	r.addr_len = PICK(lens);
	r.event_fd = one_in(8) ? (uint32_t)any_fd() : (uint32_t)efd[below(NEFDS)];
	r.vcpus = one_in(2) ? 1 : PICK(vcpus);
	r.vq = one_in(2) ? below(4) : boundary_u32();
	r.flags = one_in(8) ? boundary_u32() : one_in(3) ? PRIVCMD_IOEVENTFD_FLAG_DEASSIGN : 0;
	r.dom = domain_for(own);
	/*
	 * The C driver takes any VMA's private data at the address for its
	 * request pages, and binds ports that no channel is on: over it, an
	 * assignment must fail before, on its width or vCPU count.
	 */
	if (c_safe && !(r.flags & ~PRIVCMD_IOEVENTFD_FLAG_DEASSIGN) && r.dom == own &&
	    !(r.flags & PRIVCMD_IOEVENTFD_FLAG_DEASSIGN)) {
		if (one_in(2))
			r.addr_len = 3;
		else
			r.vcpus = one_in(2) ? 0 : 4097;
	}
	op_begin("IOEVENTFD fd %d efd %d dom %u ioreq %#llx len %u vcpus %u flags %#x",
		 fd, (int)r.event_fd, r.dom, (unsigned long long)r.ioreq,
		 r.addr_len, r.vcpus, r.flags);
	do_ioctl(I_IOEVENTFD, fd, IOCTL_PRIVCMD_IOEVENTFD, STRUCT_ADDR(&r));
}

static void op_pcidev(void)
{
	struct privcmd_pcidev_get_gsi g = { 0 };
	int fd = pfd[below(NFDS)].fd;

	cur_name = "PCIDEV_GET_GSI";
	g.sbdf = one_in(2) ? boundary_u32() : (uint32_t)below(1 << 16);
	op_begin("PCIDEV_GET_GSI fd %d sbdf %#x", fd, g.sbdf);
	do_ioctl(I_PCIDEV_GET_GSI, fd, IOCTL_PRIVCMD_PCIDEV_GET_GSI, STRUCT_ADDR(&g));
}

static void op_unknown(void)
{
	unsigned long cmd;
	int fd, k;

	cur_name = "unknown ioctl";
	switch (below(4)) {
	case 0:
		cmd = _IOC(below(4), 'P', 11 + below(245), below(1 << 14));
		break;
	case 1:
		/* A known number with another size or direction. */
		cmd = _IOC(below(4), 'P', below(11), below(64));
		if (cmd == IOCTL_PRIVCMD_HYPERCALL || cmd == IOCTL_PRIVCMD_RESTRICT ||
		    cmd == IOCTL_PRIVCMD_MMAP || cmd == IOCTL_PRIVCMD_MMAPBATCH ||
		    cmd == IOCTL_PRIVCMD_MMAPBATCH_V2 || cmd == IOCTL_PRIVCMD_DM_OP ||
		    cmd == IOCTL_PRIVCMD_MMAP_RESOURCE || cmd == IOCTL_PRIVCMD_IRQFD ||
		    cmd == IOCTL_PRIVCMD_IOEVENTFD || cmd == IOCTL_PRIVCMD_PCIDEV_GET_GSI)
			cmd = _IOC(_IOC_NONE, 'P', 0xff, 0);
		break;
	case 2:
		cmd = (uint32_t)rnd();
		if (_IOC_TYPE(cmd) == 'P')
			cmd = _IOC(_IOC_NONE, 'Q', 0, 0);
		break;
	default:
		cmd = IOCTL_PRIVCMD_UNIMPLEMENTED;
		break;
	}
	if (one_in(4)) {
		fd = hfd[below(2)];
		op_begin("ioctl hypercall device fd %d cmd %#lx", fd, cmd);
		do_ioctl(I_HBUF_IOCTL, fd, cmd, bad_addr());
		return;
	}
	k = below(NFDS);
	fd = pfd[k].fd;
	op_begin("ioctl fd %d cmd %#lx", fd, cmd);
	/* On a file that is not restricted, nothing a mistaken match could act on. */
	do_ioctl(I_UNKNOWN, fd, cmd, pfd[k].dom == DOMID_INVALID ? bad_addr() : user_addr());
}

/*
 * An ioctl of the hypercall device with a privcmd number: it has none.
 * Only numbers whose argument the device cannot act on harmfully.
 */
static void op_hbuf_ioctl(void)
{
	static const unsigned long cmds[] = {
		IOCTL_PRIVCMD_HYPERCALL, IOCTL_PRIVCMD_MMAPBATCH_V2,
		IOCTL_PRIVCMD_RESTRICT, IOCTL_PRIVCMD_DM_OP,
	};
	int fd = hfd[below(2)];
	unsigned long cmd = PICK(cmds);

	cur_name = "hypercall-device ioctl";
	op_begin("ioctl hypercall device fd %d cmd %#lx (NULL)", fd, cmd);
	do_ioctl(I_HBUF_IOCTL, fd, cmd, 0);
}

/* ---- the kernel log ---- */

static int kmsg = -1;

static int is_report(const char *line)
{
	static const char *const words[] = {
		"Oops", "BUG:", "WARNING:", "KASAN:", "lockdep", "kmemleak:",
		"UBSAN:", "general protection fault", "blocked for more than",
		"detected stall",
	};
	unsigned int i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strstr(line, words[i]))
			return 1;
	return 0;
}

/*
 * Whether no report shown so far began as this one does (its first 24
 * characters: "WARNING: fs/eventfd.c:17", "BUG: KASAN: slab-out-of"): after the
 * first twenty, only a new kind is shown.
 */
static int first_of_its_kind(const char *text)
{
	static char kinds[64][25];
	static unsigned int nkinds;
	unsigned int i;

	for (i = 0; i < nkinds; i++)
		if (!strncmp(kinds[i], text, 24))
			return 0;
	if (nkinds < 64)
		snprintf(kinds[nkinds++], sizeof(kinds[0]), "%.24s", text);
	return 1;
}

/*
 * The reports logged since the last call, the first few printed as they
 * are read with the operation after which they were (a report from
 * deferred work may come an operation or so late).
 */
static int new_reports(void)
{
	static char rec[8192];
	static int shown;
	int reports = 0;
	ssize_t n;

	if (kmsg < 0)
		return 0;
	for (;;) {
		n = read(kmsg, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* overwritten before it was read */
		if (n <= 0)
			break;
		rec[n] = '\0';
		if (is_report(rec)) {
			const char *text = strchr(rec, ';') ? strchr(rec, ';') + 1 : rec;
			int fresh = first_of_its_kind(text);

			reports++;
			if (shown < 20 || fresh) {
				shown++;
				printf("# kernel, after op %lu (%s): %s", cur_op, cur_name, text);
			}
		}
	}
	fflush(stdout);
	return reports;
}

/* ---- race mode ---- */

/*
 * --race: instead of single operations, rounds.  Each round draws a
 * scenario and its variant from the seed (all random choices are made
 * before the threads start), prepares the state, starts 2 to 4 threads
 * that a barrier releases together (each after a spin of its own drawn
 * length, so that the interleavings vary), joins them, checks that each
 * result is one its operation may give in that race, checks what must
 * hold afterwards, cleans up and reads the kernel log.  The round's
 * alarm catches a hang.
 */
#include <pthread.h>
#include <xen/sys/evtchn.h>

static int race;		/* --race */
static const char *world_name(void);
static int race_unload;		/* scenario 6 may run */
static int evtchn_fd = -1;	/* /dev/xen/evtchn: the backend's ports */

enum race_scenario {
	RS_MAP, RS_MAP_EXIT, RS_IRQFD, RS_IOEVENTFD, RS_RESTRICT, RS_CLOSE,
	RS_UNLOAD, NR_RS,
};

static const char *const rs_names[NR_RS] = {
	"mapping/munmap", "mapping/exit", "irqfd/eventfd", "ioeventfd/munmap",
	"restrict/hypercall", "close/ioctl", "unload/open",
};

enum race_op {
	R_BATCH, R_BATCH_V2, R_RESOURCE, R_MUNMAP, R_MREMAP, R_EXIT,
	R_IRQFD, R_IRQFD_DEASSIGN, R_IOEVENTFD, R_IOEVENTFD_DEASSIGN,
	R_CLOSE, R_EFD_WRITE, R_RESTRICT, R_HYPERCALL, R_UNLOAD,
	R_OPEN, R_OPEN_HYPERCALL, R_OPEN_HBUF, NR_ROPS,
};

static const char *const rop_names[NR_ROPS] = {
	"MMAPBATCH", "MMAPBATCH_V2", "MMAP_RESOURCE", "munmap", "mremap",
	"exit_group", "IRQFD", "IRQFD deassign", "IOEVENTFD",
	"IOEVENTFD deassign", "close", "eventfd write", "RESTRICT",
	"HYPERCALL", "delete_module", "open+close", "open+HYPERCALL+close",
	"open hypercall device",
};

/* Errnos a racer may return: a bit per errno below 63, bit 63 EOPNOTSUPP. */
#define EM(e) (1ULL << (e))
#define EM_OPNOTSUPP (1ULL << 63)
/* A mapping ioctl: its checks, the frames Xen refuses, the stub's ENOSYS. */
#define EM_MAP (EM(EINVAL) | EM(EFAULT) | EM(ENOENT) | EM(ENOMEM) | \
		EM(ENOSYS) | EM(EBUSY) | EM(ESRCH) | EM_OPNOTSUPP)

struct racer {
	enum race_op op;
	int fd;			/* the file it acts on */
	int efd;		/* IRQFD, IOEVENTFD: the eventfd */
	domid_t dom;
	char *addr;		/* mapping or request page */
	size_t len, new_len;	/* munmap, mremap */
	int flags;		/* mremap */
	char *to;		/* mremap's destination */
	unsigned int num;	/* pages for a mapping ioctl */
	unsigned int spin;	/* busy loops after the barrier */
	uint64_t allowed;	/* errnos it may return */
	int idx;
	long ret;		/* >= 0, or -errno */
	char *moved;		/* where mremap put the mapping */
};

#define NRACERS 4
static struct racer racers[NRACERS];
static int nracers;
static pthread_barrier_t race_bar;
static struct xen_dm_op race_dmop;
static uint32_t race_ports[1];

/* What a round prepared, for its checks and its clean-up. */
static struct {
	int fd[2];		/* privcmd files, -1: none */
	int efd, efd_keep;	/* eventfd, and a copy the clean-up keeps */
	char *map;		/* a privcmd mapping */
	size_t map_len;
	char *dest;		/* mremap's destination, reserved */
	size_t dest_len;
	uint32_t port;		/* the backend's port (PVH), 0: none */
	int held;		/* unload: a privcmd file held open */
} rs;

static unsigned long race_round;
static unsigned long race_unexpected;
static unsigned int rop_seen[NR_ROPS][MAX_ERRNO + 1];
static unsigned int rs_count[NR_RS];

static void race_on_alarm(int sig)
{
	char msg[160];
	int n = snprintf(msg, sizeof(msg),
			 "fuzz: race round %lu (%s) did not finish within the alarm: hung\n",
			 race_round, cur_name);

	(void)sig;
	if (write(STDOUT_FILENO, msg, n) < 0)
		_exit(3);
	_exit(3);
}

static void spin(unsigned int n)
{
	while (n--)
		__asm__ __volatile__("pause");
}

static long race_hypercall(int fd)
{
	privcmd_hypercall_t h = { .op = __HYPERVISOR_xen_version, .arg = { XENVER_version } };

	return sys_ret(ioctl(fd, IOCTL_PRIVCMD_HYPERCALL, &h));
}

static long race_irqfd(int fd, int efd, domid_t dom, uint32_t flags)
{
	struct privcmd_irqfd r = {
		.dm_op = (uintptr_t)&race_dmop, .size = sizeof(race_dmop),
		.fd = efd, .flags = flags, .dom = dom,
	};

	return sys_ret(ioctl(fd, IOCTL_PRIVCMD_IRQFD, &r));
}

static long race_ioeventfd(int fd, int efd, char *page, domid_t dom, uint32_t flags)
{
	struct privcmd_ioeventfd r = {
		.ioreq = (uintptr_t)page, .ports = (uintptr_t)race_ports,
		.addr = 0xfe000000ULL, .addr_len = 4, .event_fd = efd,
		.vcpus = 1, .vq = 1, .flags = flags, .dom = dom,
	};

	return sys_ret(ioctl(fd, IOCTL_PRIVCMD_IOEVENTFD, &r));
}

/* The grant table frame of the scratch domain, mapped at page (num frames). */
static long race_resource(int fd, char *page, unsigned int num)
{
	struct privcmd_mmap_resource r = {
		.dom = scratch, .type = XENMEM_resource_grant_table,
		.id = XENMEM_resource_grant_table_id_shared, .idx = 0,
		.num = num, .addr = (uintptr_t)page,
	};

	return sys_ret(ioctl(fd, IOCTL_PRIVCMD_MMAP_RESOURCE, &r));
}

static long open_close(const char *path, int hypercall)
{
	long ret;
	int fd = open(path, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	ret = hypercall ? race_hypercall(fd) : 0;
	close(fd);
	return ret;
}

static long run_racer(struct racer *r)
{
	uint64_t one = 1;
	long ret;

	switch (r->op) {
	case R_BATCH: {
		privcmd_mmapbatch_t b = {
			.num = r->num, .dom = r->dom, .addr = (uintptr_t)r->addr,
			.arr = arr + 64 * r->idx,
		};

		return sys_ret(ioctl(r->fd, IOCTL_PRIVCMD_MMAPBATCH, &b));
	}
	case R_BATCH_V2: {
		privcmd_mmapbatch_v2_t b = {
			.num = r->num, .dom = r->dom, .addr = (uintptr_t)r->addr,
			.arr = arr + 64 * r->idx, .err = errs + 64 * r->idx,
		};

		return sys_ret(ioctl(r->fd, IOCTL_PRIVCMD_MMAPBATCH_V2, &b));
	}
	case R_RESOURCE:
		return race_resource(r->fd, r->addr, r->num);
	case R_MUNMAP:
		return sys_ret(munmap(r->addr, r->len));
	case R_MREMAP:
		r->moved = mremap(r->addr, r->len, r->new_len, r->flags, r->to);
		if (r->moved == MAP_FAILED) {
			r->moved = NULL;
			return -errno;
		}
		return 0;
	case R_EXIT:
		syscall(SYS_exit_group, 0);
		return 0;
	case R_IRQFD:
		return race_irqfd(r->fd, r->efd, r->dom, 0);
	case R_IRQFD_DEASSIGN:
		return race_irqfd(r->fd, r->efd, r->dom, PRIVCMD_IRQFD_FLAG_DEASSIGN);
	case R_IOEVENTFD:
		return race_ioeventfd(r->fd, r->efd, r->addr, r->dom, 0);
	case R_IOEVENTFD_DEASSIGN:
		return race_ioeventfd(r->fd, r->efd, r->addr, r->dom,
				      PRIVCMD_IOEVENTFD_FLAG_DEASSIGN);
	case R_CLOSE:
		return sys_ret(close(r->fd));
	case R_EFD_WRITE:
		ret = sys_ret(write(r->fd, &one, sizeof(one)));
		return ret < 0 ? ret : 0;
	case R_RESTRICT:
		return sys_ret(ioctl(r->fd, IOCTL_PRIVCMD_RESTRICT, &r->dom));
	case R_HYPERCALL:
		ret = race_hypercall(r->fd);
		return ret < 0 ? ret : 0;
	case R_UNLOAD:
		return sys_ret(syscall(SYS_delete_module, "rust_privcmd", O_NONBLOCK));
	case R_OPEN:
		return open_close(PRIVCMD_PATH, 0);
	case R_OPEN_HYPERCALL:
		ret = open_close(PRIVCMD_PATH, 1);
		return ret < 0 ? ret : 0;
	case R_OPEN_HBUF:
		return open_close(HYPERCALL_BUF_PATH, 0);
	default:
		return -ENOTTY;
	}
}

static struct racer *add_racer(enum race_op op, int fd, uint64_t allowed)
{
	struct racer *r = &racers[nracers];

	memset(r, 0, sizeof(*r));
	r->op = op;
	r->fd = fd;
	r->efd = -1;
	r->dom = scratch;
	r->allowed = allowed;
	r->idx = nracers++;
	r->spin = one_in(2) ? 0 : below(4000);
	return r;
}

static int has_racer(enum race_op op)
{
	int i;

	for (i = 0; i < nracers; i++)
		if (racers[i].op == op)
			return 1;
	return 0;
}

static int errno_allowed(uint64_t allowed, long ret)
{
	if (ret >= 0)
		return 1;
	if (-ret == EOPNOTSUPP)
		return !!(allowed & EM_OPNOTSUPP);
	return -ret < 63 && (allowed >> -ret) & 1;
}

static const char *errname(long ret)
{
	return ret >= 0 ? "ok" : strerrorname_np(-ret) ?: "?";
}

/* A check of the round's: printed and counted when it fails. */
static void race_check(int ok, const char *fmt, ...)
{
	va_list ap;

	if (ok)
		return;
	if (race_unexpected++ >= 100)
		return;
	printf("# race round %lu (%s): ", race_round, cur_name);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}

static int open_privcmd(int restrict_it)
{
	domid_t d = scratch;
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);

	race_check(fd >= 0, "open: %s", errname(-errno));
	if (fd >= 0 && restrict_it)
		race_check(!ioctl(fd, IOCTL_PRIVCMD_RESTRICT, &d), "RESTRICT: %s",
			   errname(-errno));
	return fd;
}

static char *map_pages(int fd, size_t pages)
{
	char *p = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);

	race_check(p != MAP_FAILED, "mmap of %zu pages: %s", pages, errname(-errno));
	return p == MAP_FAILED ? NULL : p;
}

/* Frames for a mapping ioctl: the scratch domain's first (it has none). */
static void race_frames(int idx, unsigned int num)
{
	unsigned int i;

	for (i = 0; i < num && i < 64; i++)
		arr[64 * idx + i] = i;
}

/*
 * A mapping ioctl into rs.map (pages long) through fd.  Over the C driver
 * only what its holes leave safe: the whole mapping from its start, and
 * in an auto-translated dom0 a resource that fills it.
 */
static void add_map_ioctl(int kind, int fd, unsigned int pages)
{
	static const enum race_op ops[] = { R_BATCH, R_BATCH_V2, R_RESOURCE };
	struct racer *r = add_racer(ops[kind], fd, EM_MAP);

	r->addr = rs.map;
	if (ops[kind] == R_RESOURCE)
		r->num = c_drv && !pv ? pages : !c_drv && one_in(4) ? pages : 1;
	else
		r->num = !c_drv && one_in(4) ? below(pages) + 1 : pages;
	race_frames(r->idx, r->num);
}

/* Scenario 1: mapping ioctls against munmap and mremap. */
static void build_map(void)
{
	int several = one_in(2), kind = below(3), mem, i;
	/* Over C in an auto-translated dom0: one ioctl, no split, no move. */
	int cpvh = c_drv && !pv;
	unsigned int pages = below(4) + 1;
	int whole_only, no_mremap;

	if (kind == 2 && c_drv && !pv)
		pages = 1;
	rs.fd[0] = open_privcmd(1);
	if (several)
		rs.fd[1] = open_privcmd(1);
	rs.map = map_pages(rs.fd[0], pages);
	rs.map_len = pages * PAGE;
	if (!rs.map)
		return;
	add_map_ioctl(kind, several && one_in(2) ? rs.fd[1] : rs.fd[0], pages);
	/* Two ioctls into one mapping, on two files. */
	if (several && !cpvh && one_in(2))
		add_map_ioctl(below(3), rs.fd[1], pages);
	/*
	 * The C driver's MMAP_RESOURCE does not check the mapping's end, nor
	 * that it starts there: never after a partial unmap or a move.
	 */
	whole_only = cpvh || (c_drv && has_racer(R_RESOURCE));
	no_mremap = whole_only;
	mem = 1 + (nracers < 2 ? below(2) : 0) + (nracers < 3 ? below(2) : 0);
	if (nracers + mem > NRACERS)
		mem = NRACERS - nracers;
	if (nracers + mem < 2)
		mem = 2 - nracers;
	for (i = 0; i < mem; i++) {
		struct racer *r;

		if (!no_mremap && one_in(3)) {
			r = add_racer(R_MREMAP, -1, EM(EINVAL) | EM(EFAULT) | EM(ENOMEM));
			r->addr = rs.map;
			r->len = rs.map_len;
			switch (below(3)) {
			case 0:
				r->new_len = pages > 1 ? rs.map_len - PAGE : rs.map_len;
				r->flags = MREMAP_MAYMOVE;
				break;
			case 1:
				r->new_len = rs.map_len + PAGE;
				r->flags = MREMAP_MAYMOVE;
				break;
			default:
				/* Onto a reservation of its own. */
				if (!rs.dest) {
					rs.dest_len = rs.map_len;
					rs.dest = mmap(NULL, rs.dest_len, PROT_NONE,
						       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
					if (rs.dest == MAP_FAILED)
						rs.dest = NULL;
				}
				r->new_len = rs.map_len;
				r->flags = MREMAP_MAYMOVE | (rs.dest ? MREMAP_FIXED : 0);
				r->to = rs.dest;
				break;
			}
			continue;
		}
		r = add_racer(R_MUNMAP, -1, EM(EINVAL));
		r->addr = rs.map;
		r->len = rs.map_len;
		if (!whole_only && pages > 1) {
			switch (below(4)) {
			case 0:
				r->len = PAGE;
				break;
			case 1:
				r->addr = rs.map + rs.map_len - PAGE;
				r->len = PAGE;
				break;
			case 2:
				r->addr = rs.map + PAGE;
				r->len = PAGE;
				break;
			default:
				break;
			}
		}
	}
}

static void *racer_main(void *arg)
{
	struct racer *r = arg;

	pthread_barrier_wait(&race_bar);
	spin(r->spin);
	r->ret = run_racer(r);
	return NULL;
}

/*
 * Scenario 1 with exit, in a forked child: it maps, and one of its
 * threads does the ioctl while the other calls exit_group.
 */
static void race_child(int io_in_main)
{
	struct racer *io = &racers[0], *ex = &racers[1];
	pthread_t t;

	io->addr = mmap(NULL, io->len, PROT_READ | PROT_WRITE, MAP_SHARED, io->fd, 0);
	if (io->addr == MAP_FAILED)
		_exit(2);
	pthread_barrier_init(&race_bar, NULL, 2);
	if (pthread_create(&t, NULL, racer_main, io_in_main ? ex : io))
		_exit(2);
	pthread_barrier_wait(&race_bar);
	if (io_in_main) {
		spin(io->spin);
		run_racer(io);
		for (;;)
			pause();
	}
	spin(ex->spin);
	syscall(SYS_exit_group, 0);
	_exit(0);
}

static void build_map_exit(void)
{
	unsigned int pages = below(4) + 1;
	int kind = below(3);
	struct racer *r;

	if (kind == 2 && c_drv && !pv)
		pages = 1;
	rs.fd[0] = open_privcmd(1);
	add_map_ioctl(kind, rs.fd[0], pages);
	racers[0].len = pages * PAGE;
	r = add_racer(R_EXIT, -1, 0);
	/* flags: the ioctl runs in the child's main thread. */
	r->flags = one_in(2);
}

/* Scenario 2: IRQFD assign and deassign against close and write of its eventfd. */
static void build_irqfd(void)
{
	int several = one_in(2), n = 2 + below(3), closing = 0, i;
	uint64_t bad;
	struct racer *r;

	rs.fd[0] = open_privcmd(1);
	if (several)
		rs.fd[1] = open_privcmd(1);
	rs.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (one_in(2)) {
		long ret = race_irqfd(rs.fd[0], rs.efd, scratch, 0);

		race_check(!ret, "IRQFD before: %s", errname(ret));
	}
	/* An IRQFD, then the eventfd's close or write, then any of them. */
	for (i = 0; i < n; i++) {
		int what = i == 0 ? below(2) : i == 1 ? 2 + below(2) : below(4);
		int fd = several && one_in(2) ? rs.fd[1] : rs.fd[0];

		if (what == 2 && closing)
			what = 3;
		switch (what) {
		case 0:
			r = add_racer(R_IRQFD, fd, EM(EBUSY));
			r->efd = rs.efd;
			break;
		case 1:
			r = add_racer(R_IRQFD_DEASSIGN, fd, 0);
			r->efd = rs.efd;
			break;
		case 2:
			add_racer(R_CLOSE, rs.efd, 0);
			closing = 1;
			break;
		default:
			add_racer(R_EFD_WRITE, rs.efd, 0);
			break;
		}
	}
	/*
	 * Known, Linux's C driver (seed 1 of the race mode over it, PV dom0):
	 * a deassign and the eventfd's close each end the irqfd, and its
	 * shutdown work runs twice: a general protection fault on the list
	 * poison in eventfd_ctx_remove_wait_queue, with the eventfd's lock
	 * held.  Over it, a round has one or the other unless --known.
	 */
	if (c_drv && !known && closing)
		for (i = 0; i < nracers; i++)
			if (racers[i].op == R_IRQFD_DEASSIGN) {
				racers[i].op = R_IRQFD;
				racers[i].allowed |= EM(EBUSY);
			}
	/*
	 * Known, Linux's C driver (seed 1 of the race mode over it, sanitized
	 * PVH dom0): an assignment that finds the eventfd signalled reads it
	 * without its lock (WARNING at fs/eventfd.c:178 in eventfd_ctx_do_read
	 * from irqfd_inject, the count's update racing the writer's).  Over
	 * it, a round with an assignment has no write, and the check after
	 * drains the eventfd before it assigns, unless --known.
	 */
	if (c_drv && !known && has_racer(R_IRQFD))
		for (i = 0; i < nracers; i++)
			if (racers[i].op == R_EFD_WRITE) {
				racers[i].op = R_IRQFD;
				racers[i].fd = rs.fd[0];
				racers[i].efd = rs.efd;
				racers[i].allowed |= EM(EBUSY);
			}
	/* Once the eventfd may be closed, its number may be too. */
	bad = closing ? EM(EBADF) : 0;
	for (i = 0; i < nracers; i++)
		racers[i].allowed |= racers[i].op == R_CLOSE ? 0 : bad;
}

/* After scenario 2: an eventfd still open is assigned to nothing, or once. */
static void check_irqfd(void)
{
	uint64_t count;
	long ret;

	if (has_racer(R_CLOSE)) {
		rs.efd = -1;
		return;
	}
	ret = race_irqfd(rs.fd[0], rs.efd, scratch, PRIVCMD_IRQFD_FLAG_DEASSIGN);
	race_check(!ret, "IRQFD deassign after: %s", errname(ret));
	/* Over the C driver, never assigned while signalled (see build_irqfd()). */
	if (c_drv && !known && read(rs.efd, &count, sizeof(count)) < 0)
		count = 0;
	ret = race_irqfd(rs.fd[0], rs.efd, scratch, 0);
	race_check(!ret, "IRQFD after: %s", errname(ret));
	ret = race_irqfd(rs.fd[0], rs.efd, scratch, PRIVCMD_IRQFD_FLAG_DEASSIGN);
	race_check(!ret, "IRQFD deassign after that: %s", errname(ret));
}

/*
 * Whether an IOEVENTFD assignment can succeed: our driver in an
 * auto-translated dom0, with the scratch domain's grant table frame as
 * the request page and a backend's port to join.
 */
static int ioeventfd_works(void)
{
	return !c_drv && !stub && !pv && evtchn_fd >= 0;
}

/* Scenario 3: IOEVENTFD assign and deassign against munmap and eventfd close. */
static void build_ioeventfd(void)
{
	struct ioctl_evtchn_bind_unbound_port bind = { .remote_domain = 0 };
	int several = one_in(2), n = 2 + below(3), closing = 0, unmapping = 0, i;
	struct racer *r;
	long ret;

	rs.fd[0] = open_privcmd(1);
	if (several)
		rs.fd[1] = open_privcmd(1);
	rs.map = map_pages(rs.fd[0], 1);
	rs.map_len = PAGE;
	if (!rs.map)
		return;
	if (!stub)
		race_resource(rs.fd[0], rs.map, 1);
	rs.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	rs.efd_keep = dup(rs.efd);
	race_ports[0] = 0;
	if (evtchn_fd >= 0) {
		ret = ioctl(evtchn_fd, IOCTL_EVTCHN_BIND_UNBOUND_PORT, &bind);
		if (ret > 0)
			race_ports[0] = rs.port = ret;
	}
	if (ioeventfd_works() && one_in(2)) {
		ret = race_ioeventfd(rs.fd[0], rs.efd, rs.map, scratch, 0);
		race_check(!ret, "IOEVENTFD before: %s", errname(ret));
	}
	for (i = 0; i < n; i++) {
		int what = i == 0 ? below(2) : i == 1 ? 2 + below(2) : below(4);
		int fd = several && one_in(2) ? rs.fd[1] : rs.fd[0];

		if (what == 2 && closing)
			what = 3;
		if (what == 3 && unmapping)
			what = below(2);
		switch (what) {
		case 0:
			r = add_racer(R_IOEVENTFD, fd, EM(EBUSY) | EM(EFAULT));
			r->efd = rs.efd;
			r->addr = rs.map;
			break;
		case 1:
			r = add_racer(R_IOEVENTFD_DEASSIGN, fd, EM(ENODEV));
			r->efd = rs.efd;
			r->addr = rs.map;
			break;
		case 2:
			add_racer(R_CLOSE, rs.efd, 0);
			closing = 1;
			break;
		default:
			r = add_racer(R_MUNMAP, -1, 0);
			r->addr = rs.map;
			r->len = PAGE;
			unmapping = 1;
			break;
		}
	}
	for (i = 0; i < nracers; i++)
		if (closing && racers[i].op != R_CLOSE)
			racers[i].allowed |= EM(EBADF);
}

/* After scenario 3: what is assigned goes with one deassign, through the copy. */
static void check_ioeventfd(void)
{
	long ret;

	if (has_racer(R_CLOSE))
		rs.efd = -1;
	ret = race_ioeventfd(rs.fd[0], rs.efd_keep, rs.map, scratch,
			     PRIVCMD_IOEVENTFD_FLAG_DEASSIGN);
	race_check(!ret || ret == -ENODEV, "IOEVENTFD deassign after: %s", errname(ret));
	ret = race_ioeventfd(rs.fd[0], rs.efd_keep, rs.map, scratch,
			     PRIVCMD_IOEVENTFD_FLAG_DEASSIGN);
	race_check(ret == -ENODEV, "IOEVENTFD deassigned twice: %s", errname(ret));
}

/* Scenario 4: RESTRICT against HYPERCALL on the same file (and another). */
static void build_restrict(void)
{
	int several = one_in(2), n = 1 + below(3), i;
	struct racer *r;

	rs.fd[0] = open_privcmd(0);
	if (several)
		rs.fd[1] = open_privcmd(0);
	add_racer(R_RESTRICT, rs.fd[0], 0);
	for (i = 0; i < n; i++) {
		switch (below(3)) {
		case 0:
			if (!has_racer(R_RESTRICT) || racers[0].dom != scratch)
				break;
			/* Another domain: one of the two is EINVAL. */
			r = add_racer(R_RESTRICT, rs.fd[0], EM(EINVAL));
			if (one_in(2))
				r->dom = UNUSED_DOMAIN + 1;
			racers[0].allowed |= EM(EINVAL);
			continue;
		case 1:
			if (several) {
				add_racer(R_HYPERCALL, rs.fd[1], 0);
				continue;
			}
			break;
		default:
			break;
		}
		add_racer(R_HYPERCALL, rs.fd[0], EM(EPERM));
	}
}

static void check_restrict(void)
{
	int i, won = 0;
	long ret;

	for (i = 0; i < nracers; i++)
		if (racers[i].op == R_RESTRICT && !racers[i].ret)
			won |= racers[i].dom == scratch ? 1 : 2;
	race_check(won == 1 || won == 2, "RESTRICT: %s", won ? "both domains won" : "none won");
	ret = race_hypercall(rs.fd[0]);
	race_check(ret == -EPERM, "HYPERCALL on the restricted file after: %s", errname(ret));
	if (rs.fd[1] >= 0) {
		ret = race_hypercall(rs.fd[1]);
		race_check(ret >= 0, "HYPERCALL on the other file after: %s", errname(ret));
	}
}

/* Scenario 5: close of a privcmd file against an ioctl on it (a dup). */
static void build_close(void)
{
	int restricted = one_in(2), n = 1 + below(2), i, map_ioctl = 0;
	unsigned int pages = below(4) + 1;
	struct racer *r;

	rs.fd[0] = open_privcmd(restricted);
	rs.fd[1] = rs.fd[0] >= 0 ? dup(rs.fd[0]) : -1;
	if (restricted && one_in(2)) {
		rs.map = map_pages(rs.fd[0], pages);
		rs.map_len = pages * PAGE;
	}
	rs.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	add_racer(R_CLOSE, rs.fd[0], 0);
	for (i = 0; i < n; i++) {
		/* The closed number (EBADF then), or its copy. */
		int on_closed = one_in(2);
		int fd = on_closed ? rs.fd[0] : rs.fd[1];
		uint64_t bad = on_closed ? EM(EBADF) : 0;

		if (!restricted) {
			add_racer(R_HYPERCALL, fd, bad);
			continue;
		}
		switch (below(4)) {
		case 0:
			if (rs.map && !map_ioctl) {
				r = add_racer(R_BATCH_V2, fd, EM_MAP | bad);
				r->addr = rs.map;
				r->num = pages;
				race_frames(r->idx, pages);
				map_ioctl = 1;
				break;
			}
			/* fall through */
		case 1:
			r = add_racer(R_IRQFD, fd, EM(EBUSY) | bad);
			r->efd = rs.efd;
			break;
		case 2:
			r = add_racer(R_RESTRICT, fd, bad);
			break;
		default:
			add_racer(R_HYPERCALL, fd, EM(EPERM) | bad);
			break;
		}
	}
	/* Sometimes the copy is closed too: the file's last reference goes in a racer. */
	if (nracers < NRACERS && one_in(2)) {
		add_racer(R_CLOSE, rs.fd[1], 0);
		for (i = 1; i < nracers - 1; i++)
			racers[i].allowed |= EM(EBADF);
	}
}

static void check_close(void)
{
	int i;

	for (i = 0; i < nracers; i++)
		if (racers[i].op == R_CLOSE)
			rs.fd[racers[i].fd == rs.fd[0] ? 0 : 1] = -1;
}

/*
 * Scenario 6: module unload against open files, where the harness's guest
 * keeps the module to load again: the stub world, our driver.
 */
static void build_unload(void)
{
	int n = 1 + below(3), i;

	rs.held = one_in(4);
	if (rs.held)
		rs.fd[0] = open_privcmd(0);
	if (one_in(2)) {
		/* An irqfd that outlives its file: the unload ends it. */
		int fd = open_privcmd(0);

		rs.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (fd >= 0) {
			long ret = race_irqfd(fd, rs.efd, UNUSED_DOMAIN, 0);

			race_check(!ret, "IRQFD before the unload: %s", errname(ret));
			close(fd);
		}
	}
	add_racer(R_UNLOAD, -1, EM(EAGAIN) | EM(EBUSY));
	for (i = 0; i < n; i++) {
		switch (below(4)) {
		case 0:
			add_racer(R_OPEN, -1, EM(ENOENT) | EM(ENODEV) | EM(ENXIO));
			break;
		case 1:
			add_racer(R_OPEN_HBUF, -1, EM(ENOENT) | EM(ENODEV) | EM(ENXIO));
			break;
		case 2:
			if (rs.efd >= 0) {
				add_racer(R_EFD_WRITE, rs.efd, 0);
				break;
			}
			/* fall through */
		default:
			add_racer(R_OPEN_HYPERCALL, -1, EM(ENOENT) | EM(ENODEV) | EM(ENXIO));
			break;
		}
	}
}

/* After scenario 6: the module stayed, or went and loads again. */
static void check_unload(void)
{
	int loaded = module_loaded("rust_privcmd");
	long ret = racers[0].ret;

	race_check(!rs.held || ret, "unloaded while a file was open");
	race_check(!ret == !loaded, "delete_module %s, but the module is %s",
		   errname(ret), loaded ? "loaded" : "gone");
	if (!loaded) {
		ret = load_module("rust_privcmd", "") ? -errno : 0;
		race_check(!ret, "loading the module again: %s", errname(ret));
	}
	ret = open_close(PRIVCMD_PATH, 1);
	race_check(ret >= 0, "a hypercall after the round: %s", errname(ret));
}

static void race_cleanup(void)
{
	struct ioctl_evtchn_unbind unbind = { .port = rs.port };
	int i;

	for (i = 0; i < nracers; i++)
		if (racers[i].op == R_MREMAP && racers[i].moved)
			munmap(racers[i].moved, racers[i].new_len);
	if (rs.map)
		munmap(rs.map, rs.map_len);
	if (rs.dest)
		munmap(rs.dest, rs.dest_len);
	for (i = 0; i < 2; i++)
		if (rs.fd[i] >= 0)
			close(rs.fd[i]);
	if (rs.efd >= 0)
		close(rs.efd);
	if (rs.efd_keep >= 0)
		close(rs.efd_keep);
	if (rs.port)
		ioctl(evtchn_fd, IOCTL_EVTCHN_UNBIND, &unbind);
}

static void describe_round(enum race_scenario sc)
{
	int i;

	printf("round %lu: %s:", race_round, rs_names[sc]);
	for (i = 0; i < nracers; i++) {
		struct racer *r = &racers[i];

		printf(" [%s fd %d", rop_names[r->op], r->fd);
		if (r->efd >= 0)
			printf(" efd %d", r->efd);
		if (r->addr)
			printf(" at %p", r->addr);
		if (r->len)
			printf(" len %#zx", r->len);
		if (r->op == R_MREMAP)
			printf(" -> %#zx flags %#x to %p", r->new_len, r->flags, r->to);
		if (r->num)
			printf(" num %u", r->num);
		if (r->op == R_RESTRICT || r->op == R_IRQFD || r->op == R_IOEVENTFD)
			printf(" dom %u", r->dom);
		printf(" spin %u]", r->spin);
	}
	printf("\n");
	fflush(stdout);
}

/* Runs the racers; scenario 1 with exit in a forked child. */
static void run_racers(enum race_scenario sc)
{
	pthread_t t[NRACERS];
	int i, status;
	pid_t pid;

	if (sc == RS_MAP_EXIT) {
		pid = fork();
		if (pid == 0) {
			alarm(0);
			race_child(racers[1].flags);
		}
		race_check(pid > 0, "fork: %s", errname(-errno));
		if (pid <= 0)
			return;
		race_check(waitpid(pid, &status, 0) == pid, "waitpid: %s", errname(-errno));
		/* The ioctl's result is not seen; the child's end is. */
		racers[0].ret = 0;
		racers[1].ret = WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -EIO;
		race_check(WIFEXITED(status) && !WEXITSTATUS(status),
			   "the child ended with %s %d", WIFSIGNALED(status) ? "signal" : "status",
			   WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return;
	}
	pthread_barrier_init(&race_bar, NULL, nracers);
	for (i = 0; i < nracers; i++)
		if (pthread_create(&t[i], NULL, racer_main, &racers[i])) {
			perror("fuzz: pthread_create");
			exit(2);
		}
	for (i = 0; i < nracers; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&race_bar);
}

static void reached_race(enum race_op op, long ret)
{
	int e = ret >= 0 ? MAX_ERRNO : (int)(-ret < MAX_ERRNO ? -ret : MAX_ERRNO - 1);

	rop_seen[op][e]++;
}

/*
 * Over the C driver, no IOEVENTFD: its assignment trusts the request
 * pages' address and binds ports as their first binding.  Module unload
 * only where the harness's guest keeps our module to load again.
 */
static int race_scenario_allowed(int sc)
{
	if (sc == RS_IOEVENTFD)
		return !c_drv;
	if (sc == RS_UNLOAD)
		return race_unload;
	return 1;
}

static enum race_scenario pick_scenario(void)
{
	static const int weight[NR_RS] = { 5, 2, 4, 3, 3, 4, 3 };
	int total = 0, i, r;

	for (i = 0; i < NR_RS; i++)
		total += race_scenario_allowed(i) ? weight[i] : 0;
	r = below(total);
	for (i = 0; i < NR_RS; i++) {
		if (!race_scenario_allowed(i))
			continue;
		if (r < weight[i])
			break;
		r -= weight[i];
	}
	return i;
}

static void race_one(unsigned int alarm_s)
{
	enum race_scenario sc = pick_scenario();
	int i;

	memset(&rs, 0, sizeof(rs));
	rs.fd[0] = rs.fd[1] = rs.efd = rs.efd_keep = -1;
	nracers = 0;
	cur_op = race_round;
	cur_name = rs_names[sc];
	rs_count[sc]++;
	alarm(alarm_s);
	switch (sc) {
	case RS_MAP:
		build_map();
		break;
	case RS_MAP_EXIT:
		build_map_exit();
		break;
	case RS_IRQFD:
		build_irqfd();
		break;
	case RS_IOEVENTFD:
		build_ioeventfd();
		break;
	case RS_RESTRICT:
		build_restrict();
		break;
	case RS_CLOSE:
		build_close();
		break;
	default:
		build_unload();
		break;
	}
	if (verbose)
		describe_round(sc);
	if (nracers >= 2)
		run_racers(sc);
	else
		nracers = 0;
	for (i = 0; i < nracers; i++) {
		struct racer *r = &racers[i];

		/* The exit race's ioctl ran in the child: its result is not seen. */
		if (sc == RS_MAP_EXIT && r->op != R_EXIT)
			continue;
		reached_race(r->op, r->ret);
		race_check(errno_allowed(r->allowed, r->ret), "%s = -%s, not a result of this race",
			   rop_names[r->op], errname(r->ret));
	}
	if (verbose && nracers) {
		printf("round %lu:", race_round);
		for (i = 0; i < nracers; i++)
			printf(" %s = %s", rop_names[racers[i].op], errname(racers[i].ret));
		printf("\n");
	}
	if (nracers) {
		switch (sc) {
		case RS_IRQFD:
			check_irqfd();
			break;
		case RS_IOEVENTFD:
			check_ioeventfd();
			break;
		case RS_RESTRICT:
			check_restrict();
			break;
		case RS_CLOSE:
			check_close();
			break;
		case RS_UNLOAD:
			check_unload();
			break;
		default:
			break;
		}
	}
	race_cleanup();
	alarm(0);
}

#define KMEMLEAK_PATH "/sys/kernel/debug/kmemleak"

static void kmemleak_write(const char *what)
{
	int fd = open(KMEMLEAK_PATH, O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, what, strlen(what)) < 0)
		perror("fuzz: " KMEMLEAK_PATH);
	close(fd);
}

/*
 * Where the kernel has kmemleak: a scan for what leaked since the start
 * (its "new suspected memory leaks" line is a report), and the first
 * suspects printed.
 */
static void kmemleak_scan(void)
{
	char line[256];
	FILE *f;
	int n = 0;

	if (access(KMEMLEAK_PATH, W_OK))
		return;
	/* Objects younger than 5 s are not reported: let the last round's age. */
	sleep(6);
	kmemleak_write("scan");
	f = fopen(KMEMLEAK_PATH, "r");
	while (f && fgets(line, sizeof(line), f) && n++ < 60)
		printf("# kmemleak: %s", line);
	if (f)
		fclose(f);
}

/* The race mode's run: nrounds rounds, then the summary; the exit status. */
static int race_main(unsigned long seed, unsigned long nrounds, unsigned int alarm_s)
{
	const char *dir = getenv("PRIVCMD_MODULES") ?: "/modules";
	char path[PATH_MAX];
	struct timespec t0, t1;
	int reports = 0, e, k;
	double secs;

	signal(SIGALRM, race_on_alarm);
	snprintf(path, sizeof(path), "%s/rust_privcmd.ko", dir);
	race_unload = stub && !c_drv && !access(path, R_OK);
	if (stub) {
		/* It would pin the module; on the stub it has no domain to destroy. */
		close(ctl_fd);
		ctl_fd = -1;
	} else {
		evtchn_fd = open("/dev/xen/evtchn", O_RDWR | O_CLOEXEC);
	}
	kmemleak_write("clear");
	race_dmop.op = XEN_DMOP_set_isa_irq_level;
	race_dmop.u.set_isa_irq_level.isa_irq = 5;
	race_dmop.u.set_isa_irq_level.level = 1;

	say("fuzz: %s %s driver seed %lu races %lu scratch domain %u%s%s\n",
	    world_name(), c_drv ? "c" : "rust", seed, nrounds, scratch,
	    race_unload ? "" : " (no module unload)",
	    verbose ? "" : " (progress every 100 races; -v for each)");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (race_round = 0; race_round < nrounds; race_round++) {
		race_one(alarm_s);
		reports += new_reports();
		if (!verbose && race_round % 100 == 99)
			say("fuzz: %lu races\n", race_round + 1);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	cur_name = "clean-up";
	alarm(4 * alarm_s);
	if (!stub)
		destroy_domain(ctl_fd, scratch);
	if (ctl_fd >= 0)
		close(ctl_fd);
	if (evtchn_fd >= 0)
		close(evtchn_fd);
	/* Deferred work (irqfd injections, port retries) has run by now. */
	usleep(200 * 1000);
	alarm(0);
	kmemleak_scan();
	reports += new_reports();

	for (k = 0; k < NR_RS; k++)
		if (rs_count[k])
			printf("# race: %s: %u rounds\n", rs_names[k], rs_count[k]);
	for (k = 0; k < NR_ROPS; k++) {
		int any = 0;

		for (e = 0; e <= MAX_ERRNO; e++) {
			if (!rop_seen[k][e])
				continue;
			if (!any++)
				printf("# race result: %s:", rop_names[k]);
			printf(" %s %u", e == MAX_ERRNO ? "ok" : strerrorname_np(e) ?: "?",
			       rop_seen[k][e]);
		}
		if (any)
			printf("\n");
	}
	say("# %lu races in %.1f s: %.1f races/s, %lu unexpected results\n", nrounds,
	    secs, secs > 0 ? nrounds / secs : 0, race_unexpected);
	say("fuzz: %s %s seed %lu races %lu reports %d\n", world_name(),
	    c_drv ? "c" : "rust", seed, nrounds, reports);
	return reports || race_unexpected ? 1 : 0;
}

/* ---- main ---- */

typedef void (*op_fn)(void);

static void op_mmapbatch_v1(void) { op_mmapbatch(0); }
static void op_mmapbatch_v2(void) { op_mmapbatch(1); }

#define OP(fn, weight) { op_##fn, weight, #fn }

static const struct {
	op_fn fn;
	int weight;
	const char *name;
} ops[] = {
	OP(open, 4), OP(close, 3), OP(eventfd, 4),
	OP(mmap, 8), OP(munmap, 5), OP(mremap, 3), OP(madvise, 3),
	OP(mprotect, 3), OP(touch, 3), OP(fork, 1),
	OP(hypercall, 6), OP(restrict, 4), OP(mmap_ioctl, 4),
	OP(mmapbatch_v1, 5), OP(mmapbatch_v2, 6), OP(mmap_resource, 6),
	OP(dm_op, 4), OP(irqfd, 5), OP(ioeventfd, 5), OP(pcidev, 2),
	OP(unknown, 3), OP(hbuf_ioctl, 1),
};

static void one_op(void)
{
	int total = 0, i, r;

	/* A new input, or a kept one with one more draw changed. */
	if (steer && ncorpus && splitmix(&run_state) % 4 == 0) {
		cur_in = corpus[splitmix(&run_state) % ncorpus];
		cur_in.at[1] = cur_in.at[0];
		cur_in.val[1] = cur_in.val[0];
		cur_in.at[0] = splitmix(&run_state) % 8;
		cur_in.val[0] = splitmix(&run_state);
	} else {
		cur_in = (struct input){ splitmix(&run_state), { -1, -1 } };
	}
	rng_state = cur_in.seed;
	draws = 0;

	for (i = 0; i < (int)(sizeof(ops) / sizeof(ops[0])); i++)
		total += ops[i].weight;
	r = below(total);
	for (i = 0; r >= ops[i].weight; i++)
		r -= ops[i].weight;
	cur_name = ops[i].name;
	cover_reset();
	ops[i].fn();
	if (cover_collect()) {
		if (ncorpus < CORPUS)
			corpus[ncorpus++] = cur_in;
		else
			corpus[splitmix(&run_state) % CORPUS] = cur_in;
	}
}

static void setup_memory(void)
{
	buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ro_page = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	arr = mmap(NULL, ARR_ENTRIES * sizeof(*arr), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	errs = mmap(NULL, ARR_ENTRIES * sizeof(*errs), PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	hole = unmapped();
	edge = straddle(0);
	if (buf == MAP_FAILED || ro_page == MAP_FAILED || arr == MAP_FAILED ||
	    errs == MAP_FAILED || !hole || !edge) {
		perror("fuzz: memory");
		exit(2);
	}
	/* Bad addresses must stay bad: reserve them (PROT_NONE). */
	mmap(hole, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	mmap(edge, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
}

static const char *world_name(void)
{
	const char *debug = getenv("PRIVCMD_DEBUG");

	if (stub)
		return "stub";
	if (debug && !strcmp(debug, "1"))
		return pv ? "xen-debug" : "pvh-debug";
	return pv ? "xen" : "pvh";
}

int main(int argc, char **argv)
{
	unsigned long seed = 1, nops = 20000, i;
	unsigned int alarm_s = 20;
	int reports = 0, paths = 0, e, k;
	struct sigaction sa = { .sa_sigaction = on_fault, .sa_flags = SA_NODEFER | SA_SIGINFO };
	struct timespec t0, t1;
	double secs;

	for (k = 1; k < argc; k++) {
		if (!strcmp(argv[k], "--seed") && k + 1 < argc)
			seed = strtoul(argv[++k], NULL, 0);
		else if (!strcmp(argv[k], "--ops") && k + 1 < argc)
			nops = strtoul(argv[++k], NULL, 0);
		else if (!strcmp(argv[k], "--alarm") && k + 1 < argc)
			alarm_s = strtoul(argv[++k], NULL, 0);
		else if (!strcmp(argv[k], "-v"))
			verbose = 1;
		else if (!strcmp(argv[k], "--verbose-from") && k + 1 < argc)
			verbose_from = strtoul(argv[++k], NULL, 0);
		else if (!strcmp(argv[k], "--known"))
			known = 1;
		else if (!strcmp(argv[k], "--no-steer"))
			steer = 0;
		else if (!strcmp(argv[k], "--c-safe"))
			c_safe = 1;
		else if (!strcmp(argv[k], "--race"))
			race = 1;
		else {
			fprintf(stderr,
				"usage: %s [--seed N] [--ops N] [--alarm S] [--known] [--no-steer] [--c-safe] [--race] [-v] [--verbose-from N]\n",
				argv[0]);
			return 2;
		}
	}
	/* The same addresses on every run: re-executed without randomisation. */
	if (!(personality(0xffffffff) & ADDR_NO_RANDOMIZE)) {
		personality(personality(0xffffffff) | ADDR_NO_RANDOMIZE);
		execv("/proc/self/exe", argv);
		perror("fuzz: re-exec without address randomisation");
	}
	run_state = seed;
	stub = on_stub();
	c_drv = c_driver();
	c_safe |= c_drv;
	pv = stub || guest_type_is("PV");
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGALRM, on_alarm);
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	cover_open();
	/*
	 * Errors and worse on the console too: what the fuzzer cannot read
	 * itself (a hung-task report while it is the hung task) still shows.
	 * Not with -v, whose lines they would cut.
	 */
	if (!verbose)
		klogctl(8 /* SYSLOG_ACTION_CONSOLE_LEVEL */, NULL, 4);
	kmsg = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg >= 0)
		lseek(kmsg, 0, SEEK_END);
	setup_memory();

	ctl_fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	if (ctl_fd < 0) {
		perror("fuzz: " PRIVCMD_PATH);
		return 2;
	}
	if (stub) {
		scratch = UNUSED_DOMAIN;
	} else {
		alarm(alarm_s);
		scratch = create_domain(ctl_fd, 0, 0);
		alarm(0);
		if (!scratch) {
			perror("fuzz: scratch domain");
			return 2;
		}
	}
	for (k = 0; k < NFDS; k++)
		pfd[k].fd = -1;
	if (race)
		return race_main(seed, nops, alarm_s);

	say("fuzz: %s %s driver seed %lu ops %lu scratch domain %u%s%s\n",
	    world_name(), c_drv ? "c" : "rust", seed, nops, scratch,
	    known ? " (with what found known bugs)" : "",
	    verbose ? "" : " (progress every 1000 ops; -v for each)");
	if (cover)
		say("# coverage: KCOV edges of the driver%s\n",
		    steer ? ", steering by them" : ", not steering (--no-steer)");
	else
		say("# coverage: none (no /sys/kernel/debug/kcov: only the debug kernel has KCOV); paths counted instead\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nops; i++) {
		cur_op = i;
		if (i == verbose_from)
			verbose = 1;
		alarm(alarm_s);
		op_printed = 0;
		one_op();
		alarm(0);
		reports += new_reports();
		if (verbose && !op_printed)
			say("op %lu: - (%s: nothing to act on)\n", i, cur_name);
		if (!verbose && i % 1000 == 999)
			say("fuzz: %lu ops, %lu edges\n", i + 1, nedges);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	cur_op = nops;
	cur_name = "clean-up";
	alarm(4 * alarm_s);
	for (k = 0; k < NMAPS; k++)
		if (maps[k].addr)
			munmap(maps[k].addr, maps[k].len);
	for (k = 0; k < NFDS; k++)
		if (pfd[k].fd >= 0)
			close(pfd[k].fd);
	for (k = 0; k < NEFDS; k++)
		if (efd[k] >= 0)
			close(efd[k]);
	for (k = 0; k < 2; k++)
		if (hfd[k] >= 0)
			close(hfd[k]);
	if (!stub)
		destroy_domain(ctl_fd, scratch);
	close(ctl_fd);
	/* Deferred work (irqfd injections, port retries) has run by now. */
	usleep(200 * 1000);
	alarm(0);
	reports += new_reports();

	for (k = 0; k < NR_OPS; k++)
		for (e = 0; e <= MAX_ERRNO; e++) {
			const char *name;

			if (!seen[k][e])
				continue;
			if (e == MAX_ERRNO)
				name = "ok";
			else if (k == S_TOUCH || k == S_FORK)
				name = sigabbrev_np(e);
			else
				name = strerrorname_np(e);
			if (k < NR_IOCTLS)
				paths++;
			printf("# %s: %s %s\n", k < NR_IOCTLS ? "path" : "syscall",
			       op_names[k], name ?: "?");
		}
	say("# %lu ops in %.1f s: %.0f ops/s\n", nops, secs, secs > 0 ? nops / secs : 0);
	if (cover)
		say("# %u inputs kept for new edges\n", ncorpus);
	if (cover)
		say("fuzz: %s %s seed %lu ops %lu reports %d edges %lu paths %d\n",
		    world_name(), c_drv ? "c" : "rust", seed, nops, reports, nedges, paths);
	else
		say("fuzz: %s %s seed %lu ops %lu reports %d edges - paths %d\n",
		    world_name(), c_drv ? "c" : "rust", seed, nops, reports, paths);
	return reports ? 1 : 0;
}
