/**
 * @mainpage klonos
 * Turns body-worn accelerometer recordings into measurements of myoclonus and
 * ataxia. Naming: every symbol starts with klonos_ / KLONOS_; objects are opaque
 * handles with _open/_close (close takes a pointer to the handle and NULLs it);
 * every fallible function returns an int status (klonos_status, 0 = ok);
 * physical quantities carry their unit in their name (_hz, _s, _mps2).
 * Thread safety: distinct handles may be used from different threads at once;
 * one handle must not be used by two threads at the same time. The library
 * never prints, never exits and has no global mutable state.
 */
#ifndef KLONOS_KLONOS_H
#define KLONOS_KLONOS_H

#include "klonos/attributes.h"
#include "klonos/version.h"
#include "klonos/status.h"
#include "klonos/reader.h"
#include "klonos/analyzer.h"
#include "klonos/synth.h"

#endif
