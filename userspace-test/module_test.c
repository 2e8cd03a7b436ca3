// SPDX-License-Identifier: GPL-2.0
/*
 * Loading and unloading the driver (and the hypervisor stub under it):
 * ten cycles in a row, the device coming and going with the module, the
 * stub pinned while the driver uses it, irqfds ended by the unload, and
 * no leak reported by kmemleak.
 * Under Xen (no stub loaded) only the driver is cycled: ours, or Linux's C
 * driver when that is the one loaded (the side-by-side comparison).
 *
 * The modules are read from $PRIVCMD_MODULES (default /modules).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

#define KMEMLEAK "/sys/kernel/debug/kmemleak"

/* The driver under test: its module's name and its file's. */
static const char *driver(void)
{
	return c_driver() ? "xen_privcmd" : "rust_privcmd";
}

static const char *driver_file(void)
{
	return c_driver() ? "xen-privcmd" : "rust_privcmd";
}

/* Forgets what kmemleak suspected before this test: only new leaks count. */
static void kmemleak_clear(void)
{
	FILE *f = fopen(KMEMLEAK, "w");

	if (f) {
		fputs("clear", f);
		fclose(f);
	}
}

/* Leaves the modules loaded, as the other tests expect them. */
TEST(load_unload_ten_times)
{
	const char *name = driver(), *file = driver_file();
	int stub = module_loaded("xen_stub");
	struct stat st;
	int i;

	kmemleak_clear();

	for (i = 0; i < 10; i++) {
		int fd;

		ASSERT_EQ(0, unload_module(name)) TH_LOG("cycle %d: %m", i);
		EXPECT_EQ(-1, stat(PRIVCMD_PATH, &st));
		if (stub) {
			ASSERT_EQ(0, unload_module("xen_stub")) TH_LOG("cycle %d: %m", i);
			ASSERT_EQ(0, load_module("xen_stub", "")) TH_LOG("cycle %d: %m", i);
		}
		ASSERT_EQ(0, load_module(file, "")) TH_LOG("cycle %d: %m", i);
		fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fd) TH_LOG("cycle %d: %m", i);
		/* xen_version(XENVER_version): the page works after each load. */
		EXPECT_LT(0, privcmd_hypercall(fd, __HYPERVISOR_xen_version,
					       0, 0, 0, 0, 0));
		close(fd);
	}
}

TEST(driver_without_hypervisor_is_enodev)
{
	if (!module_loaded("xen_stub"))
		SKIP(return, "on Xen there is always a hypervisor");
	ASSERT_EQ(0, unload_module("rust_privcmd"));
	ASSERT_EQ(0, unload_module("xen_stub"));
	EXPECT_EQ(-1, load_module("rust_privcmd", ""));
	EXPECT_EQ(ENODEV, errno);
	EXPECT_FALSE(module_loaded("rust_privcmd"));
	ASSERT_EQ(0, load_module("xen_stub", ""));
	ASSERT_EQ(0, load_module("rust_privcmd", ""));
}

TEST(stub_is_pinned_while_driver_is_loaded)
{
	if (!module_loaded("xen_stub"))
		SKIP(return, "the stub is not loaded under Xen");
	ASSERT_TRUE(module_loaded("rust_privcmd"));
	EXPECT_EQ(-1, unload_module("xen_stub"));
	EXPECT_EQ(EWOULDBLOCK, errno);
	EXPECT_TRUE(module_loaded("xen_stub"));
}

TEST(driver_is_pinned_while_open)
{
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, unload_module(driver()));
	EXPECT_EQ(EWOULDBLOCK, errno);
	close(fd);
}

/*
 * An irqfd outlives its privcmd file but not the module: unloading ends it,
 * and its eventfd, still open, is an ordinary eventfd again.
 */
TEST(unload_ends_irqfds)
{
	const char *name = driver(), *file = driver_file();
	int stub = module_loaded("xen_stub");
	char op[16] = { 0 };
	struct privcmd_irqfd req = {
		.dm_op = (uintptr_t)op,
		.size = sizeof(op),
		.dom = 0x7000,
	};
	uint64_t count = 0;
	int fd, efd;

	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	req.fd = efd;
	fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, IOCTL_PRIVCMD_IRQFD, &req));
	close(fd);
	ASSERT_EQ(0, unload_module(name));
	count = 2;
	ASSERT_EQ(sizeof(count), write(efd, &count, sizeof(count)));
	count = 0;
	EXPECT_EQ(sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_EQ(2, count);
	close(efd);
	if (stub)
		ASSERT_TRUE(module_loaded("xen_stub"));
	ASSERT_EQ(0, load_module(file, ""));
}

/*
 * Scans for leaks since load_unload_ten_times cleared kmemleak: a leak of an
 * unloaded module cannot be told apart by name, so any new one fails.
 */
TEST(no_leak_reported_by_kmemleak)
{
	char line[512];
	int total = 0;
	FILE *f;

	f = fopen(KMEMLEAK, "w");
	if (!f)
		SKIP(return, "no %s", KMEMLEAK);
	/* Objects younger than 5 s are not reported: let the cycles age. */
	sleep(6);
	fputs("scan", f);
	fclose(f);
	f = fopen(KMEMLEAK, "r");
	ASSERT_NE(NULL, f);
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "unreferenced object"))
			total++;
		if (total)
			TH_LOG("%s", line);
	}
	fclose(f);
	EXPECT_EQ(0, total);
}

TEST_HARNESS_MAIN
