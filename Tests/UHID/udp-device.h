/*
 * udp-device.h: a device path "udp:HOST:PORT" (numeric IPv4, or [IPv6]) as a UDP socket
 * connected to `vauth serve --udp`, for the rig's C helpers (libfido2-udp.c, ctaphid-ping.c).
 * Each datagram is one raw 64-byte CTAPHID report (CTAP 2.2 §11.2.4), the SoloKeys simulator's
 * framing.
 */
#ifndef VAUTH_RIG_UDP_DEVICE_H
#define VAUTH_RIG_UDP_DEVICE_H

#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define UDP_DEVICE_PREFIX "udp:"

static int
is_udp_device(const char *path)
{
	return path != NULL && strncmp(path, UDP_DEVICE_PREFIX, strlen(UDP_DEVICE_PREFIX)) == 0;
}

/* The connected socket, or -1. */
static int
udp_device_connect(const char *path)
{
	char host[256], *port;
	struct addrinfo hints, *list = NULL;
	const char *address = path + strlen(UDP_DEVICE_PREFIX);
	int fd;

	if (!is_udp_device(path) || strlen(address) >= sizeof(host))
		return -1;
	strcpy(host, address);
	if ((port = strrchr(host, ':')) == NULL)
		return -1;
	*port++ = '\0';
	if (host[0] == '[' && port - host >= 3 && port[-2] == ']') {
		port[-2] = '\0';
		memmove(host, host + 1, strlen(host));
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &list) != 0 || list == NULL)
		return -1;
	fd = socket(list->ai_family, list->ai_socktype | SOCK_CLOEXEC, list->ai_protocol);
	if (fd >= 0 && connect(fd, list->ai_addr, list->ai_addrlen) != 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(list);
	return fd;
}

#endif
