/* A small xorshift64* generator for the test tools' random faults:
 * repeatable from a seed, not for anything that needs real randomness. */
#ifndef TOOLS_RNG_H
#define TOOLS_RNG_H

#include <stdint.h>

static inline uint64_t rng_next(uint64_t *s)
{
	uint64_t x = *s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*s = x;
	return x * 2685821657736338717ULL;
}

/* Uniform in [0, 1). */
static inline double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* Seed s from seed mixed with salt (never 0: xorshift would stay 0). */
static inline void rng_seed_salted(uint64_t *s, uint64_t seed, uint64_t salt)
{
	*s = (seed ^ salt) * 0x9E3779B97F4A7C15ULL + 1;
	if (!*s)
		*s = 1;
}

#endif
