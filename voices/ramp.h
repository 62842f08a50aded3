/*
 * ramp.h - the per-frame step of a linear ramp over a control segment, as
 * the voices' control() functions compute it.
 *
 * A segment is almost always LULL_CONTROL_FRAMES or LULL_CONTROL_FINE long
 * (the mixer's grids); dividing by such a constant lets the compiler use a
 * shift (integers) or a multiply by the exact reciprocal of a power of two
 * (doubles) instead of a division, which costs 10 to 40 cycles and, for a
 * gliding voice, is paid on every segment.  The results are exactly those of the division: C's
 * integer division truncates either way, and x / 2^k and x * 2^-k are the
 * same rounding of the same exact value.  [RT]
 *
 * MIT licence; see LICENSE.
 */
#ifndef LULL_RAMP_H
#define LULL_RAMP_H

#include "lull_voice.h"

#include <stdint.h>

/* diff / frames, truncated toward zero (frames >= 1). */
static inline int64_t lull_ramp_step(int64_t diff, int frames)
{
    if (frames == LULL_CONTROL_FRAMES)
        return diff / LULL_CONTROL_FRAMES;
    if (frames == LULL_CONTROL_FINE)
        return diff / LULL_CONTROL_FINE;
    return diff / frames;
}

/* diff / frames in double (frames >= 1). */
static inline double lull_ramp_slope(double diff, int frames)
{
    if (frames == LULL_CONTROL_FRAMES)
        return diff / (double)LULL_CONTROL_FRAMES;
    if (frames == LULL_CONTROL_FINE)
        return diff / (double)LULL_CONTROL_FINE;
    return diff / (double)frames;
}

#endif
