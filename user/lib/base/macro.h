/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Small helpers in the manner of systemd's src/basic/macro.h: cleanup
 * attributes so every exit path frees what it owns, and pointer hand-off.
 * Plain C and libc only: the CLI includes it and builds without OpenSSL.
 * Our own definitions; nothing here is copied.
 */
#ifndef CVM_MACRO_H
#define CVM_MACRO_H

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <unistd.h>


#define _cleanup_(f) __attribute__((cleanup(f)))
#define _unused_ __attribute__((unused))
#define _printf_(a, b) __attribute__((format(printf, a, b)))
#define _pure_ __attribute__((pure))
#define _warn_unused_result_ __attribute__((warn_unused_result))

#define ELEMENTSOF(x) (sizeof(x) / sizeof((x)[0]))

/* Take ownership of *p and leave NULL behind, so a cleanup does not free it. */
#define TAKE_PTR(p)                                   \
	__extension__({                               \
		__typeof__(p) _ptr_ = (p);            \
		(p) = NULL;                           \
		_ptr_;                                \
	})

/* The same for a file descriptor: leaves -1 behind. */
#define TAKE_FD(fd)                          \
	__extension__({                      \
		int _fd_ = (fd);             \
		(fd) = -1;                   \
		_fd_;                        \
	})

static inline void freep(void *p)
{
	free(*(void **)p);
}
#define _cleanup_free_ _cleanup_(freep)

static inline void closep(int *fd)
{
	if (*fd >= 0)
		close(*fd);
}
#define _cleanup_close_ _cleanup_(closep)

static inline void fclosep(FILE **f)
{
	if (*f)
		fclose(*f);
}
#define _cleanup_fclose_ _cleanup_(fclosep)

/* Define name##p(type *) that calls func() on a non-NULL pointer. */
#define DEFINE_TRIVIAL_CLEANUP_FUNC(type, func)              \
	static inline void func##p(type *p)                  \
	{                                                    \
		if (*p)                                      \
			func(*p);                            \
	}

#endif /* CVM_MACRO_H */
