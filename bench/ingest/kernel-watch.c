/*
 * kernel-watch: the kernel-side clock of bench/ingest (the same job as
 * kernel-watch.ts, which explains why it exists), in C so that counting a
 * million notifications costs the 2-core machine about a second of CPU
 * instead of the eight the Node version takes away from the receivers.
 * recvmmsg takes up to 256 notifications per system call.
 *
 *   kernel-watch EVENTS_FILE TARGET
 *
 * Writes the same JSON lines as kernel-watch.ts, timestamps from
 * CLOCK_MONOTONIC in nanoseconds (process.hrtime.bigint in the harness).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 256
#define MSG_BYTES 8192
#define PROGRESS_MS 250

static FILE *events;

static unsigned long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

static void emit(const char *event, long count, int with_count) {
  if (with_count)
    fprintf(events, "{\"event\":\"%s\",\"t\":\"%llu\",\"count\":%ld}\n", event, now_ns(), count);
  else
    fprintf(events, "{\"event\":\"%s\",\"t\":\"%llu\"}\n", event, now_ns());
  fflush(events);
}

/* The prefixes held: open addressing, linear probing, backward-shift deletion. Key 0 is free. */
static uint64_t *slots;
static size_t capacity = 1 << 22;
static long held;

static size_t home(uint64_t key) {
  key *= 0x9e3779b97f4a7c15ull;
  return (size_t)(key >> 20) & (capacity - 1);
}

static void place(uint64_t key);

static void grow(void) {
  uint64_t *old = slots;
  size_t old_capacity = capacity;
  capacity *= 2;
  slots = calloc(capacity, sizeof *slots);
  if (!slots) {
    perror("calloc");
    exit(2);
  }
  for (size_t i = 0; i < old_capacity; i++)
    if (old[i]) place(old[i]);
  free(old);
}

static void place(uint64_t key) {
  size_t i = home(key);
  while (slots[i]) i = (i + 1) & (capacity - 1);
  slots[i] = key;
}

static void add(uint64_t key) {
  size_t i = home(key);
  for (; slots[i]; i = (i + 1) & (capacity - 1))
    if (slots[i] == key) return;
  slots[i] = key;
  if (++held * 2 > (long)capacity) grow();
}

static void del(uint64_t key) {
  size_t mask = capacity - 1, i = home(key);
  for (; slots[i] != key; i = (i + 1) & mask)
    if (!slots[i]) return;
  held--;
  for (size_t j = i;;) {
    j = (j + 1) & mask;
    if (!slots[j]) break;
    size_t h = home(slots[j]);
    /* slots[j] may move into the hole at i unless its home lies cyclically in (i, j]. */
    if (i <= j ? (h > i && h <= j) : (h > i || h <= j)) continue;
    slots[i] = slots[j];
    i = j;
  }
  slots[i] = 0;
}

/* address * 64 + length + 1 for an IPv4 unicast route of the main table, else 0. */
static uint64_t main_table_key(struct nlmsghdr *h) {
  struct rtmsg *r = NLMSG_DATA(h);
  if (h->nlmsg_len < NLMSG_LENGTH(sizeof *r)) return 0;
  if (r->rtm_family != AF_INET || r->rtm_type != RTN_UNICAST) return 0;
  uint32_t table = r->rtm_table, address = 0;
  int len = (int)RTM_PAYLOAD(h);
  for (struct rtattr *a = RTM_RTA(r); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
    if (a->rta_type == RTA_DST && RTA_PAYLOAD(a) >= 4) {
      unsigned char *b = RTA_DATA(a);
      address = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    } else if (a->rta_type == RTA_TABLE && RTA_PAYLOAD(a) >= 4) {
      memcpy(&table, RTA_DATA(a), 4);
    }
  }
  if (table != RT_TABLE_MAIN) return 0;
  return (uint64_t)address * 64 + r->rtm_dst_len + 1;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: kernel-watch EVENTS_FILE TARGET\n");
    return 2;
  }
  events = fopen(argv[1], "a");
  if (!events) {
    perror(argv[1]);
    return 2;
  }
  long target = atol(argv[2]);
  slots = calloc(capacity, sizeof *slots);
  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0 || !slots) {
    perror("socket");
    return 2;
  }
  int rcvbuf = 1 << 30;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0) perror("SO_RCVBUFFORCE");
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK, .nl_groups = RTMGRP_IPV4_ROUTE};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    perror("bind");
    return 2;
  }
  static char buffers[BATCH][MSG_BYTES];
  static struct iovec iov[BATCH];
  static struct mmsghdr msgs[BATCH];
  for (int i = 0; i < BATCH; i++) {
    iov[i].iov_base = buffers[i];
    iov[i].iov_len = MSG_BYTES;
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }
  emit("watching", 0, 0);
  int was_full = 0;
  unsigned long long last_progress = 0;
  for (;;) {
    int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == ENOBUFS) {
        emit("overrun", held, 1);
        return 3;
      }
      if (errno != EAGAIN) {
        perror("recvmmsg");
        return 2;
      }
      unsigned long long t = now_ns();
      if (t - last_progress >= PROGRESS_MS * 1000000ull) {
        last_progress = t;
        emit("count", held, 1);
      }
      struct pollfd p = {.fd = fd, .events = POLLIN};
      poll(&p, 1, PROGRESS_MS);
      continue;
    }
    for (int m = 0; m < n; m++) {
      int len = (int)msgs[m].msg_len;
      for (struct nlmsghdr *h = (struct nlmsghdr *)buffers[m]; NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
        if (h->nlmsg_type != RTM_NEWROUTE && h->nlmsg_type != RTM_DELROUTE) continue;
        uint64_t key = main_table_key(h);
        if (!key) continue;
        if (h->nlmsg_type == RTM_NEWROUTE) add(key);
        else del(key);
      }
    }
    if (!was_full && held >= target) {
      was_full = 1;
      emit("full", held, 1);
    } else if (was_full && held == 0) {
      was_full = 0;
      emit("empty", 0, 0);
    }
  }
}
