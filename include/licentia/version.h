// Licentia's version, for applications embedding the SDK.
#ifndef LICENTIA_VERSION_H_
#define LICENTIA_VERSION_H_

#define LICENTIA_VERSION_MAJOR 0
#define LICENTIA_VERSION_MINOR 1
#define LICENTIA_VERSION_PATCH 0
#define LICENTIA_VERSION_STRING "0.1.0"

#endif  // LICENTIA_VERSION_H_
