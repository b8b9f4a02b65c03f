/*
 * libfido2-udp: an LD_PRELOAD shim that lets libfido2's own tools (fido2-token, fido2-cred,
 * fido2-assert) reach `vauth serve --udp`, so the rig's flows run unchanged on the host, over
 * UDP, and in the QEMU guest, over the kernel's hidraw. A failure seen only in the guest then
 * points at the uhid transport, not at the authenticator.
 *
 * A device path "udp:HOST:PORT" (udp-device.h) opens a connected UDP socket and hands libfido2
 * our own I/O functions through fido_dev_set_io_functions() (libfido2 >= 1.7); every other path
 * goes to libfido2 untouched.
 * With VAUTH_FIDO_UDP=udp:HOST:PORT set, `fido2-token -L` lists that device too.
 *
 * Built by the test (cc -shared -fPIC libfido2-udp.c -lfido2); not part of vauth.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fido.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "udp-device.h"

#define REPORT_LEN 64

struct udp_device {
	int fd;
};

static void *
udp_open(const char *path)
{
	struct udp_device *device;
	int fd;

	if ((fd = udp_device_connect(path)) < 0)
		return NULL;
	if ((device = calloc(1, sizeof(*device))) == NULL) {
		close(fd);
		return NULL;
	}
	device->fd = fd;
	return device;
}

static void
udp_close(void *handle)
{
	struct udp_device *device = handle;

	close(device->fd);
	free(device);
}

/* One report, waiting at most `ms` milliseconds (-1: for ever), as libfido2's hid_linux does. */
static int
udp_read(void *handle, unsigned char *buf, size_t len, int ms)
{
	struct udp_device *device = handle;
	struct pollfd pfd = { .fd = device->fd, .events = POLLIN };
	unsigned char report[REPORT_LEN + 1];
	ssize_t n;
	int ready;

	do {
		ready = poll(&pfd, 1, ms);
	} while (ready < 0 && errno == EINTR);
	if (ready <= 0)
		return -1;
	if ((n = recv(device->fd, report, sizeof(report), 0)) != REPORT_LEN || len < REPORT_LEN)
		return -1;
	memcpy(buf, report, REPORT_LEN);
	return REPORT_LEN;
}

/* libfido2 writes the HID report number (0) before the report; the datagram is the report. */
static int
udp_write(void *handle, const unsigned char *buf, size_t len)
{
	struct udp_device *device = handle;

	if (len != REPORT_LEN + 1 || send(device->fd, buf + 1, REPORT_LEN, 0) != REPORT_LEN)
		return -1;
	return (int)len;
}

static const fido_dev_io_t udp_io = { udp_open, udp_close, udp_read, udp_write };

int
fido_dev_open(fido_dev_t *dev, const char *path)
{
	static int (*real_open)(fido_dev_t *, const char *);
	int r;

	if (real_open == NULL && (real_open = dlsym(RTLD_NEXT, "fido_dev_open")) == NULL)
		return FIDO_ERR_INTERNAL;
	if (is_udp_device(path) && (r = fido_dev_set_io_functions(dev, &udp_io)) != FIDO_OK)
		return r;
	return real_open(dev, path);
}

int
fido_dev_info_manifest(fido_dev_info_t *devlist, size_t ilen, size_t *olen)
{
	static int (*real_manifest)(fido_dev_info_t *, size_t, size_t *);
	const char *udp = getenv("VAUTH_FIDO_UDP");
	int r;

	if (real_manifest == NULL && (real_manifest = dlsym(RTLD_NEXT, "fido_dev_info_manifest")) == NULL)
		return FIDO_ERR_INTERNAL;
	if ((r = real_manifest(devlist, ilen, olen)) != FIDO_OK)
		return r;
	if (is_udp_device(udp) && *olen < ilen &&
	    fido_dev_info_set(devlist, *olen, udp, "vauth", "serve --udp", &udp_io, NULL) == FIDO_OK)
		(*olen)++;
	return FIDO_OK;
}
