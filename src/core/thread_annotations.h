// Clang's thread-safety analysis (-Wthread-safety), as LevelDB's port does
// it: state guarded by a lock says so in a way the compiler checks. Other
// compilers see nothing. CI builds with Clang and -Werror=thread-safety
// (the "thread-safety" preset).
#ifndef LICENTIA_CORE_THREAD_ANNOTATIONS_H_
#define LICENTIA_CORE_THREAD_ANNOTATIONS_H_

#if defined(__clang__)
#define LICENTIA_THREAD_ANNOTATION(x) __attribute__((x))
#else
#define LICENTIA_THREAD_ANNOTATION(x)
#endif

// A type that is a lock.
#define CAPABILITY(x) LICENTIA_THREAD_ANNOTATION(capability(x))
// An RAII type that holds a lock for its lifetime.
#define SCOPED_CAPABILITY LICENTIA_THREAD_ANNOTATION(scoped_lockable)
// Data that may be used only with the lock held.
#define GUARDED_BY(x) LICENTIA_THREAD_ANNOTATION(guarded_by(x))
// A pointer whose target may be used only with the lock held.
#define PT_GUARDED_BY(x) LICENTIA_THREAD_ANNOTATION(pt_guarded_by(x))
// A function the caller must hold the lock(s) for.
#define REQUIRES(...) \
  LICENTIA_THREAD_ANNOTATION(requires_capability(__VA_ARGS__))
// A function that must be called without the lock(s) (it takes them).
#define EXCLUDES(...) LICENTIA_THREAD_ANNOTATION(locks_excluded(__VA_ARGS__))
// A function that takes / gives back the lock.
#define ACQUIRE(...) LICENTIA_THREAD_ANNOTATION(acquire_capability(__VA_ARGS__))
#define RELEASE(...) LICENTIA_THREAD_ANNOTATION(release_capability(__VA_ARGS__))
// A function the analysis cannot follow (say why where it is used).
#define NO_THREAD_SAFETY_ANALYSIS \
  LICENTIA_THREAD_ANNOTATION(no_thread_safety_analysis)

#endif  // LICENTIA_CORE_THREAD_ANNOTATIONS_H_
