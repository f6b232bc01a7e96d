/* klonos: export and linkage macros shared by every public header. */
#ifndef KLONOS_ATTRIBUTES_H
#define KLONOS_ATTRIBUTES_H

#if defined(_WIN32) && !defined(KLONOS_STATIC)
#  ifdef KLONOS_BUILDING
#    define KLONOS_API __declspec(dllexport)
#  else
#    define KLONOS_API __declspec(dllimport)
#  endif
#elif defined(__GNUC__)
#  define KLONOS_API __attribute__((visibility("default")))
#else
#  define KLONOS_API
#endif

#ifdef __cplusplus
#  define KLONOS_BEGIN_DECLS extern "C" {
#  define KLONOS_END_DECLS }
#else
#  define KLONOS_BEGIN_DECLS
#  define KLONOS_END_DECLS
#endif

#endif
