/*
 * startup-spawner: time one command the way hyperfine -N does, so isobench's start-up clock holds no Node fork.
 *
 *   startup-spawner [--timeout-ms N] [--marker LINE] [--max-output BYTES] [--settle-ms N] -- argv...
 *
 * posix_spawnp()s argv (no shell) with stdin on /dev/null and stdout/stderr on pipes, and reads both. CLOCK_MONOTONIC
 * from just before the spawn to the first stdout byte, to the first stdout line equal to LINE (a trailing \r dropped),
 * and to the child's exit (seen through a pidfd). Prints one JSON line on its own stdout: the times in ns, the exit
 * code or signal, and the first BYTES of each stream base64-encoded with each stream's total size. --settle-ms waits
 * before the clock starts, so the process that launched the spawner (Node, after its fork) is idle while the command runs.
 *
 * The child stays in this process's group (isobench starts the spawner as a group leader), so a group kill from
 * outside ends both. On the timeout the spawner prints its report first and then SIGKILLs its whole group, itself
 * included: nothing it started is left running.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

struct capture {
  int fd;               /* read end, -1 after EOF */
  unsigned char *buf;   /* the first `max` bytes */
  size_t len, max;
  unsigned long long total;
};

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static void usage(const char *why) {
  fprintf(stderr, "startup-spawner: %s\nusage: startup-spawner [--timeout-ms N] [--marker LINE] [--max-output BYTES] [--settle-ms N] -- argv...\n", why);
  exit(2);
}

static unsigned long long number(const char *flag, const char *s) {
  char *end;
  errno = 0;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || *s == '\0' || *end != '\0' || *s == '-') {
    fprintf(stderr, "startup-spawner: %s: not a non-negative integer: '%s'\n", flag, s);
    exit(2);
  }
  return v;
}

static void put_base64(const unsigned char *p, size_t n) {
  static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t i = 0;
  for (; i + 2 < n; i += 3) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
    putchar(a[v >> 18 & 63]); putchar(a[v >> 12 & 63]); putchar(a[v >> 6 & 63]); putchar(a[v & 63]);
  }
  if (n - i == 1) {
    unsigned v = (unsigned)p[i] << 16;
    putchar(a[v >> 18 & 63]); putchar(a[v >> 12 & 63]); fputs("==", stdout);
  } else if (n - i == 2) {
    unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
    putchar(a[v >> 18 & 63]); putchar(a[v >> 12 & 63]); putchar(a[v >> 6 & 63]); putchar('=');
  }
}

static void put_ns(const char *key, uint64_t t0, uint64_t t) {
  if (t) printf(",\"%s\":%llu", key, (unsigned long long)(t - t0));
  else printf(",\"%s\":null", key);
}

static void report(int pid, const char *spawn_error, uint64_t t0, uint64_t first, uint64_t marker, uint64_t exited,
                   int status_known, int status, int timed_out, struct capture *out, struct capture *err) {
  printf("{\"spawner\":1,\"pid\":%d,\"spawn_error\":", pid);
  if (spawn_error) printf("\"%s\"", spawn_error); /* strerror text: no quotes or backslashes */
  else fputs("null", stdout);
  put_ns("first_output_ns", t0, first);
  put_ns("marker_ns", t0, marker);
  put_ns("exit_ns", t0, exited);
  if (status_known && WIFEXITED(status)) printf(",\"code\":%d,\"signal\":null", WEXITSTATUS(status));
  else if (status_known && WIFSIGNALED(status)) printf(",\"code\":null,\"signal\":%d", WTERMSIG(status));
  else if (timed_out) printf(",\"code\":null,\"signal\":%d", SIGKILL);
  else fputs(",\"code\":null,\"signal\":null", stdout);
  printf(",\"timed_out\":%s,\"stdout_b64\":\"", timed_out ? "true" : "false");
  put_base64(out->buf, out->len);
  printf("\",\"stdout_bytes\":%llu,\"stderr_b64\":\"", out->total);
  put_base64(err->buf, err->len);
  printf("\",\"stderr_bytes\":%llu}\n", err->total);
  fflush(stdout);
}

/* Reads what is there; returns the number of bytes read (0 at EOF, which closes the fd). */
static ssize_t drain(struct capture *c, unsigned char *chunk, size_t size) {
  ssize_t n = read(c->fd, chunk, size);
  if (n < 0) return errno == EINTR || errno == EAGAIN ? -1 : 0;
  if (n == 0) {
    close(c->fd);
    c->fd = -1;
    return 0;
  }
  size_t keep = c->len < c->max ? c->max - c->len : 0;
  if (keep > (size_t)n) keep = (size_t)n;
  memcpy(c->buf + c->len, chunk, keep);
  c->len += keep;
  c->total += (unsigned long long)n;
  return n;
}

int main(int argc, char **argv) {
  unsigned long long timeout_ms = 0, max_output = 4u << 20, settle_ms = 0;
  const char *marker = NULL;
  int i = 1;
  for (; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) { i++; break; }
    if (i + 1 >= argc) usage("a flag needs a value");
    if (strcmp(argv[i], "--timeout-ms") == 0) timeout_ms = number("--timeout-ms", argv[++i]);
    else if (strcmp(argv[i], "--marker") == 0) marker = argv[++i];
    else if (strcmp(argv[i], "--max-output") == 0) max_output = number("--max-output", argv[++i]);
    else if (strcmp(argv[i], "--settle-ms") == 0) settle_ms = number("--settle-ms", argv[++i]);
    else usage("unknown flag");
  }
  if (i >= argc) usage("no command after --");
  char **child_argv = argv + i;

  /* lead our own group, so the timeout's group kill reaches only what we started */
  if (getpgrp() != getpid()) setpgid(0, 0);
  signal(SIGCHLD, SIG_DFL); /* an inherited SIG_IGN would reap the child before waitpid sees its status */

  struct capture out = {.max = max_output}, err = {.max = max_output};
  out.buf = malloc(max_output ? max_output : 1);
  err.buf = malloc(max_output ? max_output : 1);
  int po[2], pe[2];
  if (!out.buf || !err.buf || pipe2(po, O_CLOEXEC) || pipe2(pe, O_CLOEXEC)) { perror("startup-spawner: setup"); return 2; }
  out.fd = po[0];
  err.fd = pe[0];

  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, po[1], 1);
  posix_spawn_file_actions_adddup2(&fa, pe[1], 2);
  posix_spawnattr_t at;
  posix_spawnattr_init(&at);
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&at, &none);
  posix_spawnattr_setsigdefault(&at, &all);
  posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

  if (settle_ms) {
    struct timespec s = {.tv_sec = (time_t)(settle_ms / 1000), .tv_nsec = (long)(settle_ms % 1000) * 1000000L};
    while (nanosleep(&s, &s) && errno == EINTR) {}
  }
  pid_t pid;
  uint64_t t0 = now_ns();
  int rc = posix_spawnp(&pid, child_argv[0], &fa, &at, child_argv, environ);
  close(po[1]);
  close(pe[1]);
  if (rc != 0) {
    report(0, strerror(rc), t0, 0, 0, 0, 0, 0, 0, &out, &err);
    return 0;
  }

  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* -1 on kernels before 5.3: then waitpid is polled every ms */
  uint64_t deadline = timeout_ms ? t0 + timeout_ms * 1000000ull : 0;
  uint64_t first = 0, marker_at = 0, exited = 0;
  int status = 0, status_known = 0;
  size_t mlen = marker ? strlen(marker) : 0;
  char *line = malloc(mlen + 2);
  size_t line_len = 0;
  int line_too_long = 0;
  static unsigned char chunk[65536];

  while (out.fd >= 0 || err.fd >= 0 || !status_known) {
    struct pollfd p[3];
    int n = 0, io = -1, ie = -1, ip = -1;
    if (out.fd >= 0) { io = n; p[n++] = (struct pollfd){.fd = out.fd, .events = POLLIN}; }
    if (err.fd >= 0) { ie = n; p[n++] = (struct pollfd){.fd = err.fd, .events = POLLIN}; }
    if (!status_known && pidfd >= 0) { ip = n; p[n++] = (struct pollfd){.fd = pidfd, .events = POLLIN}; }
    int wait_ms = -1;
    if (deadline) {
      uint64_t t = now_ns();
      if (t >= deadline) {
        report(pid, NULL, t0, first, marker_at, exited, status_known, status, 1, &out, &err);
        kill(0, SIGKILL); /* the child's group is ours: this ends it, whatever it forked, and us */
        return 1;
      }
      wait_ms = (int)((deadline - t + 999999) / 1000000);
    }
    if (!status_known && pidfd < 0 && (wait_ms < 0 || wait_ms > 1)) wait_ms = 1;
    int ready = poll(p, (nfds_t)n, wait_ms);
    uint64_t t = now_ns();
    if (ready < 0 && errno != EINTR) { perror("startup-spawner: poll"); return 2; }
    if (io >= 0 && p[io].revents) {
      ssize_t got = drain(&out, chunk, sizeof chunk);
      if (got > 0 && !first) first = t;
      for (ssize_t k = 0; marker && !marker_at && k < got; k++) {
        if (chunk[k] == '\n') {
          size_t l = line_len;
          if (l > 0 && line[l - 1] == '\r') l--;
          if (!line_too_long && l == mlen && memcmp(line, marker, mlen) == 0) marker_at = t;
          line_len = 0;
          line_too_long = 0;
        } else if (line_len < mlen + 1) {
          line[line_len++] = (char)chunk[k];
        } else {
          line_too_long = 1;
        }
      }
    }
    if (ie >= 0 && p[ie].revents) drain(&err, chunk, sizeof chunk);
    if (!status_known && (pidfd < 0 || (ip >= 0 && p[ip].revents))) {
      pid_t w = waitpid(pid, &status, WNOHANG);
      if (w == pid) { status_known = 1; exited = t; }
      else if (w < 0 && errno != EINTR) { perror("startup-spawner: waitpid"); return 2; }
    }
  }
  report(pid, NULL, t0, first, marker_at, exited, status_known, status, 0, &out, &err);
  return 0;
}
