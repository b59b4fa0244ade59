// Forwards to the public header: the SDK takes an injected Clock.
#ifndef LICENTIA_CORE_CLOCK_H_
#define LICENTIA_CORE_CLOCK_H_
#include "licentia/clock.h"
#endif  // LICENTIA_CORE_CLOCK_H_
