/*
 * rt_interposer.h - catch what must never happen inside an audio callback.
 *
 * Linking rt_interposer.c into a test program (with -rdynamic) replaces
 * malloc, calloc, realloc, free, aligned_alloc, posix_memalign, the pthread
 * mutex and condition-variable waits, sleeps, open/read/write/close and the
 * common stdio calls for the whole process, including calls made inside
 * PortAudio, JACK and libc.  Each replacement checks a thread-local flag that
 * says "this thread is inside the callback"; if it is set, the call is
 * counted as a violation (and then performed, so the program carries on).
 * Nothing is printed from inside: the test reads the count afterwards.
 *
 * The flag is raised by rt_enter()/rt_leave() around a host's own processing
 * (pull mode), and by lull_player's audio callback through its test hooks
 * lull_rt_callback_enter/leave, which this file defines.
 */
#ifndef LULL_RT_INTERPOSER_H
#define LULL_RT_INTERPOSER_H

void rt_enter(void);
void rt_leave(void);
/* Violations since the last rt_reset, and the name of the first one. */
long rt_violations(void);
const char *rt_first_violation(void);
void rt_reset(void);
/* How many times lull_player's callback raised the flag. */
long rt_player_callbacks(void);
/* Make the next lull_player callback allocate inside the flag (the proof
 * that the player's path is watched). */
void rt_player_misbehave_once(void);

#endif
