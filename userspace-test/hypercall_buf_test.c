// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/xen/hypercall, the hypercall-buffer device that libxencall maps its
 * buffers from: shared mappings only, zeroed pages that stay put, usable
 * as hypercall buffers, freed when unmapped, SIGBUS where no page is, and
 * mappings that cannot grow.  The same expectations hold for Linux's C
 * driver (privcmd-buf.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

#define HYPERCALL_BUF_PATH "/dev/xen/hypercall"
#define MISC_MAJOR 10

FIXTURE(buf) {
	int fd;
	long page;
};

FIXTURE_SETUP(buf)
{
	self->fd = open(HYPERCALL_BUF_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	self->page = sysconf(_SC_PAGESIZE);
}

FIXTURE_TEARDOWN(buf)
{
	close(self->fd);
}

static void *map(int fd, size_t len, int flags)
{
	return mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, 0);
}

/* MemTotal of /proc/meminfo, in KiB. */
static long mem_total_kib(void)
{
	char line[128];
	long kib = -1;
	FILE *f = fopen("/proc/meminfo", "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "MemTotal: %ld kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

TEST(node_is_misc_char_device_root_0600)
{
	struct stat st;

	ASSERT_EQ(0, stat(HYPERCALL_BUF_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
	EXPECT_EQ(0600, st.st_mode & 07777);
}

TEST_F(buf, shared_mapping_is_zeroed_and_writable)
{
	size_t len = 4 * self->page, i;
	unsigned char *p = map(self->fd, len, MAP_SHARED);

	ASSERT_NE(MAP_FAILED, p);
	for (i = 0; i < len; i++)
		if (p[i])
			break;
	EXPECT_EQ(len, i);
	memset(p, 0xa5, len);
	EXPECT_EQ(0xa5, p[len - 1]);
	EXPECT_EQ(0, munmap(p, len));
}

TEST_F(buf, private_mapping_is_einval)
{
	EXPECT_EQ(MAP_FAILED, map(self->fd, self->page, MAP_PRIVATE));
	EXPECT_EQ(EINVAL, errno);
}

/* What it is for: the hypervisor writes a hypercall's result into it. */
TEST_F(buf, buffer_serves_a_hypercall)
{
	int pfd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	char *extra = map(self->fd, self->page, MAP_SHARED);

	ASSERT_LE(0, pfd);
	ASSERT_NE(MAP_FAILED, extra);
	EXPECT_EQ(0, privcmd_hypercall(pfd, __HYPERVISOR_xen_version,
				       XENVER_extraversion, (uintptr_t)extra,
				       0, 0, 0));
	EXPECT_NE(NULL, memchr(extra, '\0', sizeof(xen_extraversion_t)));
	EXPECT_EQ(0, privcmd_hypercall(pfd, __HYPERVISOR_xen_version,
				       XENVER_compile_info,
				       (uintptr_t)(extra + self->page -
						   sizeof(xen_compile_info_t)),
				       0, 0, 0));
	munmap(extra, self->page);
	close(pfd);
}

TEST_F(buf, shared_with_a_child_after_fork)
{
	volatile int *p = map(self->fd, self->page, MAP_SHARED);
	int status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, p);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[0] = 42;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(42, p[0]);
	munmap((void *)p, self->page);
}

TEST_F(buf, mapping_cannot_grow)
{
	void *p = map(self->fd, self->page, MAP_SHARED);

	ASSERT_NE(MAP_FAILED, p);
	EXPECT_EQ(MAP_FAILED, mremap(p, self->page, 2 * self->page, MREMAP_MAYMOVE));
	EXPECT_EQ(EFAULT, errno);
	munmap(p, self->page);
}

TEST_F(buf, partial_unmap_keeps_the_rest)
{
	unsigned char *p = map(self->fd, 3 * self->page, MAP_SHARED);

	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 3 * self->page);
	EXPECT_EQ(0, munmap(p + self->page, self->page));
	EXPECT_EQ(1, p[0]);
	EXPECT_EQ(1, p[2 * self->page]);
	p[2 * self->page] = 2;
	EXPECT_EQ(2, p[2 * self->page]);
	munmap(p, self->page);
	munmap(p + 2 * self->page, self->page);
}

/* Pages dropped from the mapping are not replaced: the access is SIGBUS. */
TEST_F(buf, access_after_madv_dontneed_is_sigbus)
{
	char *p = map(self->fd, self->page, MAP_SHARED);
	int status;
	pid_t pid;

	ASSERT_NE(MAP_FAILED, p);
	if (madvise(p, self->page, MADV_DONTNEED) && errno == ENOSYS)
		SKIP(return, "no madvise() in this kernel");
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		p[0] = 1;
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	if (WIFSIGNALED(status))
		EXPECT_EQ(SIGBUS, WTERMSIG(status));
	munmap(p, self->page);
}

/*
 * Mapping and unmapping twice the machine's memory, 32 MiB at a time,
 * succeeds only if unmapping frees the pages: a leak ends in ENOMEM or
 * the OOM killer.
 */
TEST_F(buf, pages_are_freed_at_munmap)
{
	const size_t len = 32 << 20;
	long total = mem_total_kib(), rounds, i;

	ASSERT_LT(0, total);
	rounds = 2 * (total << 10) / len + 1;
	for (i = 0; i < rounds; i++) {
		char *p = map(self->fd, len, MAP_SHARED);

		ASSERT_NE(MAP_FAILED, p) TH_LOG("round %ld of %ld", i, rounds);
		p[len - 1] = 1;
		ASSERT_EQ(0, munmap(p, len));
	}
}

TEST_HARNESS_MAIN
