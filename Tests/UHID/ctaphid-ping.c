/*
 * ctaphid-ping: CTAPHID PING (CTAP 2.2 §11.2.9.1.1) of given sizes through a hidraw node or
 * `vauth serve --udp`, each echo checked byte for byte. libfido2's tools never send a message
 * longer than a few hundred bytes, so this is how the rig carries the largest ones, up to
 * 7609 bytes (one initialization and 128 continuation packets each way), through the kernel's
 * uhid and hidraw queues, written as fast as the kernel takes them.
 *
 *   ctaphid-ping DEVICE SIZE...       DEVICE: /dev/hidrawN or udp:HOST:PORT (numeric)
 *
 * One line per size on stdout: "SIZE ok MS" or "SIZE fail REASON"; exit status 0 only when all
 * were echoed. Every read waits at most 10 seconds. Built by the rig's test; not part of vauth.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "udp-device.h"

#define REPORT 64
#define INIT_DATA (REPORT - 7)
#define CONT_DATA (REPORT - 5)
#define MAX_MESSAGE (INIT_DATA + 128 * CONT_DATA)
#define CMD_PING 0x81
#define CMD_INIT 0x86
#define CMD_KEEPALIVE 0xbb
#define CMD_ERROR 0xbf
#define READ_TIMEOUT_MS 10000

static int fd = -1;
static int hidraw; /* hidraw writes start with the report number (0) */

static int
open_device(const char *path)
{
	if (is_udp_device(path))
		return udp_device_connect(path);
	hidraw = 1;
	return open(path, O_RDWR | O_CLOEXEC);
}

static int
write_report(const uint8_t report[REPORT])
{
	uint8_t buffer[REPORT + 1] = { 0 };
	memcpy(buffer + hidraw, report, REPORT);
	return write(fd, buffer, REPORT + hidraw) == REPORT + hidraw ? 0 : -1;
}

static int
read_report(uint8_t report[REPORT])
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	int ready;

	do {
		ready = poll(&pfd, 1, READ_TIMEOUT_MS);
	} while (ready < 0 && errno == EINTR);
	if (ready <= 0)
		return -1;
	return read(fd, report, REPORT) == REPORT ? 0 : -1;
}

static void
put_cid(uint8_t *p, uint32_t cid)
{
	p[0] = cid >> 24; p[1] = cid >> 16; p[2] = cid >> 8; p[3] = cid;
}

static uint32_t
get_cid(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int
send_message(uint32_t cid, uint8_t cmd, const uint8_t *data, size_t len)
{
	uint8_t report[REPORT];
	size_t sent = 0;

	memset(report, 0, sizeof(report));
	put_cid(report, cid);
	report[4] = cmd;
	report[5] = len >> 8;
	report[6] = len & 0xff;
	sent = len < INIT_DATA ? len : INIT_DATA;
	memcpy(report + 7, data, sent);
	if (write_report(report) != 0)
		return -1;
	for (uint8_t seq = 0; sent < len; seq++) {
		size_t n = len - sent < CONT_DATA ? len - sent : CONT_DATA;
		memset(report, 0, sizeof(report));
		put_cid(report, cid);
		report[4] = seq;
		memcpy(report + 5, data + sent, n);
		if (write_report(report) != 0)
			return -1;
		sent += n;
	}
	return 0;
}

/* The response on `cid` (KEEPALIVEs skipped); its command in *cmd, its length returned. */
static long
receive_message(uint32_t cid, uint8_t *cmd, uint8_t *data, size_t capacity, const char **why)
{
	uint8_t report[REPORT];
	size_t len, got;

	do {
		if (read_report(report) != 0) {
			*why = "no initialization packet within 10 s";
			return -1;
		}
	} while (get_cid(report) != cid || report[4] == CMD_KEEPALIVE);
	if (!(report[4] & 0x80)) {
		*why = "a continuation packet where the initialization packet belongs";
		return -1;
	}
	*cmd = report[4];
	len = (size_t)report[5] << 8 | report[6];
	if (len > capacity) {
		*why = "a longer response than the request";
		return -1;
	}
	got = len < INIT_DATA ? len : INIT_DATA;
	memcpy(data, report + 7, got);
	for (uint8_t seq = 0; got < len; seq++) {
		if (read_report(report) != 0) {
			*why = "a continuation packet went missing (none within 10 s)";
			return -1;
		}
		if (get_cid(report) != cid)
			continue;
		if (report[4] != seq) {
			*why = "continuation packets out of sequence (one was lost)";
			return -1;
		}
		size_t n = len - got < CONT_DATA ? len - got : CONT_DATA;
		memcpy(data + got, report + 5, n);
		got += n;
	}
	return (long)len;
}

static long
milliseconds(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	return now.tv_sec * 1000L + now.tv_nsec / 1000000L;
}

int
main(int argc, char **argv)
{
	static uint8_t request[MAX_MESSAGE], response[MAX_MESSAGE];
	uint8_t nonce[8], cmd;
	const char *why = NULL;
	int failures = 0;

	if (argc < 3) {
		fprintf(stderr, "usage: ctaphid-ping DEVICE SIZE...\n");
		return 2;
	}
	if ((fd = open_device(argv[1])) < 0) {
		fprintf(stderr, "ctaphid-ping: cannot open %s: %s\n", argv[1], strerror(errno));
		return 2;
	}
	if (getrandom(nonce, sizeof(nonce), 0) != sizeof(nonce) ||
	    send_message(0xffffffff, CMD_INIT, nonce, sizeof(nonce)) != 0) {
		fprintf(stderr, "ctaphid-ping: INIT not sent\n");
		return 2;
	}
	long n;
	do {
		n = receive_message(0xffffffff, &cmd, response, sizeof(response), &why);
	} while (n >= 17 && memcmp(response, nonce, sizeof(nonce)) != 0);
	if (n < 17 || cmd != CMD_INIT) {
		fprintf(stderr, "ctaphid-ping: no INIT response: %s\n", why ? why : "malformed");
		return 2;
	}
	uint32_t cid = get_cid(response + 8);

	for (int i = 2; i < argc; i++) {
		long size = strtol(argv[i], NULL, 10);
		if (size < 0 || size > MAX_MESSAGE) {
			printf("%s fail not a message size (0 to %d)\n", argv[i], MAX_MESSAGE);
			failures++;
			continue;
		}
		if (getrandom(request, size, 0) != size) {
			printf("%ld fail getrandom\n", size);
			failures++;
			continue;
		}
		long started = milliseconds();
		why = NULL;
		if (send_message(cid, CMD_PING, request, size) != 0) {
			printf("%ld fail write: %s\n", size, strerror(errno));
			failures++;
			continue;
		}
		n = receive_message(cid, &cmd, response, sizeof(response), &why);
		if (n < 0)
			printf("%ld fail %s\n", size, why);
		else if (cmd == CMD_ERROR)
			printf("%ld fail CTAPHID ERROR 0x%02x\n", size, n > 0 ? response[0] : 0);
		else if (cmd != CMD_PING || n != size || memcmp(request, response, size) != 0)
			printf("%ld fail the echo differs (command 0x%02x, %ld bytes)\n", size, cmd, n);
		else {
			printf("%ld ok %ld\n", size, milliseconds() - started);
			continue;
		}
		failures++;
	}
	return failures == 0 ? 0 : 1;
}
