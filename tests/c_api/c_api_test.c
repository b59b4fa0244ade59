/* A plain C program using the C API, as an application written in C would.
 * Offline checks always run; with LICENTIA_TEST_SERVER, LICENTIA_TEST_KEY,
 * LICENTIA_TEST_STATE_DIR, LICENTIA_TEST_CODE and LICENTIA_TEST_RESERVE set
 * (tests/integration/c_api_harness_test.cc does that) it also activates,
 * adds a reserve and removes the key against a real server.
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "licentia/licentia.h"

static int passed = 0;
static int failed = 0;

#define EXPECT(cond)                                                   \
  do {                                                                 \
    if (cond) {                                                        \
      ++passed;                                                        \
    } else {                                                           \
      ++failed;                                                        \
      fprintf(stderr, "FAILED %s:%d: %s (last error: %s)\n", __FILE__, \
              __LINE__, #cond, licentia_last_error());                 \
    }                                                                  \
  } while (0)

static licentia_config* make_config(const char* server, const char* key,
                                    const char* state_dir) {
  licentia_config* c = licentia_config_new();
  EXPECT(c != NULL);
  EXPECT(licentia_config_set(c, "server_url", server) == LICENTIA_OK);
  EXPECT(licentia_config_set(c, "public_key", key) == LICENTIA_OK);
  EXPECT(licentia_config_set(c, "product", "photo") == LICENTIA_OK);
  EXPECT(licentia_config_set(c, "app_version", "22.0") == LICENTIA_OK);
  EXPECT(licentia_config_set(c, "state_dir", state_dir) == LICENTIA_OK);
  EXPECT(licentia_config_set(c, "fingerprint", "c-device") == LICENTIA_OK);
  EXPECT(licentia_config_set(c, "timeout_ms", "3000") == LICENTIA_OK);
  return c;
}

static void offline_checks(void) {
  licentia_manager* m = NULL;
  licentia_config* c = licentia_config_new();
  /* Misuse is refused and distinguished from failures. */
  EXPECT(licentia_open(NULL, &m) == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_open(c, NULL) == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_activate(NULL, "x") == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_check(NULL) == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_config_set(c, "no_such_setting", "1") ==
         LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_config_set(c, "timeout_ms", "soon") ==
         LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_config_set(c, NULL, "x") == LICENTIA_ERR_INVALID_REQUEST);
  /* An incomplete configuration fails with a sentence, and no handle. */
  EXPECT(licentia_open(c, &m) == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(m == NULL);
  EXPECT(strlen(licentia_last_error()) > 0);
  licentia_config_free(c);
  licentia_config_free(NULL);
  licentia_close(NULL);
  licentia_free_string(NULL);
  EXPECT(strcmp(licentia_error_name(LICENTIA_ERR_CODE_BLOCKED),
                "CODE_BLOCKED") == 0);
  EXPECT(strcmp(licentia_error_name(-5), "UNKNOWN") == 0);
  EXPECT(strcmp(licentia_error_name(100000), "UNKNOWN") == 0);
}

static void online_checks(const char* server, const char* key,
                          const char* state_dir, const char* code,
                          const char* reserve) {
  licentia_config* c = make_config(server, key, state_dir);
  licentia_manager* m = NULL;
  char* json = NULL;
  EXPECT(licentia_open(c, &m) == LICENTIA_OK);
  licentia_config_free(c);
  if (m == NULL) return;
  EXPECT(licentia_check(m) == LICENTIA_ERR_NO_CURRENT_LICENSE);
  /* A typing mistake is caught locally. */
  EXPECT(licentia_activate(m, "AAAAA-AAAAA-AAAAA-AAAAA") ==
         LICENTIA_ERR_INVALID_CODE_FORMAT);
  EXPECT(licentia_activate(m, code) == LICENTIA_OK);
  EXPECT(licentia_check(m) == LICENTIA_OK);
  EXPECT(licentia_add_reserve(m, reserve) == LICENTIA_OK);
  EXPECT(licentia_add_reserve(m, reserve) == LICENTIA_ERR_RESERVE_ALREADY_SET);
  EXPECT(licentia_details_json(m, &json) == LICENTIA_OK);
  EXPECT(json != NULL && strstr(json, "\"state\":\"active\"") != NULL);
  EXPECT(json != NULL && strstr(json, "\"state\":\"waiting\"") != NULL);
  licentia_free_string(json);
  /* Removing the key hands over to the reserve. */
  EXPECT(licentia_remove_license_key(m) == LICENTIA_OK);
  EXPECT(licentia_check(m) == LICENTIA_OK);
  EXPECT(licentia_details_json(m, &json) == LICENTIA_OK);
  EXPECT(json != NULL && strstr(json, reserve + 18) != NULL);
  EXPECT(json != NULL &&
         strstr(json, "\"reserve\":{\"state\":\"none\"") != NULL);
  licentia_free_string(json);
  EXPECT(licentia_remove_reserve(m) == LICENTIA_ERR_NO_RESERVE);
  EXPECT(licentia_tick(m) == LICENTIA_OK);
  licentia_close(m);
}

int main(void) {
  const char* server = getenv("LICENTIA_TEST_SERVER");
  offline_checks();
  if (server != NULL) {
    online_checks(
        server, getenv("LICENTIA_TEST_KEY"), getenv("LICENTIA_TEST_STATE_DIR"),
        getenv("LICENTIA_TEST_CODE"), getenv("LICENTIA_TEST_RESERVE"));
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
