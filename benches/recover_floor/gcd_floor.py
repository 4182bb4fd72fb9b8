"""The floor under key recovery with the GMP that gmpy2 bundles (or FLINT through
python-flint): the computation of gcd_floor.c. CPU times (the machine may be shared).

    python3 -m venv venv && venv/bin/pip install gmpy2 python-flint
    venv/bin/python gcd_floor.py 2048 gmpy2      # or: flint
"""

import random
import sys
import time

bits = int(sys.argv[1]) if len(sys.argv) > 1 else 2048
library = sys.argv[2] if len(sys.argv) > 2 else "gmpy2"
e = 65537
if library == "flint":
    import flint

    big = flint.fmpz
    gcd = lambda a, b: a.gcd(b)
    version = f"python-flint {flint.__version__}, FLINT {flint.__FLINT_VERSION__}"
else:
    import gmpy2

    big = gmpy2.mpz
    gcd = gmpy2.gcd
    version = f"gmpy2 {gmpy2.version()}, {gmpy2.mp_version()}"
print(f"{version}, {bits}-bit numbers, e = {e}")
rng = random.Random(42)
s1, s2, m1, m2 = (big(rng.getrandbits(bits)) for _ in range(4))
c0, w0 = time.process_time(), time.perf_counter()
a = s1**e - m1
b = s2**e - m2
c1, w1 = time.process_time(), time.perf_counter()
print(f"two powers: cpu {c1 - c0:.2f} s, wall {w1 - w0:.2f} s")
g = gcd(a, b)
c2, w2 = time.process_time(), time.perf_counter()
print(f"gcd: cpu {c2 - c1:.2f} s, wall {w2 - w1:.2f} s")
