/* The Licentia client SDK, C API.
 *
 * Conventions (they hold for every function here):
 *  - Names start with licentia_. Handles are opaque pointers created by a
 *    licentia_*_new/open function and released by the matching *_free/close
 *    function; passing NULL to a release function is a no-op.
 *  - Functions that can fail return an int: LICENTIA_OK (0) on success,
 *    otherwise a stable error code (the values of licentia_error_name's
 *    table never change; new codes are only appended). The sentence for a
 *    person is licentia_last_error(), valid on the calling thread until its
 *    next licentia_ call.
 *  - Misuse (a NULL handle or argument) returns LICENTIA_ERR_INVALID_REQUEST
 *    and changes nothing; it is distinguished from failures of the
 *    operation itself.
 *  - Strings are UTF-8, NUL-terminated. Strings returned through a char**
 *    are owned by the caller and released with licentia_free_string.
 *  - No C++ exception ever crosses this interface.
 *  - A licentia_manager may be used from several threads at once.
 */
#ifndef LICENTIA_LICENTIA_H_
#define LICENTIA_LICENTIA_H_

#ifdef __cplusplus
extern "C" {
#endif

/* Every error code, from licentia/error_codes.def: LICENTIA_ERR_OK (0),
 * LICENTIA_ERR_INVALID_REQUEST (1), ... LICENTIA_ERR_CURRENT_LICENSE_VALID,
 * with the same numbers and names as the HTTP API and the CLI. */
enum {
#define LICENTIA_ERROR_CODE(enumerator, name, http, exit, advice) \
  LICENTIA_ERR_##name,
#include "licentia/error_codes.def"
#undef LICENTIA_ERROR_CODE
  LICENTIA_ERROR_CODE_COUNT
};
#define LICENTIA_OK LICENTIA_ERR_OK

typedef struct licentia_config licentia_config;
typedef struct licentia_manager licentia_manager;

/* The stable name of an error code, e.g. "CODE_BLOCKED"; "UNKNOWN" for a
 * value that is not a code. Never NULL; static storage. */
const char* licentia_error_name(int code);
/* The sentence describing the last failure on this thread ("" if none). */
const char* licentia_last_error(void);

licentia_config* licentia_config_new(void);
void licentia_config_free(licentia_config* config);
/* Sets one setting by name: "server_url", "product", "app_version",
 * "state_dir", "fingerprint", "device_name", "public_key" (repeatable: each
 * call adds a trusted key), "timeout_ms", "sync_interval_seconds", and for
 * push: "push" ("on", the default, or "off"), "wait_seconds" (1-300),
 * "reconnect_initial_ms", "reconnect_max_ms".
 * LICENTIA_ERR_INVALID_REQUEST for an unknown name or a bad value. */
int licentia_config_set(licentia_config* config, const char* name,
                        const char* value);

/* Opens the license manager; *out is set only on success. */
int licentia_open(const licentia_config* config, licentia_manager** out);
void licentia_close(licentia_manager* manager);

int licentia_activate(licentia_manager* manager, const char* code);
int licentia_add_reserve(licentia_manager* manager, const char* code);
int licentia_remove_reserve(licentia_manager* manager);
int licentia_remove_license_key(licentia_manager* manager);
int licentia_sync(licentia_manager* manager);
/* The fast offline check: LICENTIA_OK means the application may run
 * licensed. */
int licentia_check(licentia_manager* manager);
int licentia_try_again(licentia_manager* manager);
int licentia_activate_now(licentia_manager* manager);
/* Does what is due now (sync, rollover, retries); call it periodically. */
int licentia_tick(licentia_manager* manager);

/* The management console (docs/console.md). licentia_connect links this
 * device to the account whose console showed `connect_code` (XXXX-XXXX);
 * on success *account_out (free it with licentia_free_string; may be NULL
 * if not wanted) is the account's email address.
 * LICENTIA_ERR_CONNECT_CODE_INVALID if the code is unknown, used or
 * expired. licentia_disconnect ends the connection
 * (LICENTIA_ERR_NOT_CONNECTED if there is none). */
int licentia_connect(licentia_manager* manager, const char* connect_code,
                     char** account_out);
int licentia_disconnect(licentia_manager* manager);

/* Push: changes made on the server (a block, new terms, a released seat, a
 * reserve changed) reach the device within moments while it holds a wait
 * on the server (docs/sdk.md, "Push"). Two ways to hold it:
 *
 *  - licentia_agent_start: the SDK runs the agent on a thread of its own;
 *    the application owns no thread. `on_change` (may be NULL) is called
 *    on that thread with `user_data` whenever the license details have
 *    changed: re-read them there or post a message to the UI thread. It
 *    must return promptly and must not call licentia_agent_stop or
 *    licentia_close. licentia_agent_stop (and licentia_close) stop the
 *    agent and join its thread. LICENTIA_ERR_CONFLICT if it already runs.
 *
 *  - licentia_step: one step of the agent, for an application that drives
 *    it from a loop or thread of its own: does what is due (as
 *    licentia_tick), then blocks for at most max_wait_ms until the server
 *    reports a change, the device's next due work, or licentia_interrupt.
 *    Returns LICENTIA_OK after an answer, LICENTIA_ERR_UNAVAILABLE while
 *    the server cannot be reached (it then waits out a growing, jittered
 *    delay rather than asking again).
 *
 * Neither holds a lock while waiting: licentia_check, licentia_details_json
 * and every other call proceed on other threads meanwhile.
 * licentia_interrupt ends a step in progress at once (or the next one);
 * it may be called from any thread. */
typedef void (*licentia_change_callback)(void* user_data);
int licentia_agent_start(licentia_manager* manager,
                         licentia_change_callback on_change, void* user_data);
int licentia_agent_stop(licentia_manager* manager);
int licentia_step(licentia_manager* manager, long max_wait_ms);
int licentia_interrupt(licentia_manager* manager);

/* Offline activation by file (docs/offline-files.md), for a device that
 * never reaches the server: the request's text is returned through
 * *request_out (free it with licentia_free_string) for the vendor, whose
 * answer licentia_import_offline_response takes. A deactivation request
 * removes the license key at once. */
int licentia_offline_activation_request(licentia_manager* manager,
                                        const char* code, char** request_out);
int licentia_offline_deactivation_request(licentia_manager* manager,
                                          char** request_out);
int licentia_offline_reserve_request(licentia_manager* manager,
                                     const char* reserve_code,
                                     char** request_out);
int licentia_offline_prepare_request(licentia_manager* manager,
                                     char** request_out);
int licentia_import_offline_response(licentia_manager* manager,
                                     const char* response);

/* The license details as a JSON object (the same fields as
 * `licentia details --json`). */
int licentia_details_json(licentia_manager* manager, char** json_out);
void licentia_free_string(char* s);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* LICENTIA_LICENTIA_H_ */
