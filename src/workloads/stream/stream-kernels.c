/*
 * isobench stream-kernels: the four STREAM memory-bandwidth kernels (Copy, Scale, Add, Triad),
 * single-threaded, reporting the best rate of each over ntimes passes, as STREAM 5.10 does.
 * Written for isobench (not derived from stream.c); compiled with gcc -O2 like the paper's STREAM.
 *
 * usage: stream-kernels ELEMENTS NTIMES
 * prints one JSON object on stdout; exit 0 only when every result validated.
 * Bytes counted per element: Copy and Scale 2 x 8, Add and Triad 3 x 8 (STREAM's convention);
 * MB = 10^6 bytes. The first pass is a warm-up and not counted when NTIMES > 1.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KERNELS 4
#define MAX_NTIMES 200 /* values grow 15x per pass; beyond ~260 passes they overflow a double */

/* external linkage, so the compiler must assume the timer calls can see the arrays and keeps every pass in place */
double *stream_arrays[3];

static const char *const names[KERNELS] = {"copy", "scale", "add", "triad"};
static const double words[KERNELS] = {2.0, 2.0, 3.0, 3.0};

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int fail(const char *msg) {
  fprintf(stderr, "stream-kernels: %s\n", msg);
  return 2;
}

static long parse_positive(const char *s, long max) {
  char *end = NULL;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno != 0 || end == s || *end != '\0' || v < 1 || v > max) return -1;
  return v;
}

/* relative error of every element against the value the same passes give on scalars */
static int check(const double *x, long n, double expect, double *worst) {
  *worst = 0.0;
  for (long i = 0; i < n; i++) {
    double err = fabs(x[i] - expect) / fabs(expect);
    if (!(err <= 1e-13)) { *worst = err; return 0; }
  }
  return 1;
}

int main(int argc, char **argv) {
  if (argc != 3) return fail("usage: stream-kernels ELEMENTS NTIMES");
  long n = parse_positive(argv[1], 4000000000L);
  long ntimes = parse_positive(argv[2], MAX_NTIMES);
  if (n < 1000) return fail("ELEMENTS must be an integer from 1000 to 4000000000");
  if (ntimes < 2) return fail("NTIMES must be an integer from 2 to 200");

  size_t bytes = (size_t)n * sizeof(double);
  double *a = aligned_alloc(64, (bytes + 63) / 64 * 64);
  double *b = aligned_alloc(64, (bytes + 63) / 64 * 64);
  double *c = aligned_alloc(64, (bytes + 63) / 64 * 64);
  if (!a || !b || !c) return fail("cannot allocate the three arrays (lower ELEMENTS or raise the instance memory)");
  stream_arrays[0] = a; stream_arrays[1] = b; stream_arrays[2] = c;

  /* touch every page before timing, so page faults are not measured */
  for (long i = 0; i < n; i++) { a[i] = 1.0; b[i] = 2.0; c[i] = 0.0; }

  const double s = 3.0;
  double best[KERNELS], worst_t[KERNELS], sum[KERNELS];
  for (int k = 0; k < KERNELS; k++) { best[k] = INFINITY; worst_t[k] = 0.0; sum[k] = 0.0; }

  for (long pass = 0; pass < ntimes; pass++) {
    double t[KERNELS], t0;
    t0 = now_s();
    for (long i = 0; i < n; i++) c[i] = a[i];
    t[0] = now_s() - t0;
    t0 = now_s();
    for (long i = 0; i < n; i++) b[i] = s * c[i];
    t[1] = now_s() - t0;
    t0 = now_s();
    for (long i = 0; i < n; i++) c[i] = a[i] + b[i];
    t[2] = now_s() - t0;
    t0 = now_s();
    for (long i = 0; i < n; i++) a[i] = b[i] + s * c[i];
    t[3] = now_s() - t0;
    if (pass == 0) continue; /* warm-up */
    for (int k = 0; k < KERNELS; k++) {
      if (t[k] < best[k]) best[k] = t[k];
      if (t[k] > worst_t[k]) worst_t[k] = t[k];
      sum[k] += t[k];
    }
  }

  double ea = 1.0, eb = 2.0, ec = 0.0;
  for (long pass = 0; pass < ntimes; pass++) { ec = ea; eb = s * ec; ec = ea + eb; ea = eb + s * ec; }
  double wa, wb, wc;
  int ok = check(a, n, ea, &wa) & check(b, n, eb, &wb) & check(c, n, ec, &wc);
  if (!ok) {
    fprintf(stderr, "stream-kernels: validation failed (relative errors a=%g b=%g c=%g)\n", wa, wb, wc);
    return 3;
  }
  for (int k = 0; k < KERNELS; k++) {
    if (!(best[k] > 0.0)) return fail("a kernel took no measurable time (raise ELEMENTS)");
  }

  printf("{\"implementation\":\"isobench stream-kernels 1\",\"elements\":%ld,\"ntimes\":%ld,"
         "\"bytes_per_word\":%zu,\"validated\":true,\"kernels\":{",
         n, ntimes, sizeof(double));
  for (int k = 0; k < KERNELS; k++) {
    double mb = words[k] * (double)bytes / 1e6;
    printf("%s\"%s\":{\"best_mbps\":%.3f,\"min_s\":%.9f,\"avg_s\":%.9f,\"max_s\":%.9f}", k ? "," : "",
           names[k], mb / best[k], best[k], sum[k] / (double)(ntimes - 1), worst_t[k]);
  }
  printf("}}\n");
  free(a); free(b); free(c);
  return fflush(stdout) == 0 ? 0 : 4;
}
