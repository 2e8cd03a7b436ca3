// SPDX-License-Identifier: GPL-2.0
/*
 * The device node and file operations of /dev/xen/privcmd: what a user
 * checks before anything else.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "privcmd_test.h"

#define MISC_MAJOR 10

TEST(node_is_misc_char_device_root_0600)
{
	struct stat st;

	ASSERT_EQ(0, stat(PRIVCMD_PATH, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	EXPECT_EQ(MISC_MAJOR, major(st.st_rdev));
	EXPECT_EQ(0600, st.st_mode & 07777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, st.st_gid);
}

TEST(open_and_close)
{
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

TEST(many_opens_at_once)
{
	int fds[64];
	int i;

	for (i = 0; i < 64; i++) {
		fds[i] = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST(unknown_ioctl_is_enotty)
{
	/* Other magic, unused 'P' numbers, and a HYPERCALL number with a wrong size. */
	static const unsigned long cmds[] = {
		_IO('X', 0),
		_IOC(_IOC_NONE, 'P', 1, 0),
		_IOC(_IOC_NONE, 'P', 11, 8),
		_IOC(_IOC_NONE, 'P', 0, sizeof(privcmd_hypercall_t) - 8),
		_IOWR('P', 0, privcmd_hypercall_t),
		0xffffffffUL,
	};
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);
	unsigned int i;

	ASSERT_LE(0, fd);
	for (i = 0; i < ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, cmds[i], 0)) TH_LOG("cmd %#lx", cmds[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#lx", cmds[i]);
	}
	close(fd);
}

TEST(non_root_open_is_eacces)
{
	pid_t pid = fork();
	int status;

	ASSERT_LE(0, pid);
	if (pid == 0) {
		if (setgid(65534) || setuid(65534))
			_exit(2);
		if (open(PRIVCMD_PATH, O_RDWR) >= 0)
			_exit(3);
		_exit(errno == EACCES ? 0 : 4);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

TEST(read_and_write_are_not_supported)
{
	char buf[8] = { 0 };
	int fd = open(PRIVCMD_PATH, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, read(fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, write(fd, buf, sizeof(buf)));
	EXPECT_EQ(EINVAL, errno);
	close(fd);
}

TEST_HARNESS_MAIN
