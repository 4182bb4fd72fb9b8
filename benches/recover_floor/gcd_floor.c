/* The floor under key recovery (src/auth/recover.rs, benches/recover.rs): GMP alone, on the
 * same computation: two random `bits`-bit numbers raised to e, a random number subtracted
 * from each, and the gcd of the two results. Prints the GMP version, the CPU time of each
 * step (the machine may be shared: compare CPU times) and the wall time.
 *
 *   cc -O2 -o gcd_floor gcd_floor.c -lgmp && ./gcd_floor 2048        # the system's GMP
 *   cc -O2 -I/opt/gmp/include -o gcd_floor gcd_floor.c /opt/gmp/lib/libgmp.a   # another build
 */
#include <gmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double seconds(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv) {
  int bits = argc > 1 ? atoi(argv[1]) : 2048;
  unsigned long e = argc > 2 ? strtoul(argv[2], NULL, 10) : 65537;
  gmp_randstate_t rng;
  mpz_t s1, s2, m1, m2, a, b, g;
  double c0, w0, c1, w1, c2, w2;

  printf("GMP %s, %d-bit numbers, e = %lu\n", gmp_version, bits, e);
  gmp_randinit_default(rng);
  gmp_randseed_ui(rng, 42);
  mpz_inits(s1, s2, m1, m2, a, b, g, NULL);
  mpz_urandomb(s1, rng, bits);
  mpz_urandomb(s2, rng, bits);
  mpz_urandomb(m1, rng, bits);
  mpz_urandomb(m2, rng, bits);

  c0 = seconds(CLOCK_PROCESS_CPUTIME_ID);
  w0 = seconds(CLOCK_MONOTONIC);
  mpz_pow_ui(a, s1, e);
  mpz_sub(a, a, m1);
  mpz_pow_ui(b, s2, e);
  mpz_sub(b, b, m2);
  c1 = seconds(CLOCK_PROCESS_CPUTIME_ID);
  w1 = seconds(CLOCK_MONOTONIC);
  printf("two powers: cpu %.2f s, wall %.2f s (%zu bits each)\n", c1 - c0, w1 - w0,
         mpz_sizeinbase(a, 2));
  fflush(stdout);
  mpz_gcd(g, a, b);
  c2 = seconds(CLOCK_PROCESS_CPUTIME_ID);
  w2 = seconds(CLOCK_MONOTONIC);
  printf("gcd: cpu %.2f s, wall %.2f s\n", c2 - c1, w2 - w1);
  mpz_clears(s1, s2, m1, m2, a, b, g, NULL);
  gmp_randclear(rng);
  return 0;
}
