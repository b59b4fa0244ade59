/* A plain C program using the C API, as an application written in C would.
 * Offline checks always run; with LICENTIA_TEST_SERVER, LICENTIA_TEST_KEY,
 * LICENTIA_TEST_STATE_DIR, LICENTIA_TEST_CODE and LICENTIA_TEST_RESERVE set
 * (tests/integration/c_api_harness_test.cc does that) it also activates,
 * adds a reserve and removes the key against a real server; with
 * LICENTIA_TEST_ADMIN_TOKEN and LICENTIA_TEST_RESERVE_ID too, it runs the
 * push agent and blocks the code through the admin API, as a vendor would,
 * to see the block arrive.
 * Prints "N passed, N failed" and exits non-zero on any failure. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
  EXPECT(licentia_config_set(c, "push", "maybe") ==
         LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_config_set(c, "wait_seconds", "301") ==
         LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_config_set(c, "push", "off") == LICENTIA_OK);
  EXPECT(licentia_config_set(c, "wait_seconds", "30") == LICENTIA_OK);
  EXPECT(licentia_config_set(c, "reconnect_initial_ms", "200") == LICENTIA_OK);
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

/* What the agent's callback shares with the waiting thread. */
struct changes {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int count;
};

static void on_change(void* user_data) {
  struct changes* c = (struct changes*)user_data;
  pthread_mutex_lock(&c->mu);
  ++c->count;
  pthread_cond_broadcast(&c->cv);
  pthread_mutex_unlock(&c->mu);
}

static int details_contain(licentia_manager* m, const char* text) {
  char* json = NULL;
  int found = licentia_details_json(m, &json) == LICENTIA_OK &&
              strstr(json, text) != NULL;
  licentia_free_string(json);
  return found;
}

static size_t discard(char* data, size_t size, size_t n, void* user) {
  (void)data;
  (void)user;
  return size * n;
}

/* The vendor blocks code `id` through the admin API. */
static int admin_block(const char* server, const char* token, const char* id) {
  char url[512];
  char auth[512];
  long status = 0;
  CURL* curl = curl_easy_init();
  struct curl_slist* headers = NULL;
  if (curl == NULL) return 0;
  snprintf(url, sizeof url, "%s/v1/admin/codes/%s/block", server, id);
  snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
  headers = curl_slist_append(headers, auth);
  headers = curl_slist_append(headers, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, "{\"reason\":\"chargeback\"}");
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  }
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return status == 200;
}

/* The agent runs on the SDK's thread; this thread only waits for its
 * callback, as an application's UI thread would wait for a message. */
static void push_checks(licentia_manager* m, const char* server,
                        const char* admin_token, const char* code_id) {
  struct changes c;
  struct timespec give_up;
  int blocked = 0;
  pthread_mutex_init(&c.mu, NULL);
  pthread_cond_init(&c.cv, NULL);
  c.count = 0;
  EXPECT(licentia_agent_start(NULL, NULL, NULL) ==
         LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_agent_start(m, on_change, &c) == LICENTIA_OK);
  EXPECT(licentia_agent_start(m, on_change, &c) == LICENTIA_ERR_CONFLICT);
  EXPECT(admin_block(server, admin_token, code_id));
  clock_gettime(CLOCK_REALTIME, &give_up);
  give_up.tv_sec += 60;
  pthread_mutex_lock(&c.mu);
  while (!(blocked = details_contain(m, "\"state\":\"blocked\"")) &&
         pthread_cond_timedwait(&c.cv, &c.mu, &give_up) == 0) {
  }
  pthread_mutex_unlock(&c.mu);
  EXPECT(blocked);
  EXPECT(c.count >= 1);
  EXPECT(licentia_check(m) == LICENTIA_ERR_CODE_BLOCKED);
  EXPECT(licentia_agent_stop(m) == LICENTIA_OK);
  EXPECT(licentia_agent_stop(m) == LICENTIA_OK); /* not running: no-op */
  /* Driving it by hand: an interrupt made before a step ends that step. */
  EXPECT(licentia_step(m, -1) == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_step(NULL, 0) == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_interrupt(NULL) == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_interrupt(m) == LICENTIA_OK);
  EXPECT(licentia_step(m, 600000) == LICENTIA_OK);
  pthread_cond_destroy(&c.cv);
  pthread_mutex_destroy(&c.mu);
}

static void connect_checks(licentia_manager* m, const char* connect_code);

static void online_checks(const char* server, const char* key,
                          const char* state_dir, const char* code,
                          const char* reserve, const char* admin_token,
                          const char* reserve_id) {
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
  /* Offline activation by file: the request is written without the
   * network; what is not a response is refused and changes nothing. */
  {
    char* request = NULL;
    EXPECT(licentia_offline_activation_request(m, "AAAAA-AAAAA-AAAAA-AAAAA",
                                               &request) ==
           LICENTIA_ERR_INVALID_CODE_FORMAT);
    EXPECT(licentia_offline_activation_request(m, code, NULL) ==
           LICENTIA_ERR_INVALID_REQUEST);
    EXPECT(licentia_offline_activation_request(m, code, &request) ==
           LICENTIA_OK);
    EXPECT(request != NULL &&
           strstr(request, "licentia-device-request/1") != NULL);
    licentia_free_string(request);
    EXPECT(licentia_import_offline_response(m, "{}") ==
           LICENTIA_ERR_INVALID_REQUEST);
    EXPECT(licentia_import_offline_response(m, NULL) ==
           LICENTIA_ERR_INVALID_REQUEST);
    EXPECT(licentia_check(m) == LICENTIA_OK);
  }
  if (admin_token != NULL && reserve_id != NULL) {
    push_checks(m, server, admin_token, reserve_id);
  }
  connect_checks(m, getenv("LICENTIA_TEST_CONNECT_CODE"));
  licentia_close(m);
}

/* Connecting the device to a console account, and disconnecting it. */
static void connect_checks(licentia_manager* m, const char* connect_code) {
  char* account = NULL;
  char* json = NULL;
  if (connect_code == NULL) return;
  EXPECT(licentia_disconnect(m) == LICENTIA_ERR_NOT_CONNECTED);
  EXPECT(licentia_connect(m, "not a code", NULL) ==
         LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_connect(m, NULL, NULL) == LICENTIA_ERR_INVALID_REQUEST);
  EXPECT(licentia_connect(m, connect_code, &account) == LICENTIA_OK);
  EXPECT(account != NULL && strcmp(account, "c@example.com") == 0);
  licentia_free_string(account);
  EXPECT(licentia_details_json(m, &json) == LICENTIA_OK);
  EXPECT(json != NULL &&
         strstr(json, "\"connected_account\":\"c@example.com\"") != NULL);
  licentia_free_string(json);
  /* A connection code works once. */
  EXPECT(licentia_connect(m, connect_code, NULL) ==
         LICENTIA_ERR_CONNECT_CODE_INVALID);
  EXPECT(licentia_disconnect(m) == LICENTIA_OK);
  EXPECT(licentia_disconnect(m) == LICENTIA_ERR_NOT_CONNECTED);
}

int main(void) {
  const char* server = getenv("LICENTIA_TEST_SERVER");
  offline_checks();
  if (server != NULL) {
    online_checks(server, getenv("LICENTIA_TEST_KEY"),
                  getenv("LICENTIA_TEST_STATE_DIR"),
                  getenv("LICENTIA_TEST_CODE"), getenv("LICENTIA_TEST_RESERVE"),
                  getenv("LICENTIA_TEST_ADMIN_TOKEN"),
                  getenv("LICENTIA_TEST_RESERVE_ID"));
  }
  printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
