// Forwards to the public header: Status is part of the SDK surface.
#ifndef LICENTIA_CORE_STATUS_H_
#define LICENTIA_CORE_STATUS_H_
#include "licentia/status.h"
#endif  // LICENTIA_CORE_STATUS_H_
