/* core/rng.c — the one seeded generator of the library: xoshiro256**
 * (Blackman & Vigna, "Scrambled linear pseudorandom number generators", ACM
 * TOMS 47(4), 2021) with its 256-bit state expanded from a 64-bit seed by
 * splitmix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014), as its authors advise. The motion layer, the
 * dataset generator and the metrics draw from it; each stage keeps its own
 * distributions on top. */
#include "core/internal.h"

uint64_t as_splitmix64(uint64_t *x)
{
    /* A 64-bit counter with the golden-ratio increment, then a bijective mix
     * (the constants and shifts of the reference splitmix64.c). */
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void as_rng_seed(as_rng *rng, uint64_t seed, uint64_t stream)
{
    /* Mix the stream id into the seed with a second odd constant so streams of
     * one seed, and equal streams of nearby seeds, start far apart. */
    uint64_t x = seed ^ (stream * 0xd1b54a32d192ed03ULL);
    for (int i = 0; i < 4; i++) rng->s[i] = as_splitmix64(&x);
    /* splitmix64 is a bijection of a counter, so four consecutive outputs
     * are never all zero: the forbidden all-zero xoshiro state cannot occur. */
}

uint64_t as_rng_next(as_rng *rng)
{
    uint64_t *s = rng->s;
    const uint64_t result = rotl64(s[1] * 5, 7) * 9;
    const uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl64(s[3], 45);
    return result;
}
