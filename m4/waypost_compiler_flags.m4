dnl waypost_compiler_flags.m4 - warning, hardening, sanitizer and fuzzing flags
dnl
dnl Everything lands in WAYPOST_CFLAGS, WAYPOST_CPPFLAGS and WAYPOST_LDFLAGS,
dnl which Makefile.am puts in AM_*FLAGS, never in the user's CFLAGS: configure's
dnl own checks must not run under -Werror, and the user's flags come last.

dnl WAYPOST_ADD_FLAG(VARIABLE, FLAG): append FLAG when the compiler and linker
dnl accept it without a warning.
AC_DEFUN([WAYPOST_ADD_FLAG],
[AS_VAR_PUSHDEF([cache], [waypost_cv_flag_$2])
AC_CACHE_CHECK([whether $CC accepts $2], [cache],
  [save_CFLAGS=$CFLAGS
   save_LDFLAGS=$LDFLAGS
   CFLAGS="$CFLAGS -Werror $2"
   LDFLAGS="$LDFLAGS $2"
   AC_LINK_IFELSE([AC_LANG_PROGRAM([], [])],
                  [AS_VAR_SET([cache], [yes])], [AS_VAR_SET([cache], [no])])
   CFLAGS=$save_CFLAGS
   LDFLAGS=$save_LDFLAGS])
AS_VAR_IF([cache], [yes], [$1="$$1 $2"])
AS_VAR_POPDEF([cache])])

AC_DEFUN([WAYPOST_COMPILER_FLAGS],
[
AC_ARG_ENABLE([werror],
  [AS_HELP_STRING([--enable-werror], [treat compiler warnings as errors (CI uses it)])],
  [], [enable_werror=no])
AC_ARG_ENABLE([sanitizers],
  [AS_HELP_STRING([--enable-sanitizers], [build with AddressSanitizer and UndefinedBehaviorSanitizer])],
  [], [enable_sanitizers=no])
AC_ARG_ENABLE([fuzzing],
  [AS_HELP_STRING([--enable-fuzzing], [build the libFuzzer targets in tests/fuzz (needs CC=clang)])],
  [], [enable_fuzzing=no])
AC_ARG_ENABLE([hardening],
  [AS_HELP_STRING([--disable-hardening], [do not add stack protector, FORTIFY_SOURCE, PIE and RELRO flags])],
  [], [enable_hardening=yes])

WAYPOST_CFLAGS=
WAYPOST_CPPFLAGS=
WAYPOST_LDFLAGS=
for flag in -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wpointer-arith -Wvla -Wnull-dereference; do
	WAYPOST_ADD_FLAG([WAYPOST_CFLAGS], [$flag])
done

AS_IF([test "x$enable_hardening" = xyes], [
	WAYPOST_ADD_FLAG([WAYPOST_CFLAGS], [-fstack-protector-strong])
	WAYPOST_ADD_FLAG([WAYPOST_CFLAGS], [-fPIE])
	WAYPOST_ADD_FLAG([WAYPOST_LDFLAGS], [-pie])
	WAYPOST_ADD_FLAG([WAYPOST_LDFLAGS], [-Wl,-z,relro,-z,now])
	dnl FORTIFY_SOURCE needs optimization and fights with ASan's interceptors.
	AS_IF([test "x$enable_sanitizers" = xno],
	      [WAYPOST_CPPFLAGS="$WAYPOST_CPPFLAGS -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2"])
])

SANITIZER_FLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
AS_IF([test "x$enable_sanitizers" = xyes], [
	save_flags=$WAYPOST_CFLAGS
	WAYPOST_ADD_FLAG([WAYPOST_CFLAGS], [$SANITIZER_FLAGS])
	AS_IF([test "x$save_flags" = "x$WAYPOST_CFLAGS"],
	      [AC_MSG_ERROR([$CC cannot build with $SANITIZER_FLAGS: install gcc or clang with libasan/libubsan])])
	WAYPOST_LDFLAGS="$WAYPOST_LDFLAGS $SANITIZER_FLAGS"
])

FUZZ_LDFLAGS=
AS_IF([test "x$enable_fuzzing" = xyes], [
	AC_CACHE_CHECK([whether $CC can build libFuzzer targets], [waypost_cv_libfuzzer],
	  [save_CFLAGS=$CFLAGS
	   CFLAGS="$CFLAGS -fsanitize=fuzzer"
	   AC_LINK_IFELSE([AC_LANG_SOURCE([[
#include <stddef.h>
#include <stdint.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { (void)data; return (int)size * 0; }
]])], [waypost_cv_libfuzzer=yes], [waypost_cv_libfuzzer=no])
	   CFLAGS=$save_CFLAGS])
	AS_IF([test "x$waypost_cv_libfuzzer" = xno],
	      [AC_MSG_ERROR([--enable-fuzzing needs clang with libFuzzer: install the Debian package clang and run CC=clang ./configure --enable-fuzzing])])
	dnl Every object gets libFuzzer's coverage instrumentation, which needs
	dnl no runtime of its own: the fuzz targets link the very libraries the
	dnl daemons do, with libFuzzer's main(); the other programs link
	dnl without it. Fuzzing without the sanitizers would miss most bugs.
	WAYPOST_CFLAGS="$WAYPOST_CFLAGS -fsanitize=fuzzer-no-link"
	FUZZ_LDFLAGS="-fsanitize=fuzzer"
	AS_IF([test "x$enable_sanitizers" = xno], [
		WAYPOST_CFLAGS="$WAYPOST_CFLAGS $SANITIZER_FLAGS"
		WAYPOST_LDFLAGS="$WAYPOST_LDFLAGS $SANITIZER_FLAGS"])
])

AS_IF([test "x$enable_werror" = xyes], [WAYPOST_CFLAGS="$WAYPOST_CFLAGS -Werror"])

AC_SUBST([WAYPOST_CFLAGS])
AC_SUBST([WAYPOST_CPPFLAGS])
AC_SUBST([WAYPOST_LDFLAGS])
AC_SUBST([FUZZ_LDFLAGS])
AM_CONDITIONAL([ENABLE_FUZZING], [test "x$enable_fuzzing" = xyes])
])
